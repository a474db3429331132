// layer_norm(): checks the parameters, then runs the kernel chosen for the ISA; and the scalar
// reference kernel.
#include "tessera/layernorm.h"

#include <cmath>

#include "common/layout.h"
#include "common/row_blocks.h"
#include "cpu/layernorm_isa.h"

namespace tessera {
namespace {

// One row: x_row, out_row: [C].
void reference_row(const LayerNormParams& p, const float* x, float* out) {
  const int64_t n = p.cols;
  double sum = 0.0;
  for (int64_t c = 0; c < n; c++) sum += x[c];
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (int64_t c = 0; c < n; c++) squares += (x[c] - mean) * (x[c] - mean);
  const double rstd = 1.0 / std::sqrt(squares / static_cast<double>(n) + p.eps);
  for (int64_t c = 0; c < n; c++) {
    const double gamma = p.gamma ? p.gamma[c] : 1.0;
    const double beta = p.beta ? p.beta[c] : 0.0;
    out[c] = static_cast<float>((x[c] - mean) * rstd * gamma + beta);
  }
}

}  // namespace

Status check_layer_norm_params(const LayerNormParams& p) {
  Status status = check_row_layout(p.x, p.x_row_stride, p.out, p.out_row_stride, p.rows, p.cols);
  if (status.ok() && !(p.eps >= 0.0f && std::isfinite(p.eps))) {
    status = Status::Invalid("eps: expected a finite float32 >= 0");
  }
  return status;
}

// x: [M, C], gamma/beta: [C], out: [M, C]
void layer_norm_reference(const LayerNormParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      reference_row(p, p.x + r * p.x_row_stride, p.out + r * p.out_row_stride);
    }
  });
}

Status layer_norm(const LayerNormParams& p, const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_layer_norm_params(p);
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      layer_norm_avx512(p, opts.max_threads);
      return Status::Ok();
    case Isa::kAvx2:
      layer_norm_avx2(p, opts.max_threads);
      return Status::Ok();
#endif
    default:
      layer_norm_reference(p, opts.max_threads);
      return Status::Ok();
  }
}

}  // namespace tessera
