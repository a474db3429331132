// The portable scalar attention kernel: one query row at a time with an online softmax in
// exp2 form, O(D) extra memory per row. It is the reference the SIMD kernels are tested
// against and the path taken on CPUs without AVX2.
#include <vector>

#include "cpu/attention_common.h"
#include "tessera/attention.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace {

using namespace attention_detail;

constexpr int64_t kRowsPerTask = 16;

// One query row i of (b, h):
//   q_row: [D] (stride dim), k/v rows: [Nk][D], out_row: [D]
// Returns the log-sum-exp of the row (natural log), -inf when no key is allowed.
float attend_row(const AttentionParams& p, int64_t b, int64_t h, int64_t i, float* acc) {
  const int64_t d_count = p.head_dim;
  const float scale_log2 = p.scale * kLog2e;
  const float* q = row_ptr(p.q, p.q_strides, b, i, h);
  float m = kNegInf;
  float l = 0.0f;
  std::fill(acc, acc + d_count, 0.0f);
  const int64_t end = key_end(p, b, i);
  for (int64_t j = 0; j < end; j++) {
    const float* k = row_ptr(p.k, p.k_strides, b, j, h);
    const float* v = row_ptr(p.v, p.v_strides, b, j, h);
    float dot = 0.0f;
    for (int64_t d = 0; d < d_count; d++) dot += q[d * p.q_strides.dim] * k[d * p.k_strides.dim];
    const float s = dot * scale_log2;
    if (s > m) {  // new running max: rescale what has been accumulated so far
      const float alpha = std::exp2(m - s);
      for (int64_t d = 0; d < d_count; d++) acc[d] *= alpha;
      l *= alpha;
      m = s;
    }
    const float weight = std::exp2(s - m);
    l += weight;
    for (int64_t d = 0; d < d_count; d++) acc[d] += weight * v[d * p.v_strides.dim];
  }
  float* out = row_ptr(p.out, p.out_strides, b, i, h);
  const float inv_l = l > 0.0f ? 1.0f / l : 0.0f;
  for (int64_t d = 0; d < d_count; d++) out[d * p.out_strides.dim] = acc[d] * inv_l;
  return lse_from(m, l);
}

}  // namespace

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
void flash_attention_reference(const AttentionParams& p, int max_threads) {
  const int64_t row_blocks = (p.seq_q + kRowsPerTask - 1) / kRowsPerTask;
  parallel_for(p.batch * p.heads * row_blocks, max_threads, [&](int64_t task) {
    const int64_t block = task % row_blocks;
    const int64_t h = (task / row_blocks) % p.heads;
    const int64_t b = task / (row_blocks * p.heads);
    std::vector<float> acc(static_cast<size_t>(p.head_dim));
    float* lse = lse_ptr(p, b, h);
    const int64_t end = std::min(p.seq_q, (block + 1) * kRowsPerTask);
    for (int64_t i = block * kRowsPerTask; i < end; i++) {
      const float row_lse = attend_row(p, b, h, i, acc.data());
      if (lse) lse[i] = row_lse;
    }
  });
}

}  // namespace tessera
