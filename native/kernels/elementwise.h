// Bias add and its gradient, scaled sums, concatenation/split along one axis, and the fixed-order
// double reductions the other kernel families share.
#pragma once
#include <cstdint>

namespace convkit {

// sum_i x_i in double, in an order fixed by n alone (eight interleaved partial sums, so that the
// adds run at throughput rather than latency).
double sum_f64(int64_t n, const float* x);
// sum_i x_i in float: 32 interleaved partial sums added in a fixed tree (rows shorter than that in
// order), an order fixed by n alone; fast, for the many short rows of bias gradients.
float sum_f32(int64_t n, const float* x);
// sum_f32 for each ISA (the same bits); sum_f32 calls the calling thread's.
float sum_f32_generic(int64_t n, const float* x);
float sum_f32_avx2(int64_t n, const float* x);
float sum_f32_avx512(int64_t n, const float* x);
// sum_i a_i b_i in double, in the same fixed order.
double dot_f64(int64_t n, const float* a, const float* b);
// sum_i (x_i - c)^2 in double, in the same fixed order.
double sum_sq_dev_f64(int64_t n, const float* x, double c);

// y[n, c, s] = x[n, c, s] + b[c] for tensors viewed as [N, C, S]; y may alias x.
void bias_add(int64_t N, int64_t C, int64_t S, const float* x, const float* b, float* y);
// db[c] += sum_{n, s} dy[n, c, s] (accumulates, like every parameter gradient): each row summed in
// float, in a fixed order, the rows in double.
void bias_grad(int64_t N, int64_t C, int64_t S, const float* dy, float* db);
// y = alpha a + beta b (b is not read when beta = 0); y may alias a or b.
void add_scaled(int64_t n, float alpha, const float* a, float beta, const float* b, float* y);
// dst viewed as [outer, sum_i width_i]: row o of dst = row o of src_0 | row o of src_1 | ...,
// where src_i is [outer, width_i]. This is concatenation along any axis of row-major tensors.
void concat_rows(int64_t outer, int64_t count, const float* const* src, const int64_t* width, float* dst);
// The inverse of concat_rows: dst_i[o, :] = the i-th column block of src row o.
void split_rows(int64_t outer, int64_t count, const float* src, const int64_t* width, float* const* dst);

}  // namespace convkit
