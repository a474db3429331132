// LayerNorm over the last axis, computed like PyTorch's nn.LayerNorm (fp32 in and out):
//   mean = sum(x) / C, var = sum((x - mean)^2) / C (two passes: a large common offset does not
//   cancel), out = (x - mean) / sqrt(var + eps) * gamma + beta.
#pragma once

#include <cstdint>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

// x: [M, C] rows x_row_stride apart (columns contiguous); gamma, beta: [C] or null (1 and 0);
// out: [M, C] rows out_row_stride apart, may be x itself (in place) but must not otherwise
// overlap it.
struct LayerNormParams {
  const float* x = nullptr;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float* out = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t x_row_stride = 0, out_row_stride = 0;
  float eps = 1e-5f;
};

// Checks pointers, sizes, the row layout (out is x or does not overlap it; its rows do not
// overlap each other) and eps (finite, >= 0).
Status check_layer_norm_params(const LayerNormParams& p);

// Checks the parameters; on success runs the kernel chosen for opts.isa.
Status layer_norm(const LayerNormParams& p, const RunOptions& opts);

// The portable scalar kernel, fp64 throughout (also the reference the SIMD kernels are tested
// against).
void layer_norm_reference(const LayerNormParams& p, int max_threads);

}  // namespace tessera
