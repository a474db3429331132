// softmax(): checks the parameters, then runs the kernel chosen for the ISA; and the scalar
// reference kernel.
#include "tessera/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/layout.h"
#include "common/row_blocks.h"
#include "cpu/softmax_isa.h"

namespace tessera {
namespace {

// One row: x, out: [C]; out may be x.
void reference_row(const float* x, float* out, int64_t n) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < n; c++) max = std::max<double>(max, x[c]);
  if (max == -std::numeric_limits<double>::infinity()) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  double sum = 0.0;
  for (int64_t c = 0; c < n; c++) sum += std::exp(x[c] - max);
  for (int64_t c = 0; c < n; c++) out[c] = static_cast<float>(std::exp(x[c] - max) / sum);
}

}  // namespace

Status check_softmax_params(const SoftmaxParams& p) {
  return check_row_layout(p.x, p.x_row_stride, p.out, p.out_row_stride, p.rows, p.cols);
}

// x: [M, C], out: [M, C]
void softmax_reference(const SoftmaxParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      reference_row(p.x + r * p.x_row_stride, p.out + r * p.out_row_stride, p.cols);
    }
  });
}

Status softmax(const SoftmaxParams& p, const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_softmax_params(p);
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      softmax_avx512(p, opts.max_threads);
      return Status::Ok();
    case Isa::kAvx2:
      softmax_avx2(p, opts.max_threads);
      return Status::Ok();
#endif
    default:
      softmax_reference(p, opts.max_threads);
      return Status::Ok();
  }
}

}  // namespace tessera
