// Instruction-set detection and selection. Kernels pick their implementation with
// `select_isa(generic, avx2, avx512)`, which reads the ISA of the calling thread.
#pragma once
#include <string>

namespace convkit {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
// Parses "generic" | "avx2" | "avx512"; returns false on any other text.
bool parse_isa(const std::string& text, Isa* out);
// The best ISA that both this CPU and this build support.
Isa best_isa();
bool isa_supported(Isa isa);

// The process default starts as best_isa() or CONVKIT_ISA; a thread may override it for
// the kernels it calls (thread pool workers inherit the caller's ISA for each job).
Isa current_isa();
void set_default_isa(Isa isa);
void set_thread_isa(Isa isa);

template <typename F>
F select_isa(F generic, F avx2, F avx512) {
  switch (current_isa()) {
    case Isa::avx512: return avx512;
    case Isa::avx2: return avx2;
    default: return generic;
  }
}

}  // namespace convkit
