// A task is a block of up to kSubTiles * S::BQ query rows of one (b, h). Its q rows are packed
// transposed (q^T, scaled by scale*log2(e)) once. Then for each tile of S::BK keys, and for each
// sub-tile of S::BQ queries, a register-blocked microkernel forms the transposed score tile
// s^T[key][query] from the key tile's k and v rows copied into contiguous buffers (gathered by
// row, so a tile may hold any keys; the copy also avoids cache-set conflicts of strided rows), the
// online softmax runs down the key axis with queries in SIMD lanes (no horizontal reductions),
// and p v is accumulated into the output rows. The Nq x Nk score matrix is never formed: extra
// memory per worker is O((rows + BK) * D).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <type_traits>
#include <utility>

#include "cpu/attention_common.h"
#include "tessera/attention.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace flash_simd {

using namespace attention_detail;

constexpr int64_t kSubTiles = 4;  // score tiles per task: each key tile is reused this often

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Calls f(std::integral_constant<int, n>) for a run-time n in [1, N], so microkernels can keep
// their register blocks as compile-time arrays for short tails too.
template <int N, class F>
void with_count(int64_t n, F&& f) {
  if constexpr (N > 1) {
    if (n < N) return with_count<N - 1>(n, std::forward<F>(f));
  }
  f(std::integral_constant<int, N>{});
}

// Per-worker scratch, 64-byte aligned, grown on demand and kept for the thread's lifetime.
inline float* scratch_floats(size_t count) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float, Free> buffer;
  thread_local size_t capacity = 0;
  if (count > capacity) {
    buffer.reset(static_cast<float*>(std::aligned_alloc(64, round_up(count * 4, 64))));
    capacity = buffer ? count : 0;
  }
  return buffer.get();
}

template <class S>
class QueryBlock {
 public:
  using V = typename S::V;
  static constexpr int W = S::W;
  static constexpr int64_t BQ = S::BQ;
  static constexpr int64_t BK = S::BK;
  static constexpr int64_t kRows = BQ * kSubTiles;

  // Returns false when the scratch buffer could not be allocated.
  bool init(const AttentionParams& p) {
    p_ = &p;
    d_ = p.head_dim;
    dp_ = round_up(d_, W);
    const size_t floats =
        static_cast<size_t>(kRows * d_ + kRows * dp_ + BK * BQ + 2 * BK * dp_ + 3 * kRows);
    float* base = scratch_floats(floats);
    if (base == nullptr) return false;
    qt_ = base;                  // [kSubTiles][D][BQ]  q^T * scale * log2(e), zero padded
    o_ = qt_ + kRows * d_;       // [kRows][dp]         unnormalized output rows
    st_ = o_ + kRows * dp_;      // [BK][BQ]            s^T of one sub-tile, then p^T
    kpack_ = st_ + BK * BQ;      // [BK][dp]            k rows of the key tile
    vpack_ = kpack_ + BK * dp_;  // [BK][dp]          v rows of the key tile, zero padded
    m_ = vpack_ + BK * dp_;      // [kRows]             running max (log2 units)
    l_ = m_ + kRows;             // [kRows]             running denominator
    alpha_ = l_ + kRows;         // [kRows]             rescale factor of the current key tile
    return true;
  }

  // Rows [q0, q0 + qn) of (b, h), qn <= kRows.
  void run(int64_t b, int64_t h, int64_t q0, int64_t qn) {
    b_ = b;
    h_ = h;
    q0_ = q0;
    qn_ = qn;
    pack_qt();
    std::fill(o_, o_ + kRows * dp_, 0.0f);
    std::fill(m_, m_ + kRows, kNegInf);
    std::fill(l_, l_ + kRows, 0.0f);
    int64_t end = key_limit(*p_, b);
    if (p_->causal) end = std::min(end, q0 + qn);
    for (int64_t k0 = 0; k0 < end; k0 += BK) {
      const int64_t kn = std::min(BK, end - k0);
      gather_keys(k0, kn);
      for (int64_t r0 = 0; r0 < qn; r0 += BQ) {
        prefetch_next_keys(k0 + BK, end, r0 / BQ);
        const int64_t nq = std::min(BQ, qn - r0);
        if (p_->causal && k0 > q0 + r0 + nq - 1) continue;  // no key of this tile is visible
        const int64_t nqv = (nq + W - 1) / W;
        scores(r0, nqv, kn);
        mask_causal(r0, nqv, k0, kn);
        softmax_update(r0, nqv, kn);
        accumulate_pv(r0, nq, kn);
      }
    }
    write_out();
  }

