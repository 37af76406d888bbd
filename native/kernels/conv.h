// 2-D convolution (cross-correlation, like PyTorch), NCHW input, OIHW weights, by im2col + sgemm.
#pragma once
#include <cstdint>

namespace convkit {

// Geometry of one convolution. Input x [N, C, H, W], weights w [O, C/groups, KH, KW], output
// y [N, O, OH, OW]. Padding may be asymmetric ('same' with an even kernel): pad_top/pad_left
// zeros before the input; the bottom/right padding only shows through OH and OW.
struct ConvShape {
  int64_t N, C, H, W;
  int64_t O, KH, KW;
  int64_t OH, OW;
  int64_t stride_h, stride_w;
  int64_t pad_top, pad_left;
  int64_t dilation_h, dilation_w;
  int64_t groups;
};

// col[(c*KH + kh)*KW + kw, (oh - oh0)*OW + ow] = x[c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
// (0 outside the input), for c < C, oh0 <= oh < oh1: one image's channels, output rows [oh0, oh1);
// rows of col are ld floats apart.
void im2col(const ConvShape& s, int64_t C, const float* x, int64_t oh0, int64_t oh1, float* col, int64_t ld);

// The adjoint of im2col: dx[c, ih, iw] += col[row, p] for every (row, p) im2col reads x[c, ih, iw]
// into.
void col2im(const ConvShape& s, int64_t C, const float* col, int64_t ld, int64_t oh0, int64_t oh1, float* dx);

// Chunks a convolution splits its images into: one per thread when there are at least as many
// images as threads, else one (the work inside is split instead).
int64_t image_chunks(int64_t N);

// y[n, o] = b[o] + sum_{k < C/groups} w[o, k] ⋆ x[n, g*C/groups + k], g = o / (O/groups);
// b may be null.
void conv2d_forward(const ConvShape& s, const float* x, const float* w, const float* b, float* y);

// dx = dL/dx (overwritten; skipped when dx is null), dw += dL/dw, db += dL/db (skipped when
// null), given dy = dL/dy. Deterministic for a given thread count.
void conv2d_backward(const ConvShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                     float* db);

}  // namespace convkit
