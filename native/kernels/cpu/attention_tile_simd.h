// The tile engine shared by the dense and the pattern attention kernels, written once over a
// SIMD traits type S (Avx512 or Avx2) and instantiated in a file compiled for that ISA.
//
// A TileEngine holds up to kSubTiles * S::BQ query rows of one (b, h), at any sequence
// positions; their q rows are packed transposed (q^T, scaled by scale*log2(e)) once. A driver
// then loads key tiles (<= S::BK keys, any positions: their k and v rows are copied into
// contiguous buffers, which also avoids cache-set conflicts of strided rows) and, per sub-tile
// of S::BQ rows, calls attend(): a register-blocked microkernel forms the transposed score tile
// s^T[key][query], optional per-key masks hide pairs, the online softmax runs down the key axis
// with queries in SIMD lanes (no horizontal reductions), and p v is accumulated into the output
// rows. The score matrix is never formed: extra memory per worker is O((rows + BK) * D).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "common/scratch.h"
#include "cpu/attention_common.h"
#include "tessera/attention.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace tile_simd {

using namespace attention_detail;

constexpr int64_t kSubTiles = 12;  // score tiles per task: each key tile is reused this often

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

template <class S>
class TileEngine {
 public:
  using V = typename S::V;
  static constexpr int W = S::W;
  static constexpr int64_t BQ = S::BQ;
  static constexpr int64_t BK = S::BK;
  static constexpr int64_t kRows = BQ * kSubTiles;
  // Rows are scattered (stride H * D or more), beyond the hardware prefetcher: loops that
  // stream rows ask for the row this far ahead.
  static constexpr int64_t kRowsAhead = 8;
  // Most bytes of q, k and v rows a task may have for it to prefetch the next task's (begin).
  static constexpr int64_t kAheadBytes = 512 << 10;

