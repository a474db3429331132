// Softmax over the last axis (fp32): out = exp(x - max) / sum(exp(x - max)) per row. Entries of
// -inf get probability 0; a row that is entirely -inf gives zeros (as attention does for a query
// without keys), not NaN.
#pragma once

#include <cstdint>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

// x: [M, C] rows x_row_stride apart (columns contiguous); out: [M, C] rows out_row_stride apart,
// may be x itself (in place) but must not otherwise overlap it.
struct SoftmaxParams {
  const float* x = nullptr;
  float* out = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t x_row_stride = 0, out_row_stride = 0;
};

// Checks pointers, sizes and the row layout.
Status check_softmax_params(const SoftmaxParams& p);

// Checks the parameters; on success runs the kernel chosen for opts.isa.
Status softmax(const SoftmaxParams& p, const RunOptions& opts);

// The portable scalar kernel, fp64 throughout (also the reference the SIMD kernels are tested
// against).
void softmax_reference(const SoftmaxParams& p, int max_threads);

}  // namespace tessera