 private:
  // qt_[t][d][c] = q[b, q0 + t*BQ + c, h, d] * scale * log2(e); zeros past the last row.
  void pack_qt() {
    const float factor = p_->scale * kLog2e;
    const int64_t sd = p_->q_strides.dim;
    std::fill(qt_, qt_ + kRows * d_, 0.0f);
    for (int64_t r = 0; r < qn_; r++) {
      const float* src = row_ptr(p_->q, p_->q_strides, b_, q0_ + r, h_);
      float* dst = qt_ + (r / BQ) * d_ * BQ + r % BQ;
      for (int64_t d = 0; d < d_; d++) dst[d * BQ] = src[d * sd] * factor;
    }
  }

  // Asks the cache for part `part` (of kSubTiles) of the key tile at k_next, so the next tile
  // arrives while this one is computed, without a burst of requests.
  void prefetch_next_keys(int64_t k_next, int64_t end, int64_t part) const {
    const int64_t rows = BK / kSubTiles;
    const int64_t last = std::min(end, k_next + (part + 1) * rows);
    for (int64_t n = k_next + part * rows; n < last; n++) prefetch_kv_row(n);
  }

  void prefetch_kv_row(int64_t n) const {
    const char* k = reinterpret_cast<const char*>(row_ptr(p_->k, p_->k_strides, b_, n, h_));
    const char* v = reinterpret_cast<const char*>(row_ptr(p_->v, p_->v_strides, b_, n, h_));
    const int64_t bytes_k = ((d_ - 1) * p_->k_strides.dim + 1) * 4;
    const int64_t bytes_v = ((d_ - 1) * p_->v_strides.dim + 1) * 4;
    for (int64_t off = 0; off < bytes_k; off += 64) __builtin_prefetch(k + off, 0, 2);
    for (int64_t off = 0; off < bytes_v; off += 64) __builtin_prefetch(v + off, 0, 2);
  }

  // dst[0 .. dp) = src[d * stride] for d < D, then zeros.
  void copy_row(float* dst, const float* src, int64_t stride) const {
    if (stride == 1) {
      int64_t d = 0;
      for (; d + W <= d_; d += W) S::store(dst + d, S::load(src + d));
      for (; d < d_; d++) dst[d] = src[d];
    } else {
      for (int64_t d = 0; d < d_; d++) dst[d] = src[d * stride];
    }
    std::fill(dst + d_, dst + dp_, 0.0f);
  }

  // Keys [k0, k0 + kn) -> kpack_, vpack_ rows; rows up to the microkernel's key multiple are
  // zeros (their scores are never read).
  void gather_keys(int64_t k0, int64_t kn) {
    for (int64_t c = 0; c < kn; c++) {
      copy_row(kpack_ + c * dp_, row_ptr(p_->k, p_->k_strides, b_, k0 + c, h_), p_->k_strides.dim);
      copy_row(vpack_ + c * dp_, row_ptr(p_->v, p_->v_strides, b_, k0 + c, h_), p_->v_strides.dim);
    }
    std::fill(kpack_ + kn * dp_, kpack_ + round_up(kn, S::MR_K) * dp_, 0.0f);
  }

