#include "cpu/strided_attention.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>

#include "cpu/attention_common.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace {

using namespace attention_detail;

// Scratch for the column half: its output [B, Nq, H, D] (contiguous), then both halves'
// log-sum-exps [B, H, Nq].
struct ColumnScratch {
  std::unique_ptr<float[]> memory;
  float* out = nullptr;
  float* lse_local = nullptr;
  float* lse_column = nullptr;

  bool allocate(const AttentionParams& p) {
    const int64_t rows = p.batch * p.heads * p.seq_q;
    memory.reset(new (std::nothrow) float[rows * (p.head_dim + 2)]);
    if (!memory) return false;
    out = memory.get();
    lse_local = out + rows * p.head_dim;
    lse_column = lse_local + rows;
    return true;
  }
};

// out_row[d * stride] (the local half's row) becomes the softmax over both halves' keys; the
// merged log-sum-exp is returned.
float merge_row(float* out_row, int64_t stride, const float* column_row, int64_t dims,
                float lse_local, float lse_column) {
  if (lse_column == kNegInf) return lse_local;  // the row sees no column key
  if (lse_local == kNegInf) {
    for (int64_t d = 0; d < dims; d++) out_row[d * stride] = column_row[d];
    return lse_column;
  }
  const float m = std::max(lse_local, lse_column);
  const float w_local = std::exp(lse_local - m), w_column = std::exp(lse_column - m);
  const float inv = 1.0f / (w_local + w_column);
  for (int64_t d = 0; d < dims; d++) {
    out_row[d * stride] = (out_row[d * stride] * w_local + column_row[d] * w_column) * inv;
  }
  return m + std::log(w_local + w_column);
}

}  // namespace

Status strided_attention(const AttentionParams& p, const StridedSplit& split,
                         const RunOptions& opts) {
  ColumnScratch scratch;
  if (!scratch.allocate(p)) {
    return Status(StatusCode::kOutOfMemory, "attention: out of memory for the strided columns");
  }
  AttentionParams local = p;
  local.lse = scratch.lse_local;
  Status status = pattern_attention(local, split.local, opts);
  if (!status.ok()) return status;
  AttentionParams column = p;
  column.out = scratch.out;
  column.out_strides = {p.seq_q * p.heads * p.head_dim, p.heads * p.head_dim, p.head_dim, 1};
  column.lse = scratch.lse_column;
  status = pattern_attention(column, split.column, opts);
  if (!status.ok()) return status;
  parallel_for(p.batch * p.seq_q, opts.max_threads, [&](int64_t task) {
    const int64_t b = task / p.seq_q, i = task % p.seq_q;
    for (int64_t h = 0; h < p.heads; h++) {
      const int64_t row = (b * p.heads + h) * p.seq_q + i;
      const float lse = merge_row(row_ptr(p.out, p.out_strides, b, i, h), p.out_strides.dim,
                                  row_ptr(column.out, column.out_strides, b, i, h), p.head_dim,
                                  scratch.lse_local[row], scratch.lse_column[row]);
      if (p.lse) p.lse[row] = lse;
    }
  });
  return Status::Ok();
}

}  // namespace tessera
