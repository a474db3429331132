// add(): one row of D3 elements per step; a plain loop the compiler vectorises when every
// operand's row is contiguous, a strided loop otherwise (broadcast rows, views).
#include "tessera/add.h"

#include <algorithm>

#include "common/layout.h"
#include "common/row_blocks.h"

namespace tessera {
namespace {

constexpr int kInner = kMaxAddRank - 1;  // D3, the dim along a row; the dims before it index rows

// out: [n] = x: [n] + y: [n], each with its own element stride.
void add_row(const float* x, int64_t xs, const float* y, int64_t ys, float* out, int64_t os,
             int64_t n) {
  if (xs == 1 && ys == 1 && os == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = x[i] + y[i];
    return;
  }
  for (int64_t i = 0; i < n; i++) out[i * os] = x[i * xs] + y[i * ys];
}

// Element offset of row r (row-major over D0, D1, D2) for the given strides.
int64_t row_offset(const AddParams& p, const int64_t* strides, int64_t r) {
  int64_t offset = 0;
  for (int d = kInner - 1; d >= 0; d--) {
    offset += (r % p.sizes[d]) * strides[d];
    r /= p.sizes[d];
  }
  return offset;
}

// Whether out is `in` itself: the same pointer and the same strides on every dim of size > 1.
bool same_view(const AddParams& p, const float* in, const int64_t* in_strides) {
  if (in != p.out) return false;
  for (int d = 0; d < kMaxAddRank; d++) {
    if (p.sizes[d] > 1 && in_strides[d] != p.out_strides[d]) return false;
  }
  return true;
}

// Whether out is `in` itself or shares no memory with it.
bool same_or_disjoint(const AddParams& p, const float* in, const int64_t* in_strides) {
  return same_view(p, in, in_strides) ||
         !overlaps(in, span(p.sizes, in_strides, kMaxAddRank), p.out,
                   span(p.sizes, p.out_strides, kMaxAddRank));
}

}  // namespace

Status check_add_params(const AddParams& p) {
  if (!p.x || !p.y || !p.out) return Status::Invalid("args: missing x, y or out");
  if (std::any_of(p.sizes, p.sizes + kMaxAddRank, [](int64_t n) { return n < 1; })) {
    return Status::Invalid("args: every size must be >= 1");
  }
  if (!distinct_elements(p.sizes, p.out_strides, kMaxAddRank)) {
    return Status::Invalid("out: expected strides that give every element its own address");
  }
  if (!same_or_disjoint(p, p.x, p.x_strides) || !same_or_disjoint(p, p.y, p.y_strides)) {
    return Status::Invalid(
        "out: expected x or y itself (in place) or memory that overlaps neither");
  }
  return Status::Ok();
}

// x, y, out: [D0, D1, D2, D3]
Status add(const AddParams& p, int max_threads) {
  Status status = check_add_params(p);
  if (!status.ok()) return status;
  const int64_t rows = p.sizes[0] * p.sizes[1] * p.sizes[2];
  const int64_t n = p.sizes[kInner];
  for_each_row_block(rows, n, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      add_row(p.x + row_offset(p, p.x_strides, r), p.x_strides[kInner],
              p.y + row_offset(p, p.y_strides, r), p.y_strides[kInner],
              p.out + row_offset(p, p.out_strides, r), p.out_strides[kInner], n);
    }
  });
  return Status::Ok();
}

}  // namespace tessera