  // st_[c0 + i][q .. q + NV*W) = sum_d k[c0 + i][d] * qt_[t][d][q ...] for MR_K keys, where
  // qt points at qt_[t][0][q].
  template <int NV>
  void scores_micro(const float* qt, int64_t q, int64_t c0) {
    V acc[S::MR_K][NV];
    for (int i = 0; i < S::MR_K; i++)
      for (int v = 0; v < NV; v++) acc[i][v] = S::zero();
    const float* k = kpack_ + c0 * dp_;
    for (int64_t d = 0; d < d_; d++) {
      V qv[NV];
      for (int v = 0; v < NV; v++) qv[v] = S::load(qt + d * BQ + v * W);
      for (int i = 0; i < S::MR_K; i++) {
        const V kb = S::set1(k[i * dp_ + d]);
        for (int v = 0; v < NV; v++) acc[i][v] = S::fmadd(kb, qv[v], acc[i][v]);
      }
    }
    for (int i = 0; i < S::MR_K; i++)
      for (int v = 0; v < NV; v++) S::store(st_ + (c0 + i) * BQ + q + v * W, acc[i][v]);
  }

  // st_[c][q] for keys c < kn and the sub-tile's queries, in groups of up to S::NV_Q vectors
  // (short tails do less work).
  void scores(int64_t r0, int64_t nqv, int64_t kn) {
    const float* qt = qt_ + (r0 / BQ) * d_ * BQ;
    for (int64_t v0 = 0; v0 < nqv; v0 += S::NV_Q) {
      with_count<S::NV_Q>(nqv - v0, [&](auto nv) {
        for (int64_t c0 = 0; c0 < kn; c0 += S::MR_K) scores_micro<nv>(qt + v0 * W, v0 * W, c0);
      });
    }
  }

  // Causal: key j = k0 + c is hidden from sub-tile queries q0 + r0 + q < j.
  void mask_causal(int64_t r0, int64_t nqv, int64_t k0, int64_t kn) {
    if (!p_->causal) return;
    const int64_t first_query = q0_ + r0;
    for (int64_t c = 0; c < kn; c++) {
      const int64_t hidden = std::min(k0 + c - first_query, nqv * W);
      if (hidden > 0) std::fill(st_ + c * BQ, st_ + c * BQ + hidden, kNegInf);
    }
  }

  // max over c < kn of st[c * BQ .. + W), in four independent chains.
  static V column_max(const float* st, int64_t kn) {
    V m[4] = {S::load(st), S::load(st), S::load(st), S::load(st)};
    int64_t c = 1;
    for (; c + 4 <= kn; c += 4)
      for (int u = 0; u < 4; u++) m[u] = S::max(m[u], S::load(st + (c + u) * BQ));
    for (; c < kn; c++) m[0] = S::max(m[0], S::load(st + c * BQ));
    return S::max(S::max(m[0], m[1]), S::max(m[2], m[3]));
  }

  // Folds the key tile into each query's running max and denominator and turns st_ into
  // probabilities relative to the new max. Queries sit in SIMD lanes.
  void softmax_update(int64_t r0, int64_t nqv, int64_t kn) {
    for (int64_t v = 0; v < nqv; v++) {
      float* st = st_ + v * W;
      const V tile_max = column_max(st, kn);
      const V m_old = S::load(m_ + r0 + v * W);
      const V m_new = S::max(m_old, tile_max);
      const V m_use = S::zero_neginf(m_new);  // all masked so far: p = 0, never NaN
      V sum = S::zero();
      for (int64_t c = 0; c < kn; c++) {
        const V e = S::exp2(S::sub(S::load(st + c * BQ), m_use));
        S::store(st + c * BQ, e);
        sum = S::add(sum, e);
      }
      const V alpha = S::exp2(S::sub(m_old, m_use));  // 0 while m_old = -inf
      S::store(alpha_ + r0 + v * W, alpha);
      S::store(l_ + r0 + v * W, S::fmadd(S::load(l_ + r0 + v * W), alpha, sum));
      S::store(m_ + r0 + v * W, m_new);
    }
  }

