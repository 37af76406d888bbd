{
  "variables": {
    "convkit_cflags": ["-O3", "-fno-math-errno", "-fvisibility=hidden", "-pthread"],
    "convkit_defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
  },
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags": ["<@(convkit_cflags)"],
    "cflags_cc": ["-std=c++17", "-fexceptions"],
    "defines": ["<@(convkit_defines)"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"]
  },
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "convkit_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/native-sources.js avx512)"],
          "cflags": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mfma", "-mavx2", "-fPIC"]
        },
        {
          "target_name": "convkit_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/native-sources.js avx2)"],
          "cflags": ["-mavx2", "-mfma", "-fPIC"]
        },
        {
          "target_name": "convkit",
          "sources": ["<!@(node scripts/native-sources.js base)"],
          "defines": ["CONVKIT_X86_KERNELS"],
          "dependencies": ["convkit_avx512", "convkit_avx2"],
          "ldflags": ["-pthread"]
        }
      ]
    }, {
      "targets": [
        {
          "target_name": "convkit",
          "sources": ["<!@(node scripts/native-sources.js base)"],
          "ldflags": ["-pthread"]
        }
      ]
    }]
  ]
}
