// The scalar linear kernel: one output element at a time, a dot product over K in double. It is
// the reference the SIMD kernels are tested against and the path isa 'scalar' takes.
#include <cmath>

#include "tessera/gemm.h"

namespace tessera {
namespace {

double activate(double x, Activation activation) {
  switch (activation) {
    case Activation::kGeluErf:  // 0.5 x (1 + erf(x / sqrt 2)), without cancellation for x < 0
      return 0.5 * x * std::erfc(-x * M_SQRT1_2);
    case Activation::kGeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::kNone:
      break;
  }
  return x;
}

// a_row: [K] (contiguous), column j of b: [K]
double dot(const float* a_row, const PackedMatrix& b, int64_t j) {
  double sum = 0.0;
  for (int64_t k = 0; k < b.k(); k++) sum += static_cast<double>(a_row[k]) * b.at(k, j);
  return sum;
}

}  // namespace

// a: [M, K], b: [K, N], bias: [N], residual/out: [M, N]
Status linear_reference(const LinearParams& p) {
  Status status = check_linear_params(p);
  if (!status.ok()) return status;
  const int64_t n = p.b->n();
  for (int64_t i = 0; i < p.m; i++) {
    const float* a_row = p.a + i * p.a_row_stride;
    float* out_row = p.out + i * p.out_row_stride;
    const float* residual_row = p.residual ? p.residual + i * p.residual_row_stride : nullptr;
    for (int64_t j = 0; j < n; j++) {
      double x = p.alpha * dot(a_row, *p.b, j) + (p.bias ? p.bias[j] : 0.0f);
      x = activate(static_cast<float>(x), p.activation);
      if (residual_row) x = static_cast<float>(x) + residual_row[j];
      out_row[j] = static_cast<float>(x);
    }
  }
  return Status::Ok();
}

}  // namespace tessera
