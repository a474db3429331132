// The tiled flash-attention forward kernel, written once over a SIMD traits type S
// (Avx512 or Avx2) and instantiated in a translation unit compiled for that ISA.
//
// For each (b, h, query tile of S::BQ rows): pack the tile of q (scaled by scale*log2(e)),
// then for each key tile of kBk keys pack k^T and v, compute the score tile with a register-
// blocked microkernel, update the running max / denominator (online softmax in exp2 form)
// and accumulate p v into the output tile. The Nq x Nk score matrix is never formed: extra
// memory per worker is O((BQ + kBk) * D).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "cpu/attention_common.h"
#include "tessera/attention.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace flash_simd {

using namespace attention_detail;

constexpr int64_t kBk = 64;  // keys per tile

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

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
class QueryTile {
 public:
  static constexpr int W = S::W;
  static constexpr int64_t BQ = S::BQ;
  static constexpr int64_t kKeyBlock = S::NV_QK * W;  // keys per q k^T microkernel

  // Returns false when the scratch buffer could not be allocated.
  bool init(const AttentionParams& p) {
    p_ = &p;
    d_ = p.head_dim;
    dp_ = round_up(d_, W);
    const size_t floats = static_cast<size_t>(2 * BQ * dp_ + BQ * kBk + 2 * kBk * dp_ + 3 * BQ);
    float* base = scratch_floats(floats);
    if (base == nullptr) return false;
    q_ = base;             // [BQ][dp]   q * scale * log2(e), zero padded
    o_ = q_ + BQ * dp_;    // [BQ][dp]   unnormalized output accumulator
    s_ = o_ + BQ * dp_;    // [BQ][kBk]  scores, then probabilities
    kt_ = s_ + BQ * kBk;   // [dp][kBk]  k^T of the key tile
    v_ = kt_ + dp_ * kBk;  // [kBk][dp]  v of the key tile
    m_ = v_ + kBk * dp_;   // [BQ]       running max (log2 units)
    l_ = m_ + BQ;          // [BQ]       running denominator
    alpha_ = l_ + BQ;      // [BQ]       rescale factor of the current key tile
    return true;
  }

  // Rows [q0, q0 + qn) of (b, h).
  void run(int64_t b, int64_t h, int64_t q0, int64_t qn) {
    b_ = b;
    h_ = h;
    q0_ = q0;
    qn_ = qn;
    rows_ = round_up(qn, S::MR);
    pack_q();
    std::fill(o_, o_ + rows_ * dp_, 0.0f);
    std::fill(m_, m_ + rows_, kNegInf);
    std::fill(l_, l_ + rows_, 0.0f);
    int64_t end = key_limit(*p_, b);
    if (p_->causal) end = std::min(end, q0 + qn);
    for (int64_t k0 = 0; k0 < end; k0 += kBk) {
      const int64_t kn = std::min(kBk, end - k0);
      pack_kv(k0, kn);
      scores(kn);
      softmax_update(k0, kn);
      accumulate_pv(kn);
    }
    write_out();
  }

 private:
  // q tile -> q_[r][d] = q[b, q0 + r, h, d] * scale * log2(e)
  void pack_q() {
    const float factor = p_->scale * kLog2e;
    const int64_t sd = p_->q_strides.dim;
    for (int64_t r = 0; r < rows_; r++) {
      float* dst = q_ + r * dp_;
      if (r < qn_) {
        const float* src = row_ptr(p_->q, p_->q_strides, b_, q0_ + r, h_);
        for (int64_t d = 0; d < d_; d++) dst[d] = src[d * sd] * factor;
        std::fill(dst + d_, dst + dp_, 0.0f);
      } else {
        std::fill(dst, dst + dp_, 0.0f);
      }
    }
  }

  // keys [k0, k0 + kn) -> kt_[d][c] (zero columns up to the key block), v_[c][d]
  void pack_kv(int64_t k0, int64_t kn) {
    const int64_t cols = round_up(kn, kKeyBlock);
    const int64_t skd = p_->k_strides.dim, svd = p_->v_strides.dim;
    for (int64_t c = 0; c < kn; c++) {
      const float* k = row_ptr(p_->k, p_->k_strides, b_, k0 + c, h_);
      for (int64_t d = 0; d < d_; d++) kt_[d * kBk + c] = k[d * skd];
      const float* v = row_ptr(p_->v, p_->v_strides, b_, k0 + c, h_);
      float* vdst = v_ + c * dp_;
      if (svd == 1) {
        std::memcpy(vdst, v, static_cast<size_t>(d_) * sizeof(float));
      } else {
        for (int64_t d = 0; d < d_; d++) vdst[d] = v[d * svd];
      }
      std::fill(vdst + d_, vdst + dp_, 0.0f);
    }
    for (int64_t d = 0; d < d_; d++) std::fill(kt_ + d * kBk + kn, kt_ + d * kBk + cols, 0.0f);
  }

