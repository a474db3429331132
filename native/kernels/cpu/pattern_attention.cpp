// pattern_attention(): checks the parameters against the plan, then runs the kernel chosen for
// the ISA; and the scalar kernel that walks the plan row by row.
#include <vector>

#include "cpu/attention_common.h"
#include "cpu/pattern_attention_isa.h"
#include "cpu/strided_attention.h"
#include "tessera/pattern.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace {

using namespace attention_detail;

// Online-softmax state of one query row (log2 units), as in the dense reference kernel.
struct RowState {
  float m = kNegInf;
  float l = 0.0f;
};

// Row r of query tile `tile` for (b, h) against one key j: folds exp2(s - m) into acc.
void attend_key(const AttentionParams& p, int64_t b, int64_t h, int64_t i, int64_t j,
                RowState* state, std::vector<float>* acc) {
  const float* q = row_ptr(p.q, p.q_strides, b, i, h);
  const float* k = row_ptr(p.k, p.k_strides, b, j, h);
  const float* v = row_ptr(p.v, p.v_strides, b, j, h);
  float dot = 0.0f;
  for (int64_t d = 0; d < p.head_dim; d++) dot += q[d * p.q_strides.dim] * k[d * p.k_strides.dim];
  const float s = dot * p.scale * kLog2e;
  if (s > state->m) {
    const float alpha = std::exp2(state->m - s);
    for (float& a : *acc) a *= alpha;
    state->l *= alpha;
    state->m = s;
  }
  const float weight = std::exp2(s - state->m);
  state->l += weight;
  for (int64_t d = 0; d < p.head_dim; d++) (*acc)[d] += weight * v[d * p.v_strides.dim];
}

void reference_tile(const AttentionParams& p, const CompiledPattern& plan, int64_t b, int64_t h,
                    const QueryTile& tile) {
  const int64_t limit = key_limit(p, b);
  std::vector<float> acc(static_cast<size_t>(p.head_dim));
  float* lse = lse_ptr(p, b, h);
  for (int64_t r = 0; r < tile.rows.count; r++) {
    const int64_t i = plan.position(tile.rows, r);
    RowState state;
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t t = 0; t < tile.key_tile_count; t++) {
      const KeyTile& kt = plan.key_tiles[tile.first_key_tile + t];
      for (int64_t c = 0; c < kt.keys.count; c++) {
        const int64_t j = plan.position(kt.keys, c);
        const bool seen = kt.mask < 0 || ((plan.masks[kt.mask + c] >> r) & 1);
        if (seen && j < limit) attend_key(p, b, h, i, j, &state, &acc);
      }
    }
    float* out = row_ptr(p.out, p.out_strides, b, i, h);
    const float inv_l = state.l > 0.0f ? 1.0f / state.l : 0.0f;
    for (int64_t d = 0; d < p.head_dim; d++) out[d * p.out_strides.dim] = acc[d] * inv_l;
    if (lse) lse[i] = lse_from(state.m, state.l);
  }
}

}  // namespace

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
void pattern_attention_reference(const AttentionParams& p, const CompiledPattern& plan,
                                 int max_threads) {
  const int64_t tiles = static_cast<int64_t>(plan.query_tiles.size());
  parallel_for(p.batch * p.heads * tiles, max_threads, [&](int64_t task) {
    const int64_t t = task % tiles;
    const int64_t h = (task / tiles) % p.heads;
    reference_tile(p, plan, task / (tiles * p.heads), h, plan.query_tiles[t]);
  });
}

Status pattern_attention(const AttentionParams& p, const CompiledPattern& plan,
                         const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_attention_params(p);
  if (status.ok()) {
    status = check_plan_fits(plan.seq_q, plan.seq_k, plan.causal, p.seq_q, p.seq_k, p.causal);
  }
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  if (plan.strided) return strided_attention(p, *plan.strided, opts);
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      return plan.neighborhood ? neighborhood_attention_avx512(p, plan, opts.max_threads)
                               : pattern_attention_avx512(p, plan, opts.max_threads);
    case Isa::kAvx2:
      return plan.neighborhood ? neighborhood_attention_avx2(p, plan, opts.max_threads)
                               : pattern_attention_avx2(p, plan, opts.max_threads);
#endif
    default:
      pattern_attention_reference(p, plan, opts.max_threads);
      return Status::Ok();
  }
}

}  // namespace tessera
