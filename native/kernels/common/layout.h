// Memory-layout checks shared by the small ops: whether operands overlap, and whether an output
// layout gives every element its own address (so that parallel writes never collide).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "tessera/status.h"

namespace tessera {

// Elements from the first to one past the last of a [sizes] tensor with element strides
// [strides] (sizes >= 1, strides >= 0).
inline int64_t span(const int64_t* sizes, const int64_t* strides, int rank) {
  int64_t last = 0;
  for (int i = 0; i < rank; i++) last += (sizes[i] - 1) * strides[i];
  return last + 1;
}

// Whether the element ranges [a, a + a_count) and [b, b + b_count) share memory.
inline bool overlaps(const float* a, int64_t a_count, const float* b, int64_t b_count) {
  const auto a0 = reinterpret_cast<uintptr_t>(a);
  const auto b0 = reinterpret_cast<uintptr_t>(b);
  return a0 < b0 + static_cast<uintptr_t>(b_count) * sizeof(float) &&
         b0 < a0 + static_cast<uintptr_t>(a_count) * sizeof(float);
}

// Whether every index of a [sizes] tensor (rank <= 8) has its own element: sorted by stride, each
// dim of size > 1 must step past everything the smaller dims reach.
inline bool distinct_elements(const int64_t* sizes, const int64_t* strides, int rank) {
  int order[8];
  for (int i = 0; i < rank; i++) order[i] = i;
  std::sort(order, order + rank, [&](int a, int b) { return strides[a] < strides[b]; });
  int64_t reach = 0;  // largest offset the dims so far can produce
  for (int i = 0; i < rank; i++) {
    const int d = order[i];
    if (sizes[d] == 1) continue;
    if (strides[d] <= reach) return false;
    reach += (sizes[d] - 1) * strides[d];
  }
  return true;
}

// The row layout of the row-wise ops (LayerNorm, GELU, softmax):
// x: [M, C] rows x_stride apart, out: [M, C] rows out_stride apart, columns contiguous; out is x
// itself (in place) or does not overlap it.
inline Status check_row_layout(const float* x, int64_t x_stride, const float* out,
                               int64_t out_stride, int64_t rows, int64_t cols) {
  if (!x || !out) return Status::Invalid("args: missing x or out");
  if (rows < 1 || cols < 1) return Status::Invalid("args: M and C must be >= 1");
  if (x_stride < 0) return Status::Invalid("x: expected a row stride >= 0");
  if (rows > 1 && out_stride < cols) {
    return Status::Invalid("out: expected a row stride >= C = " + std::to_string(cols) +
                           " (rows must not overlap), received " + std::to_string(out_stride));
  }
  const bool in_place = out == x && (rows == 1 || out_stride == x_stride);
  const int64_t x_span = (rows - 1) * x_stride + cols;
  const int64_t out_span = (rows - 1) * out_stride + cols;
  if (!in_place && overlaps(x, x_span, out, out_span)) {
    return Status::Invalid("out: expected x itself (in place) or memory that does not overlap x");
  }
  return Status::Ok();
}

}  // namespace tessera
