// 2-D max and average pooling over NCHW tensors, and global average pooling.
#pragma once
#include <cstdint>

namespace convkit {

// Input x [N, C, H, W], output y [N, C, OH, OW]; pad_h/pad_w on both sides (at most half the
// kernel, so every window holds at least one input element).
struct PoolShape {
  int64_t N, C, H, W;
  int64_t KH, KW;
  int64_t OH, OW;
  int64_t stride_h, stride_w;
  int64_t pad_h, pad_w;
};

// y = max of the window, idx = ih*W + iw of its first maximum within the plane (a NaN wins,
// like PyTorch).
void max_pool2d_forward(const PoolShape& s, const float* x, float* y, int32_t* idx);
// dx = 0, then dx[n, c, idx] += dy[n, c, :]. idx must lie in [0, H*W); reads only N, C, H, W, OH, OW.
void max_pool2d_backward(const PoolShape& s, const float* dy, const int32_t* idx, float* dx);

// y = sum of the window / (KH*KW if count_include_pad, else the number of input elements in it).
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, const float* x, float* y);
// dx = dL/dx given dy = dL/dy (overwritten).
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, const float* dy, float* dx);

// y[p] = mean of plane p of x (P planes of HW elements); backward dx[p, :] = dy[p] / HW.
void global_avg_pool2d_forward(int64_t P, int64_t HW, const float* x, float* y);
void global_avg_pool2d_backward(int64_t P, int64_t HW, const float* dy, float* dx);

// Per-ISA max-pool rows, windows wholly inside x: for output rows t < R and j < count,
// y[t*count + j] = max over r < KH, kw < KW of x[(t*Sh + r)*ld + j*S + kw] and
// idx[t*count + j] = index0 + (t*Sh + r)*W + j*S + kw of the first maximum in (r, kw) order;
// a NaN beats numbers and a later NaN an earlier one (PyTorch's rule).
constexpr int64_t kMaxPoolRows = 4;  // R <= kMaxPoolRows
void max_pool_rows_generic(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                           int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx);
void max_pool_rows_avx2(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                        int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx);
void max_pool_rows_avx512(const float* x, int64_t ld, int64_t W, int64_t KH, int64_t KW, int64_t Sh, int64_t S,
                          int64_t R, int64_t count, int64_t index0, float* y, int32_t* idx);

}  // namespace convkit