  // Returns false when the scratch buffer could not be allocated.
  bool init(const AttentionParams& p) {
    p_ = &p;
    d_ = p.head_dim;
    factor_ = p.scale * kLog2e;
    dp_ = round_up(d_, W);
    const size_t floats =
        static_cast<size_t>(kRows * d_ + kRows * dp_ + BK * BQ + 2 * BK * dp_ + 3 * kRows);
    float* base = thread_scratch_floats(floats);
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

  // The head of this worker's next task when it has the same rows and keys (run_tasks), else -1.
  void set_next_head(int64_t h) { next_head_ = h; }

  // Starts `count` (<= kRows) query rows of (b, h) at sequence positions rows[0 .. count),
  // which will attend to `keys` keys in all. When the next task is the same rows in another
  // head (set_next_head) and both tasks' rows fit in L2 beside each other, this task asks for
  // that head's q, k and v rows into L2 as it loads its own (one thread, 256-token frames of a
  // 96,000-token video: 84 -> 97 GFLOP/s, as fast as the same frames in cache). Larger tasks
  // (dense attention over 1024 keys and more) would evict their own keys, and ask for nothing.
  void begin(int64_t b, int64_t h, const int64_t* rows, int64_t count, int64_t keys) {
    b_ = b;
    h_ = h;
    const bool small = (count + 2 * keys) * d_ * static_cast<int64_t>(sizeof(float)) <= kAheadBytes;
    next_h_ = small ? next_head_ : -1;
    qn_ = count;
    std::copy(rows, rows + count, rows_);
    pack_qt();
    const int64_t rows_used = round_up(count, BQ);  // whole sub-tiles: padding rows stay finite
    std::fill(o_, o_ + rows_used * dp_, 0.0f);
    std::fill(m_, m_ + rows_used, kNegInf);
    std::fill(l_, l_ + rows_used, 0.0f);
  }

  // Copies the k and v rows of keys[0 .. kn) (kn <= BK) into the packed key tile.
  void load_keys(const int64_t* keys, int64_t kn) {
    for (int64_t c = 0; c < kn; c++) {
      if (c + kRowsAhead < kn) {
        const int64_t ahead = keys[c + kRowsAhead];
        prefetch_row<0, 3>(row_ptr(p_->k, p_->k_strides, b_, ahead, h_), p_->k_strides.dim);
        prefetch_row<0, 3>(row_ptr(p_->v, p_->v_strides, b_, ahead, h_), p_->v_strides.dim);
      }
      if (next_h_ >= 0) {
        prefetch_row<0, 2>(row_ptr(p_->k, p_->k_strides, b_, keys[c], next_h_), p_->k_strides.dim);
        prefetch_row<0, 2>(row_ptr(p_->v, p_->v_strides, b_, keys[c], next_h_), p_->v_strides.dim);
      }
      copy_row(kpack_ + c * dp_, row_ptr(p_->k, p_->k_strides, b_, keys[c], h_), p_->k_strides.dim);
      copy_row(vpack_ + c * dp_, row_ptr(p_->v, p_->v_strides, b_, keys[c], h_), p_->v_strides.dim);
    }
    std::fill(kpack_ + kn * dp_, kpack_ + round_up(kn, S::MR_K) * dp_, 0.0f);
  }

  // Asks the cache for the k and v rows of keys[0 .. count), e.g. part of the next tile.
  void prefetch_keys(const int64_t* keys, int64_t count) const {
    for (int64_t c = 0; c < count; c++) {
      prefetch_row<0, 2>(row_ptr(p_->k, p_->k_strides, b_, keys[c], h_), p_->k_strides.dim);
      prefetch_row<0, 2>(row_ptr(p_->v, p_->v_strides, b_, keys[c], h_), p_->v_strides.dim);
    }
  }

  // Rows [r0, r0 + nq) (one sub-tile, nq <= BQ) attend to the loaded kn keys. masks, when
  // given, holds one word per key: bit r says whether row r0 + r may see it.
  void attend(int64_t r0, int64_t nq, int64_t kn, const uint64_t* masks) {
    const int64_t nqv = (nq + W - 1) / W;
    scores(r0, nqv, kn);
    if (masks) {  // the maxima the microkernels kept include hidden pairs: recompute them
      apply_masks(nqv, kn, masks);
      for (int64_t v = 0; v < nqv; v++) tile_max_[v] = column_max(st_ + v * W, kn);
    }
    softmax_update(r0, nqv, kn);
    accumulate_pv(r0, nq, kn);
  }

  // Normalizes and writes every row (and its log-sum-exp).
  void finish() {
    const int64_t sd = p_->out_strides.dim;
    float* lse = lse_ptr(*p_, b_, h_);
    for (int64_t r = 0; r < qn_; r++) {
      if (r + kRowsAhead < qn_) {
        prefetch_row<1, 3>(row_ptr(p_->out, p_->out_strides, b_, rows_[r + kRowsAhead], h_), sd);
      }
      float* dst = row_ptr(p_->out, p_->out_strides, b_, rows_[r], h_);
      const float inv_l = l_[r] > 0.0f ? 1.0f / l_[r] : 0.0f;
      const float* o = o_ + r * dp_;
      for (int64_t d = 0; d < d_; d++) dst[d * sd] = o[d] * inv_l;
      if (lse) lse[rows_[r]] = lse_from(m_[r], l_[r]);
    }
  }

 private:
  // qt_[t][d][c] = q[b, rows[t*BQ + c], h, d] * scale * log2(e); zeros past the last row.
  // W rows at a time: W x W blocks are transposed in registers (unit dim stride), the rest of
  // the dims (and strided rows) element by element.
  void pack_qt() {
    const int64_t sd = p_->q_strides.dim;
    const int64_t vector_dims = sd == 1 ? d_ / W * W : 0;
    std::fill(qt_, qt_ + round_up(qn_, BQ) * d_, 0.0f);
    for (int64_t r = 0; r < qn_; r += W) {
      const float* src[W];
      for (int i = 0; i < W; i++) {
        if (r + kRowsAhead + i < qn_) {
          prefetch_row<0, 3>(row_ptr(p_->q, p_->q_strides, b_, rows_[r + kRowsAhead + i], h_), sd);
        }
        src[i] = r + i < qn_ ? row_ptr(p_->q, p_->q_strides, b_, rows_[r + i], h_) : nullptr;
        if (src[i] && next_h_ >= 0) {
          prefetch_row<0, 2>(row_ptr(p_->q, p_->q_strides, b_, rows_[r + i], next_h_), sd);
        }
      }
      float* dst = qt_ + (r / BQ) * d_ * BQ + r % BQ;  // column r % BQ of d row 0
      for (int64_t d0 = 0; d0 < vector_dims; d0 += W) pack_block(src, d0, dst);
      for (int i = 0; i < W && src[i]; i++) {
        for (int64_t d = vector_dims; d < d_; d++) dst[d * BQ + i] = src[i][d * sd] * factor_;
      }
    }
  }

  // dims [d0, d0 + W) of W rows (null: a row past the last) -> dst[d * BQ + i], scaled.
  void pack_block(const float* const (&src)[W], int64_t d0, float* dst) const {
    V block[W];
    const V factor = S::set1(factor_);
    for (int i = 0; i < W; i++)
      block[i] = src[i] ? S::mul(S::load(src[i] + d0), factor) : S::zero();
    S::transpose(block);
    for (int j = 0; j < W; j++) S::store(dst + (d0 + j) * BQ, block[j]);
  }

  // Asks for a row's cache lines: kWrite 1 for rows about to be written; kLocality 3 for rows
  // needed in a moment (L1), 2 for the next tile (L2).
  template <int kWrite, int kLocality>
  void prefetch_row(const float* row, int64_t stride) const {
    const char* bytes = reinterpret_cast<const char*>(row);
    const int64_t size = ((d_ - 1) * stride + 1) * 4;
    for (int64_t off = 0; off < size; off += 64) __builtin_prefetch(bytes + off, kWrite, kLocality);
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

  // st_[c0 + i][q .. q + NV*W) = sum_d k[c0 + i][d] * qt_[t][d][q ...] for MR_K keys, where
  // qt points at qt_[t][0][q]; folds the first `valid` keys' scores into tile_max_.
  template <int NV>
  void scores_micro(const float* qt, int64_t q, int64_t c0, int64_t valid) {
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
    for (int v = 0; v < NV; v++) {
      V m = tile_max_[q / W + v];
      for (int i = 0; i < S::MR_K; i++) {
        if (i < valid) m = S::max(m, acc[i][v]);
      }
      tile_max_[q / W + v] = m;
    }
  }

  // st_[c][q] for keys c < kn and the sub-tile's queries, in groups of up to S::NV_Q vectors
  // (short tails do less work).
  void scores(int64_t r0, int64_t nqv, int64_t kn) {
    const float* qt = qt_ + (r0 / BQ) * d_ * BQ;
    for (int64_t v = 0; v < nqv; v++) tile_max_[v] = S::set1(kNegInf);
    for (int64_t v0 = 0; v0 < nqv; v0 += S::NV_Q) {
      with_count<S::NV_Q>(nqv - v0, [&](auto nv) {
        for (int64_t c0 = 0; c0 < kn; c0 += S::MR_K) {
          scores_micro<nv>(qt + v0 * W, v0 * W, c0, kn - c0);
        }
      });
    }
  }

  // Keys whose mask word clears a row's bit get -inf for that row.
  void apply_masks(int64_t nqv, int64_t kn, const uint64_t* masks) {
    constexpr uint64_t kLanes = (uint64_t{1} << W) - 1;
    for (int64_t c = 0; c < kn; c++) {
      for (int64_t v = 0; v < nqv; v++) {
        const uint32_t keep = static_cast<uint32_t>((masks[c] >> (v * W)) & kLanes);
        if (keep == kLanes) continue;
        float* st = st_ + c * BQ + v * W;
        S::store(st, S::mask_neg_inf(S::load(st), keep));
      }
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
      const V tile_max = tile_max_[v];
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

  const AttentionParams* p_ = nullptr;
  int64_t d_ = 0, dp_ = 0;
  float factor_ = 0.0f;  // scale * log2(e), folded into q
  int64_t b_ = 0, h_ = 0, next_head_ = -1, next_h_ = -1, qn_ = 0;
  int64_t rows_[kRows] = {};
  float *qt_ = nullptr, *o_ = nullptr, *st_ = nullptr, *kpack_ = nullptr, *vpack_ = nullptr;
  float *m_ = nullptr, *l_ = nullptr, *alpha_ = nullptr;
  V tile_max_[BQ / W];  // per query vector: max score of the current key tile
};

// Chunks per worker that run_tasks aims at: a worker that wakes late or runs slower takes fewer.
constexpr int64_t kChunksPerWorker = 8;

// Runs work(engine, b, h, t) for every batch b, head h and t < per_head on the shared pool.
// Fails only when a worker could not get its scratch. Heads vary fastest, and a worker takes a
// chunk of consecutive tasks (up to all heads of one (b, t)): consecutive tasks read the same
// tokens' rows (neighbouring lines, the same pages), and within a chunk a task knows that the
// next one is the next head of the same rows and keys (TileEngine::set_next_head). This pays
// where each task's keys are its own, as in axial patterns over tensors far larger than the
// caches (96,000-token divided space-time: 15% faster than one task at a time in head-major
// order); dense attention: within noise; strided patterns on their former single tile plan: 15%
// slower (its column keys were reused from L2 by the next tile of the same head).
template <class S, class Work>
Status run_tasks(const AttentionParams& p, int64_t per_head, int max_threads, Work&& work) {
  const int64_t tasks = p.batch * p.heads * per_head;
  const int64_t workers = max_threads > 0 ? max_threads : default_thread_count();
  const int64_t chunk = std::clamp<int64_t>(tasks / (workers * kChunksPerWorker), 1, p.heads);
  std::atomic<bool> out_of_memory{false};
  parallel_for((tasks + chunk - 1) / chunk, max_threads, [&](int64_t c) {
    TileEngine<S> engine;
    if (!engine.init(p)) {
      out_of_memory = true;
      return;
    }
    const int64_t end = std::min(tasks, (c + 1) * chunk);
    for (int64_t task = c * chunk; task < end; task++) {
      const int64_t h = task % p.heads;
      engine.set_next_head(task + 1 < end && h + 1 < p.heads ? h + 1 : -1);
      work(engine, task / (per_head * p.heads), h, (task / p.heads) % per_head);
    }
  });
  if (out_of_memory) {
    return Status(StatusCode::kOutOfMemory, "attention: out of memory for tile buffers");
  }
  return Status::Ok();
}

}  // namespace tile_simd
}  // namespace tessera