  // o[R + i][d0 .. d0 + NV*W) = alpha * o + sum_c p^T[c][r + i] * v[c][...] for MR queries,
  // where R = r0 + r is the block row of sub-tile query r.
  template <int MR, int NV>
  void pv_micro(int64_t r0, int64_t r, int64_t d0, int64_t kn) {
    V acc[MR][NV];
    float* o = o_ + (r0 + r) * dp_ + d0;
    for (int i = 0; i < MR; i++) {
      const V a = S::set1(alpha_[r0 + r + i]);
      for (int v = 0; v < NV; v++) acc[i][v] = S::mul(a, S::load(o + i * dp_ + v * W));
    }
    const float* pt = st_ + r;
    for (int64_t c = 0; c < kn; c++) {
      V vv[NV];
      for (int v = 0; v < NV; v++) vv[v] = S::load(vpack_ + c * dp_ + d0 + v * W);
      for (int i = 0; i < MR; i++) {
        const V pb = S::set1(pt[c * BQ + i]);
        for (int v = 0; v < NV; v++) acc[i][v] = S::fmadd(pb, vv[v], acc[i][v]);
      }
    }
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) S::store(o + i * dp_ + v * W, acc[i][v]);
  }

  // Rows [0, rows) of the sub-tile at r0: MR_Q rows at a time (then the tail), head dims in
  // chunks of NV_D vectors (then the tail).
  void accumulate_pv(int64_t r0, int64_t rows, int64_t kn) {
    for (int64_t r = 0; r < rows; r += S::MR_Q) {
      with_count<S::MR_Q>(rows - r, [&](auto mr) {
        for (int64_t d0 = 0; d0 < dp_; d0 += S::NV_D * W) {
          with_count<S::NV_D>((dp_ - d0) / W, [&](auto nv) { pv_micro<mr, nv>(r0, r, d0, kn); });
        }
      });
    }
  }

  void write_out() {
    const int64_t sd = p_->out_strides.dim;
    float* lse = lse_ptr(*p_, b_, h_);
    for (int64_t r = 0; r < qn_; r++) {
      float* dst = row_ptr(p_->out, p_->out_strides, b_, q0_ + r, h_);
      const float inv_l = l_[r] > 0.0f ? 1.0f / l_[r] : 0.0f;
      const float* o = o_ + r * dp_;
      for (int64_t d = 0; d < d_; d++) dst[d * sd] = o[d] * inv_l;
      if (lse) lse[q0_ + r] = lse_from(m_[r], l_[r]);
    }
  }

  const AttentionParams* p_ = nullptr;
  int64_t d_ = 0, dp_ = 0;
  int64_t b_ = 0, h_ = 0, q0_ = 0, qn_ = 0;
  float *qt_ = nullptr, *o_ = nullptr, *st_ = nullptr, *kpack_ = nullptr, *vpack_ = nullptr;
  float *m_ = nullptr, *l_ = nullptr, *alpha_ = nullptr;
};

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// Parallel over (b, h, query tile). Fails only when a worker could not get its scratch.
template <class S>
Status run_flash_attention(const AttentionParams& p, int max_threads) {
  constexpr int64_t kBq = QueryBlock<S>::kRows;
  const int64_t tiles = (p.seq_q + kBq - 1) / kBq;
  std::atomic<bool> out_of_memory{false};
  parallel_for(p.batch * p.heads * tiles, max_threads, [&](int64_t task) {
    const int64_t t = task % tiles;
    const int64_t h = (task / tiles) % p.heads;
    const int64_t b = task / (tiles * p.heads);
    QueryBlock<S> block;
    if (!block.init(p)) {
      out_of_memory = true;
      return;
    }
    block.run(b, h, t * kBq, std::min(kBq, p.seq_q - t * kBq));
  });
  if (out_of_memory) {
    return Status(StatusCode::kOutOfMemory, "attention: out of memory for tile buffers");
  }
  return Status::Ok();
}

}  // namespace flash_simd
}  // namespace tessera