  // s_[r][c] = sum_d q_[r][d] * kt_[d][c] for MR rows x kKeyBlock keys at (r0, c0).
  void scores_micro(int64_t r0, int64_t c0) {
    typename S::V acc[S::MR][S::NV_QK];
    for (int r = 0; r < S::MR; r++)
      for (int c = 0; c < S::NV_QK; c++) acc[r][c] = S::zero();
    const float* q = q_ + r0 * dp_;
    const float* kt = kt_ + c0;
    for (int64_t d = 0; d < d_; d++) {
      typename S::V kv[S::NV_QK];
      for (int c = 0; c < S::NV_QK; c++) kv[c] = S::load(kt + d * kBk + c * W);
      for (int r = 0; r < S::MR; r++) {
        const typename S::V qb = S::set1(q[r * dp_ + d]);
        for (int c = 0; c < S::NV_QK; c++) acc[r][c] = S::fmadd(qb, kv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < S::MR; r++)
      for (int c = 0; c < S::NV_QK; c++) S::store(s_ + (r0 + r) * kBk + c0 + c * W, acc[r][c]);
  }

  void scores(int64_t kn) {
    const int64_t cols = round_up(kn, kKeyBlock);
    for (int64_t r0 = 0; r0 < rows_; r0 += S::MR)
      for (int64_t c0 = 0; c0 < cols; c0 += kKeyBlock) scores_micro(r0, c0);
  }

  // Masks disallowed keys, then folds the tile into the running max and denominator and
  // turns s_ into probabilities relative to the new max.
  void softmax_update(int64_t k0, int64_t kn) {
    const int64_t cols = round_up(kn, kKeyBlock);
    for (int64_t r = 0; r < rows_; r++) {
      float* s = s_ + r * kBk;
      int64_t allowed = kn;
      if (p_->causal) allowed = std::clamp<int64_t>(q0_ + r - k0 + 1, 0, kn);
      std::fill(s + allowed, s + cols, kNegInf);
      typename S::V vmax = S::load(s);
      for (int64_t c = W; c < cols; c += W) vmax = S::max(vmax, S::load(s + c));
      const float m_new = std::max(m_[r], S::reduce_max(vmax));
      const float m_use = m_new == kNegInf ? 0.0f : m_new;  // all masked so far: p = 0, not NaN
      const typename S::V vm = S::set1(m_use);
      typename S::V vsum = S::zero();
      for (int64_t c = 0; c < cols; c += W) {
        const typename S::V e = S::exp2(S::sub(S::load(s + c), vm));
        S::store(s + c, e);
        vsum = S::add(vsum, e);
      }
      alpha_[r] = std::exp2(m_[r] - m_use);  // 0 when m_[r] = -inf
      l_[r] = l_[r] * alpha_[r] + S::reduce_add(vsum);
      m_[r] = m_new;
    }
  }

  // o_[r][d0 .. d0 + NV*W) = alpha[r] * o_ + sum_c s_[r][c] * v_[c][...] for MR rows.
  template <int NV>
  void pv_micro(int64_t r0, int64_t d0, int64_t kn) {
    typename S::V acc[S::MR][NV];
    for (int r = 0; r < S::MR; r++) {
      const typename S::V a = S::set1(alpha_[r0 + r]);
      for (int c = 0; c < NV; c++) acc[r][c] = S::mul(a, S::load(o_ + (r0 + r) * dp_ + d0 + c * W));
    }
    const float* pr = s_ + r0 * kBk;
    for (int64_t j = 0; j < kn; j++) {
      typename S::V vv[NV];
      for (int c = 0; c < NV; c++) vv[c] = S::load(v_ + j * dp_ + d0 + c * W);
      for (int r = 0; r < S::MR; r++) {
        const typename S::V pb = S::set1(pr[r * kBk + j]);
        for (int c = 0; c < NV; c++) acc[r][c] = S::fmadd(pb, vv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < S::MR; r++)
      for (int c = 0; c < NV; c++) S::store(o_ + (r0 + r) * dp_ + d0 + c * W, acc[r][c]);
  }

  template <int NV>
  void pv_chunk(int64_t r0, int64_t d0, int64_t nv, int64_t kn) {
    if constexpr (NV > 1) {
      if (nv < NV) return pv_chunk<NV - 1>(r0, d0, nv, kn);
    }
    pv_micro<NV>(r0, d0, kn);
  }

  void accumulate_pv(int64_t kn) {
    const int64_t chunk = S::NV_PV * W;
    for (int64_t r0 = 0; r0 < rows_; r0 += S::MR) {
      for (int64_t d0 = 0; d0 < dp_; d0 += chunk) {
        pv_chunk<S::NV_PV>(r0, d0, std::min<int64_t>(S::NV_PV, (dp_ - d0) / W), kn);
      }
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
  int64_t b_ = 0, h_ = 0, q0_ = 0, qn_ = 0, rows_ = 0;
  float *q_ = nullptr, *o_ = nullptr, *s_ = nullptr, *kt_ = nullptr, *v_ = nullptr;
  float *m_ = nullptr, *l_ = nullptr, *alpha_ = nullptr;
};

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// Parallel over (b, h, query tile). Fails only when a worker could not get its scratch.
template <class S>
Status run_flash_attention(const AttentionParams& p, int max_threads) {
  constexpr int64_t kBq = QueryTile<S>::BQ;
  const int64_t tiles = (p.seq_q + kBq - 1) / kBq;
  std::atomic<bool> out_of_memory{false};
  parallel_for(p.batch * p.heads * tiles, max_threads, [&](int64_t task) {
    const int64_t t = task % tiles;
    const int64_t h = (task / tiles) % p.heads;
    const int64_t b = task / (tiles * p.heads);
    QueryTile<S> tile;
    if (!tile.init(p)) {
      out_of_memory = true;
      return;
    }
    tile.run(b, h, t * kBq, std::min(kBq, p.seq_q - t * kBq));
  });
  if (out_of_memory) {
    return Status(StatusCode::kOutOfMemory, "attention: out of memory for tile buffers");
  }
  return Status::Ok();
}

}  // namespace flash_simd
}  // namespace tessera
