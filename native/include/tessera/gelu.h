// GELU, elementwise over rows (fp32), as PyTorch's gelu:
//   kNone: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
//   kTanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
#pragma once

#include <cstdint>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

enum class GeluApproximation { kNone = 0, kTanh };

// x: [M, C] rows x_row_stride apart (columns contiguous); out: [M, C] rows out_row_stride apart,
// may be x itself (in place) but must not otherwise overlap it.
struct GeluParams {
  const float* x = nullptr;
  float* out = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t x_row_stride = 0, out_row_stride = 0;
  GeluApproximation approximate = GeluApproximation::kNone;
};

// Checks pointers, sizes and the row layout.
Status check_gelu_params(const GeluParams& p);

// Checks the parameters; on success runs the kernel chosen for opts.isa.
Status gelu(const GeluParams& p, const RunOptions& opts);

// The portable scalar kernel: fp64 with the C library's erf and tanh (also the reference the
// SIMD kernels are tested against).
void gelu_reference(const GeluParams& p, int max_threads);

}  // namespace tessera
