#include <napi.h>

#include <string>

#include "binding/args.h"
#include "kernels/gemm.h"

namespace convkit::binding {
namespace {

struct Matrix {
  float* data;
  int64_t ld;
};

// The row-major `rows` x `cols` matrix argument `name`: packed (ld = cols, exactly rows*cols
// elements) unless argument `ld_index` gives a leading dimension >= cols, and then at least
// (rows - 1) * ld + cols elements.
Matrix matrix(const Args& args, size_t index, const char* name, size_t ld_index, const char* ld_name, int64_t rows,
              int64_t cols, const char* formula) {
  View<float> view = args.floats(index, name);
  if (args.is_null(ld_index)) {
    args.expect_size(view, product(args, {rows, cols}, name), name, formula);
    return {view.data, cols};
  }
  const int64_t ld = args.integer(ld_index, ld_name, cols, kMaxDim);
  const uint64_t needed = product(args, {rows - 1, ld}, name) + static_cast<uint64_t>(cols);
  if (view.size < needed) {
    args.range_error(std::string("'") + name + "' has " + std::to_string(view.size) + " elements, a " +
                     std::to_string(rows) + " x " + std::to_string(cols) + " matrix with '" + ld_name + "' = " +
                     std::to_string(ld) + " needs " + std::to_string(needed));
  }
  return {view.data, ld};
}

// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C, lda?, ldb?, ldc?): C = alpha op(A)
// op(B) + beta C, row-major; A is (transA ? K x M : M x K), B is (transB ? N x K : K x N),
// C is M x N; leading dimensions default to packed (the row length).
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Args args(info, "sgemm", 10);
  bool ta = args.boolean(0, "transA"), tb = args.boolean(1, "transB");
  int64_t M = args.integer(2, "M", 1, kMaxDim), N = args.integer(3, "N", 1, kMaxDim);
  int64_t K = args.integer(4, "K", 1, kMaxDim);
  float alpha = static_cast<float>(args.number(5, "alpha"));
  Matrix A = ta ? matrix(args, 6, "A", 10, "lda", K, M, "M*K") : matrix(args, 6, "A", 10, "lda", M, K, "M*K");
  Matrix B = tb ? matrix(args, 7, "B", 11, "ldb", N, K, "K*N") : matrix(args, 7, "B", 11, "ldb", K, N, "K*N");
  float beta = static_cast<float>(args.number(8, "beta"));
  Matrix C = matrix(args, 9, "C", 12, "ldc", M, N, "M*N");
  sgemm(ta, tb, M, N, K, alpha, A.data, A.ld, B.data, B.ld, beta, C.data, C.ld);
  return info.Env().Undefined();
}

CONVKIT_BIND("sgemm", Sgemm);

}  // namespace
}  // namespace convkit::binding
