// add: out = x + y elementwise, y broadcast by strides (stride 0 repeats it along a dim), e.g.
//   position embeddings [N, C] onto tokens [B, N, C]:        y strides [0, C, 1]
//   TimeSformer's time embeddings [T, C] onto [B, T, N, C]:  y strides [0, C, 0, 1]
//   a residual [B, N, C]:                                     y strides like x
#pragma once

#include <cstdint>

#include "tessera/status.h"

namespace tessera {

constexpr int kMaxAddRank = 4;

// x, y, out: [D0, D1, D2, D3] with element strides each (lower ranks: leading dims of size 1).
// out gives every element its own address; it may be x or y itself (same pointer and strides)
// but must not otherwise overlap them.
struct AddParams {
  const float* x = nullptr;
  const float* y = nullptr;
  float* out = nullptr;
  int64_t sizes[kMaxAddRank] = {1, 1, 1, 1};
  int64_t x_strides[kMaxAddRank] = {};
  int64_t y_strides[kMaxAddRank] = {};
  int64_t out_strides[kMaxAddRank] = {};
};

// Checks pointers, sizes and the output layout.
Status check_add_params(const AddParams& p);

// Checks the parameters; on success adds (parallel over rows of D3 elements).
Status add(const AddParams& p, int max_threads);

}  // namespace tessera
