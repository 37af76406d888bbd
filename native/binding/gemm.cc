#include <napi.h>

#include "binding/args.h"
#include "kernels/gemm.h"

namespace convkit::binding {
namespace {

// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C): C = alpha op(A) op(B) + beta C, packed
// row-major (lda = transA ? M : K, ldb = transB ? K : N, ldc = N).
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Args args(info, "sgemm", 10);
  bool ta = args.boolean(0, "transA"), tb = args.boolean(1, "transB");
  int64_t M = args.integer(2, "M", 1, kMaxDim), N = args.integer(3, "N", 1, kMaxDim);
  int64_t K = args.integer(4, "K", 1, kMaxDim);
  float alpha = static_cast<float>(args.number(5, "alpha"));
  auto A = args.floats(6, "A");
  auto B = args.floats(7, "B");
  float beta = static_cast<float>(args.number(8, "beta"));
  auto C = args.floats(9, "C");
  args.expect_size(A, product(args, {M, K}, "A"), "A", "M*K");
  args.expect_size(B, product(args, {K, N}, "B"), "B", "K*N");
  args.expect_size(C, product(args, {M, N}, "C"), "C", "M*N");
  sgemm(ta, tb, M, N, K, alpha, A.data, ta ? M : K, B.data, tb ? K : N, beta, C.data, N);
  return info.Env().Undefined();
}

CONVKIT_BIND("sgemm", Sgemm);

}  // namespace
}  // namespace convkit::binding
