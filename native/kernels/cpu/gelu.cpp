// gelu(): checks the parameters, then runs the kernel chosen for the ISA; and the scalar
// reference kernel.
#include "tessera/gelu.h"

#include <cmath>

#include "common/layout.h"
#include "common/row_blocks.h"
#include "cpu/gelu_isa.h"

namespace tessera {
namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kSqrtHalf = 0.7071067811865476;

double reference_gelu(double x, GeluApproximation approximate) {
  if (approximate == GeluApproximation::kTanh) {
    const double u = kSqrt2OverPi * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + std::tanh(u));
  }
  return 0.5 * x * std::erfc(-x * kSqrtHalf);
}

}  // namespace

Status check_gelu_params(const GeluParams& p) {
  return check_row_layout(p.x, p.x_row_stride, p.out, p.out_row_stride, p.rows, p.cols);
}

// x: [M, C], out: [M, C]
void gelu_reference(const GeluParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      const float* x = p.x + r * p.x_row_stride;
      float* out = p.out + r * p.out_row_stride;
      for (int64_t c = 0; c < p.cols; c++) {
        out[c] = static_cast<float>(reference_gelu(x[c], p.approximate));
      }
    }
  });
}

Status gelu(const GeluParams& p, const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_gelu_params(p);
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      gelu_avx512(p, opts.max_threads);
      return Status::Ok();
    case Isa::kAvx2:
      gelu_avx2(p, opts.max_threads);
      return Status::Ok();
#endif
    default:
      gelu_reference(p, opts.max_threads);
      return Status::Ok();
  }
}

}  // namespace tessera
