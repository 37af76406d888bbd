#include <algorithm>

#include "kernels/conv.h"

namespace convkit {
namespace {

// The output columns ow whose input column ow*stride + offset lies in [0, W): [*lo, *hi).
void valid_columns(int64_t OW, int64_t W, int64_t stride, int64_t offset, int64_t* lo, int64_t* hi) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = W - 1 - offset < 0 ? 0 : (W - 1 - offset) / stride + 1;
  *lo = std::min(first, OW);
  *hi = std::max(*lo, std::min(last, OW));
}

// Calls row_fn(c, ih, iw_offset, ow_lo, ow_hi, at) for the OW entries col[at..at+OW) that one
// output row reads from input row ih of channel c (ih may be a padding row outside [0, H)).
template <typename RowFn>
void for_each_col_row(const ConvShape& s, int64_t C, int64_t oh0, int64_t oh1, int64_t ld, RowFn row_fn) {
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const int64_t row = (c * s.KH + kh) * s.KW + kw;
        const int64_t iw_offset = kw * s.dilation_w - s.pad_left;
        int64_t lo, hi;
        valid_columns(s.OW, s.W, s.stride_w, iw_offset, &lo, &hi);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          row_fn(c, ih, iw_offset, lo, hi, row * ld + (oh - oh0) * s.OW);
        }
      }
    }
  }
}

}  // namespace

void im2col(const ConvShape& s, int64_t C, const float* x, int64_t oh0, int64_t oh1, float* col, int64_t ld) {
  const int64_t H = s.H, W = s.W, OW = s.OW, sw = s.stride_w;
  // Plain loops rather than memcpy/memset: the rows are short (OW floats), call overhead dominates.
  for_each_col_row(s, C, oh0, oh1, ld, [&](int64_t c, int64_t ih, int64_t iw_offset, int64_t lo, int64_t hi,
                                           int64_t at) {
    float* out = col + at;
    if (ih < 0 || ih >= H) {
      for (int64_t ow = 0; ow < OW; ++ow) out[ow] = 0.0f;
      return;
    }
    const float* in = x + (c * H + ih) * W;
    for (int64_t ow = 0; ow < lo; ++ow) out[ow] = 0.0f;
    if (sw == 1 && hi > lo) {
      const float* src = in + iw_offset + lo;  // lo >= -iw_offset: inside the row
      for (int64_t i = 0; i < hi - lo; ++i) out[lo + i] = src[i];
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow * sw + iw_offset];
    }
    for (int64_t ow = hi; ow < OW; ++ow) out[ow] = 0.0f;
  });
}

void col2im(const ConvShape& s, int64_t C, const float* col, int64_t ld, int64_t oh0, int64_t oh1, float* dx) {
  const int64_t H = s.H, W = s.W, sw = s.stride_w;
  for_each_col_row(s, C, oh0, oh1, ld, [&](int64_t c, int64_t ih, int64_t iw_offset, int64_t lo, int64_t hi,
                                           int64_t at) {
    if (ih < 0 || ih >= H) return;
    const float* in = col + at;
    float* out = dx + (c * H + ih) * W;
    if (sw == 1 && hi > lo) {
      float* dst = out + iw_offset + lo;  // lo >= -iw_offset: inside the row; contiguous, so it vectorises
      for (int64_t i = 0; i < hi - lo; ++i) dst[i] += in[lo + i];
    } else {
      for (int64_t ow = lo; ow < hi; ++ow) out[ow * sw + iw_offset] += in[ow];
    }
  });
}

}  // namespace convkit
