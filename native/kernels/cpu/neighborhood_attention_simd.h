// The direct neighborhood attention kernel, written once over a SIMD traits type S (Avx512 or
// Avx2) and a lane-permutation type P (its index vector, permute and gather), instantiated in a
// file compiled for that ISA. It computes exactly the pairs of the windows (plus the global
// positions outside the grid), where the tile kernel computes whole boxes of keys.
//
// The grid is cut into lines along its last axis (NeighborhoodPlan). A task is a run of groups
// of neighbouring lines for one (b, h); the lines of a group see mostly the same key lines.
// Key lines are copied into a per-thread cache on first use: k transposed (k^T: [D][columns],
// zero padded), v as rows. Scores: queries sit in SIMD lanes, W consecutive columns of a line (a
// column vector). For window slot s, lane x needs key column col_start[x] + s * dilation; inside
// the grid these columns are consecutive across lanes, so one unaligned load of k^T[d] gives
// the key of every lane; at the borders (clamped windows) a permutation of the same load does
// (a gather when the lanes' columns span more than W). Per line the scores of all slots are kept
// ([slot][W]) and the softmax runs per lane over the slots. Then p v per query row: its
// probabilities (broadcast) times its keys' v rows, then written into the output row. The lines
// of a group that see a key line share each of its loads (their lanes need the same columns).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "common/scratch.h"
#include "cpu/attention_common.h"
#include "cpu/pattern_attention_simd.h"
#include "tessera/pattern.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace neighborhood_simd {

using namespace attention_detail;
using tile_simd::round_up;
using tile_simd::with_count;

// How the lanes of a column vector fetch their key column for a slot.
enum class Fetch {
  kContiguous,  // lane i: base + i (every lane's window is centred)
  kPermute,     // lane i: base + index[i], index < W (clamped windows at a border)
  kGather,      // lane i: index[i] (the lanes' columns span more than W)
};

constexpr int kGroup = static_cast<int>(kNeighborhoodGroup);

// One key line of a group: its id and, per line r of the group, whether r sees it and the
// index of it among the key lines r sees (its first score slot: that times the vector's slots).
struct KeyLineRef {
  int32_t id;
  int32_t sees;  // bit r: line r of the group sees it
  int32_t order[kGroup];
};

template <class S, class P>
class NeighborhoodEngine {
 public:
  using V = typename S::V;
  using I = typename P::I;
  static constexpr int W = S::W;
  // Register blocks: lines per pass (those that see a key line, up to kLines at once), score
  // slots per pass (kLines * kSlots accumulators; the AVX2 shape leaves room in 16 registers)
  // and vectors of head dims per p v pass.
  static constexpr int kLines = W == 16 ? 3 : 2;
  static constexpr int kSlots = W == 16 ? 7 : 5;
  static constexpr int kDimVectors = 4;
  static constexpr int kGlobalBlock = 4;  // global keys per scores pass

  // Returns false when the scratch buffer could not be allocated.
  bool init(const AttentionParams& p, const NeighborhoodPlan& nb) {
    p_ = &p;
    nb_ = &nb;
    d_ = p.head_dim;
    dp_ = round_up(d_, W);
    factor_ = p.scale * kLog2e;
    line_ = nb.line_length;
    // The farthest column a fetch reads is below L + dilation + W - 1 (see set_columns).
    ldk_ = line_ + nb.dilation + W;
    globals_ = p.seq_k - nb.lines * line_;
    int64_t most_slots = 0;
    for (int32_t c : nb.col_count) most_slots = std::max<int64_t>(most_slots, c);
    slots_ = nb.max_key_lines * most_slots + globals_;
    const int64_t cache = nb.cache_lines;
    kline_floats_ = round_up(d_ * ldk_, W);
    vline_floats_ = line_ * dp_;
    const size_t floats = static_cast<size_t>(
        round_up(cache, W) + cache * (kline_floats_ + vline_floats_) + round_up(globals_ * d_, W) +
        globals_ * dp_ + kGroup * (d_ * W + slots_ * W + 2 * W) + kGroup * W * dp_ +
        round_up(key_refs_floats(), W) + 2 * queue_capacity());
    float* base = thread_scratch_floats(floats);
    if (base == nullptr) return false;
    tags_ = reinterpret_cast<int32_t*>(base);   // [cache]   key line held by each cache entry
    kcache_ = base + round_up(cache, W);        // [cache][D][ldk]  k^T of key lines
    vcache_ = kcache_ + cache * kline_floats_;  // [cache][L][dp]   v rows of key lines
    kg_ = vcache_ + cache * vline_floats_;      // [G][D]    k rows of the global keys
    vg_ = kg_ + round_up(globals_ * d_, W);     // [G][dp]   v rows of the global keys
    qt_ = vg_ + globals_ * dp_;                 // [G][D][W] q^T * scale * log2(e) per line
    sc_ = qt_ + kGroup * d_ * W;                // [G][slots][W] scores, then probabilities
    m_ = sc_ + kGroup * slots_ * W;             // [G][W]    max score (log2 units)
    l_ = m_ + kGroup * W;                       // [G][W]    softmax denominator
    ob_ = l_ + kGroup * W;                      // [G][W][dp] unnormalized output rows
    float* refs = ob_ + kGroup * W * dp_;
    keys_ = reinterpret_cast<KeyLineRef*>(refs);  // the key lines of a group
    queue_ = reinterpret_cast<const float**>(refs + round_up(key_refs_floats(), W));
    std::fill(tags_, tags_ + cache, -1);
    return true;
  }

  // Groups [first, first + count) of the plan for (b, h).
  void run(int64_t b, int64_t h, int64_t first, int64_t count) {
    b_ = b;
    h_ = h;
    limit_ = key_limit(*p_, b);
    pack_globals();
    for (int64_t t = first; t < first + count; t++) {
      const int64_t line = nb_->groups[t];
      const int lines = nb_->group_lines[t];
      gather_key_lines(line, lines);
      queue_next_group(t + 1 < first + count ? t + 1 : -1);
      for (int64_t x0 = 0; x0 < line_; x0 += W) {
        Columns c;
        set_columns(x0, &c);
        prefetch_vector(line, lines, c);
        switch (c.fetch) {
          case Fetch::kContiguous:
            attend_columns<Fetch::kContiguous>(line, lines, c);
            break;
          case Fetch::kPermute:
            attend_columns<Fetch::kPermute>(line, lines, c);
            break;
          case Fetch::kGather:
            attend_columns<Fetch::kGather>(line, lines, c);
            break;
        }
      }
    }
  }

 private:
  // The queries x0 .. x0 + W - 1 of a line (lanes past `valid` are padding and repeat the last
  // valid lane's window).
  struct Columns {
    int64_t x0 = 0, valid = 0;
    int64_t base = 0;     // column that slot 0 of lane 0 fetches from (gather: 0)
    int64_t slots = 0;    // most key columns of a lane
    bool ragged = false;  // some lanes have fewer key columns: the rest are masked
    Fetch fetch = Fetch::kContiguous;
    alignas(64) int32_t index[W];  // permute: column - base; gather: column, of slot 0
    alignas(64) float end[W];      // column past the lane's window (col_start + count * dilation)
    alignas(64) float start[W];    // column of the lane's slot 0
    alignas(64) float self[W];     // the lane's own column + 1 (causal bound on its own line)
  };

  // Fetches slot keys for the lanes of a column vector from a row of k^T or v^T.
  template <Fetch F>
  struct Fetcher {
    I index;
    // row: the row at the slot's base column.
    V operator()(const float* row) const {
      if constexpr (F == Fetch::kContiguous) {
        return S::load(row);
      } else if constexpr (F == Fetch::kPermute) {
        return P::permute(S::load(row), index);
      } else {
        return P::gather(row, index);
      }
    }
  };

  // Lane i reads column col_start + s * dilation. In contiguous and permute mode it reads the W
  // columns from base + s * dilation, base the smallest col_start: a lane with col_start = base
  // has count >= slots - 1 (window counts differ by at most one between dilation groups), so
  // base + (slots - 1) * dilation <= L - 1 + dilation and every read is below L + dilation + W.
  void set_columns(int64_t x0, Columns* c) const {
    const int32_t* start = nb_->col_start.data();
    const int32_t* count = nb_->col_count.data();
    c->x0 = x0;
    c->valid = std::min<int64_t>(W, line_ - x0);
    int64_t lo = start[x0], hi = start[x0];
    int64_t fewest = count[x0];
    c->slots = count[x0];
    bool consecutive = true;
    for (int64_t i = 0; i < c->valid; i++) {
      lo = std::min<int64_t>(lo, start[x0 + i]);
      hi = std::max<int64_t>(hi, start[x0 + i]);
      fewest = std::min<int64_t>(fewest, count[x0 + i]);
      c->slots = std::max<int64_t>(c->slots, count[x0 + i]);
      consecutive = consecutive && start[x0 + i] == start[x0] + i;
    }
    c->ragged = fewest < c->slots;
    c->fetch = consecutive ? Fetch::kContiguous : hi - lo < W ? Fetch::kPermute : Fetch::kGather;
    c->base = c->fetch == Fetch::kGather ? 0 : lo;
    for (int i = 0; i < W; i++) {
      const int64_t x = x0 + std::min<int64_t>(i, c->valid - 1);
      c->index[i] = static_cast<int32_t>(start[x] - c->base);
      c->start[i] = static_cast<float>(start[x]);
      c->end[i] = static_cast<float>(start[x] + count[x] * nb_->dilation);
      c->self[i] = static_cast<float>(x + 1);
    }
  }

  int64_t position(int64_t line, int64_t x) const { return nb_->offset + line * line_ + x; }

  // kg_, vg_: the k and v rows of the global keys this batch's queries may see (before the grid;
  // after it too unless causal), below the key length.
  void pack_globals() {
    globals_seen_ = 0;
    const int64_t grid_end = nb_->offset + nb_->lines * line_;
    for (int64_t j = 0; j < limit_; j++) {
      if (j == nb_->offset) j = grid_end;
      if (j >= limit_ || (p_->causal && j >= grid_end)) break;
      copy_row(row_ptr(p_->k, p_->k_strides, b_, j, h_), p_->k_strides.dim,
               kg_ + globals_seen_ * d_);
      copy_padded_row(row_ptr(p_->v, p_->v_strides, b_, j, h_), p_->v_strides.dim,
                      vg_ + globals_seen_ * dp_);
      globals_seen_++;
    }
  }

  void copy_row(const float* src, int64_t stride, float* dst) const {
    for (int64_t d = 0; d < d_; d++) dst[d] = src[d * stride];
  }

  // copy_row, then zeros up to dp.
  void copy_padded_row(const float* src, int64_t stride, float* dst) const {
    if (stride == 1) {
      int64_t d = 0;
      for (; d + W <= d_; d += W) S::store(dst + d, S::load(src + d));
      for (; d < d_; d++) dst[d] = src[d];
    } else {
      copy_row(src, stride, dst);
    }
    std::fill(dst + d_, dst + dp_, 0.0f);
  }

  // Asks the cache for a row's lines: kWrite 1 for rows about to be written; kLocality 3 for
  // rows needed in a moment (L1), 1 for the next group (L2).
  template <int kWrite, int kLocality>
  void prefetch_row(const float* row, int64_t stride) const {
    const char* bytes = reinterpret_cast<const char*>(row);
    const int64_t size = ((d_ - 1) * stride + 1) * 4;
    for (int64_t off = 0; off < size; off += 64) __builtin_prefetch(bytes + off, kWrite, kLocality);
  }

  // The q rows and output rows of a column vector (rows are scattered, beyond the hardware
  // prefetcher): q for the next vector, out for this one, which is written last.
  void prefetch_vector(int64_t line, int lines, const Columns& c) const {
    const int64_t next = c.x0 + W < line_ ? c.x0 + W : -1;
    for (int r = 0; r < lines; r++) {
      for (int64_t i = 0; i < c.valid; i++) {
        const int64_t j = position(line + r, c.x0 + i);
        prefetch_row<1, 3>(row_ptr(p_->out, p_->out_strides, b_, j, h_), p_->out_strides.dim);
      }
      for (int64_t x = next; x >= 0 && x < std::min(line_, next + W); x++) {
        const int64_t j = position(line + r, x);
        prefetch_row<0, 3>(row_ptr(p_->q, p_->q_strides, b_, j, h_), p_->q_strides.dim);
      }
    }
  }

  int64_t key_refs_floats() const {
    return kGroup * nb_->max_key_lines * static_cast<int64_t>(sizeof(KeyLineRef) / sizeof(float));
  }

  // Most rows queued for prefetching: the next group's key lines (k and v) and first q rows.
  int64_t queue_capacity() const { return kGroup * (nb_->max_key_lines * line_ * 2 + W); }

  // Queues the rows group t (if >= 0) will read first from memory, to be asked for (into L2)
  // bit by bit while this group computes: the k and v rows of its key lines that are not cached
  // and the q rows of its first column vector.
  void queue_next_group(int64_t t) {
    queued_ = 0;
    next_queued_ = 0;
    if (t < 0) return;
    const int64_t line = nb_->groups[t];
    const int64_t last = line + nb_->group_lines[t] - 1;
    const int32_t* ids = nb_->key_lines.data();
    const int64_t* at = nb_->key_line_start.data();
    for (int64_t k = at[line]; k < at[last + 1]; k++) {
      const int64_t u = ids[k];
      if (tags_[u % nb_->cache_lines] == u || !visible(last, u)) continue;
      if (k >= at[line + 1] && std::find(ids + at[line], ids + k, u) != ids + k) continue;
      for (int64_t x = 0; x < line_; x++) {
        queue_[queued_++] = row_ptr(p_->k, p_->k_strides, b_, position(u, x), h_);
        queue_[queued_++] = row_ptr(p_->v, p_->v_strides, b_, position(u, x), h_);
      }
    }
    for (int64_t r = line; r <= last; r++) {
      for (int64_t x = 0; x < std::min<int64_t>(W, line_); x++) {
        queue_[queued_++] = row_ptr(p_->q, p_->q_strides, b_, position(r, x), h_);
      }
    }
    // Drained at every key line of every column vector, twice (scores, then p v).
    const int64_t points = 2 * ((line_ + W - 1) / W) * std::max<int64_t>(key_count_, 1);
    per_point_ = (queued_ + points - 1) / points;
  }

  // Asks for the next few queued rows.
  void drain_queue() {
    const int64_t end = std::min(queued_, next_queued_ + per_point_);
    for (; next_queued_ < end; next_queued_++) {
      prefetch_row<0, 1>(queue_[next_queued_], p_->k_strides.dim);
    }
  }

  // Whether line `line` sees key line u under causal and the key length (the window aside).
  bool visible(int64_t line, int64_t u) const {
    return (!p_->causal || u <= line) && position(u, 0) < limit_;
  }

  // keys_: the merged key lines of the group's lines (ascending), each made resident.
  void gather_key_lines(int64_t line, int lines) {
    const int32_t* ids = nb_->key_lines.data();
    const int64_t* at = nb_->key_line_start.data();
    int64_t pos[kGroup] = {}, end[kGroup] = {};
    for (int r = 0; r < lines; r++) {
      pos[r] = at[line + r];
      end[r] = at[line + r + 1];
      lines_seen_[r] = 0;
    }
    key_count_ = 0;
    for (;;) {
      int64_t u = INT64_MAX;
      for (int r = 0; r < lines; r++) {
        if (pos[r] < end[r]) u = std::min<int64_t>(u, ids[pos[r]]);
      }
      if (u == INT64_MAX) break;
      KeyLineRef ref{static_cast<int32_t>(u), 0, {}};
      for (int r = 0; r < lines; r++) {
        if (pos[r] < end[r] && ids[pos[r]] == u) {
          pos[r]++;
          if (!visible(line + r, u)) continue;
          ref.sees |= 1 << r;
          ref.order[r] = static_cast<int32_t>(lines_seen_[r]++);
        }
      }
      if (ref.sees == 0) continue;
      keys_[key_count_++] = ref;
      make_resident(u);
    }
  }

  // Calls f(R, rs) for the lines rs[0 .. R) of the group that `sees` names (ascending), at most
  // kLines at a time; R is a std::integral_constant.
  template <class F>
  static void for_lines(int sees, F&& f) {
    int rs[kGroup];
    int n = 0;
    for (int r = 0; r < kGroup; r++) {
      if ((sees >> r) & 1) rs[n++] = r;
    }
    for (int at = 0; at < n;) {
      with_count<kLines>(n - at, [&](auto lines) {
        f(lines, rs + at);
        at += lines;
      });
    }
  }

  float* kline(int64_t u) const { return kcache_ + (u % nb_->cache_lines) * kline_floats_; }
  float* vline(int64_t u) const { return vcache_ + (u % nb_->cache_lines) * vline_floats_; }

  void make_resident(int64_t u) {
    int32_t& tag = tags_[u % nb_->cache_lines];
    if (tag == u) return;
    transpose_line(p_->k, p_->k_strides, u, kline(u));
    float* v = vline(u);
    for (int64_t x = 0; x < line_; x++) {
      copy_padded_row(row_ptr(p_->v, p_->v_strides, b_, position(u, x), h_), p_->v_strides.dim,
                      v + x * dp_);
    }
    tag = static_cast<int32_t>(u);
  }

  // dst[d * ldk + x] = src[b, position(u, x), h, d]; columns L .. ldk - 1 zero. Blocks of W
  // columns x W dims are transposed in registers (unit dim stride), the rest element-wise.
  void transpose_line(const float* src, const Strides4& s, int64_t u, float* dst) const {
    const int64_t vector_dims = s.dim == 1 ? d_ / W * W : 0;
    int64_t x0 = 0;
    for (; x0 + W <= line_ && vector_dims > 0; x0 += W) {
      const float* rows[W];
      for (int i = 0; i < W; i++) rows[i] = row_ptr(src, s, b_, position(u, x0 + i), h_);
      for (int64_t d0 = 0; d0 < vector_dims; d0 += W) {
        V block[W];
        for (int i = 0; i < W; i++) block[i] = S::load(rows[i] + d0);
        S::transpose(block);
        for (int j = 0; j < W; j++) S::store(dst + (d0 + j) * ldk_ + x0, block[j]);
      }
      for (int64_t d = vector_dims; d < d_; d++) {
        for (int i = 0; i < W; i++) dst[d * ldk_ + x0 + i] = rows[i][d];
      }
    }
    for (int64_t x = x0; x < line_; x++) {
      const float* row = row_ptr(src, s, b_, position(u, x), h_);
      for (int64_t d = 0; d < d_; d++) dst[d * ldk_ + x] = row[d * s.dim];
    }
    for (int64_t d = 0; d < d_; d++) std::fill(dst + d * ldk_ + line_, dst + (d + 1) * ldk_, 0.0f);
  }

  // qt: q^T of the vector's queries on `line`, scaled by scale * log2(e); padding lanes zero.
  void pack_q(int64_t line, const Columns& c, float* qt) const {
    const Strides4& s = p_->q_strides;
    const int64_t vector_dims = s.dim == 1 ? d_ / W * W : 0;
    const float* rows[W];
    for (int i = 0; i < c.valid; i++) rows[i] = row_ptr(p_->q, s, b_, position(line, c.x0 + i), h_);
    const V factor = S::set1(factor_);
    for (int64_t d0 = 0; d0 < vector_dims; d0 += W) {
      V block[W];
      for (int i = 0; i < W; i++) {
        block[i] = i < c.valid ? S::mul(S::load(rows[i] + d0), factor) : S::zero();
      }
      S::transpose(block);
      for (int j = 0; j < W; j++) S::store(qt + (d0 + j) * W, block[j]);
    }
    for (int64_t d = vector_dims; d < d_; d++) {
      for (int i = 0; i < W; i++) qt[d * W + i] = i < c.valid ? rows[i][d * s.dim] * factor_ : 0.0f;
    }
  }

  // Scores of NS slots of one key line for R lines: sc[r][s] = sum_d qt[r][d] * key(d, s), where
  // kt is k^T at the first slot's base column.
  template <int R, int NS, Fetch F>
  void scores_slots(const float* const (&qt)[R], const float* kt, const Fetcher<F>& fetch,
                    float* const (&sc)[R]) const {
    V acc[R][NS];
    for (int r = 0; r < R; r++)
      for (int s = 0; s < NS; s++) acc[r][s] = S::zero();
    const int64_t dil = nb_->dilation;
    for (int64_t d = 0; d < d_; d++) {
      V q[R];
      for (int r = 0; r < R; r++) q[r] = S::load(qt[r] + d * W);
      const float* row = kt + d * ldk_;
      for (int s = 0; s < NS; s++) {
        const V k = fetch(row + s * dil);
        for (int r = 0; r < R; r++) acc[r][s] = S::fmadd(q[r], k, acc[r][s]);
      }
    }
    for (int r = 0; r < R; r++)
      for (int s = 0; s < NS; s++) S::store(sc[r] + s * W, acc[r][s]);
  }

  // Scores of NG global keys (rows of kg) for R lines.
  template <int R, int NG>
  void scores_globals(const float* const (&qt)[R], const float* kg, float* const (&sc)[R]) const {
    V acc[R][NG];
    for (int r = 0; r < R; r++)
      for (int g = 0; g < NG; g++) acc[r][g] = S::zero();
    for (int64_t d = 0; d < d_; d++) {
      V q[R];
      for (int r = 0; r < R; r++) q[r] = S::load(qt[r] + d * W);
      for (int g = 0; g < NG; g++) {
        const V k = S::set1(kg[g * d_ + d]);
        for (int r = 0; r < R; r++) acc[r][g] = S::fmadd(q[r], k, acc[r][g]);
      }
    }
    for (int r = 0; r < R; r++)
      for (int g = 0; g < NG; g++) S::store(sc[r] + g * W, acc[r][g]);
  }

  float* scores_of(int r) const { return sc_ + r * slots_ * W; }
  const float* qt_of(int r) const { return qt_ + r * d_ * W; }

  // The scores of one key line for the lines rs[0 .. R) of the group.
  template <int R, Fetch F>
  void line_scores(const int* rs, const KeyLineRef& ref, const Columns& c,
                   const Fetcher<F>& fetch) {
    const float* qt[R];
    float* sc[R];
    for (int r = 0; r < R; r++) {
      qt[r] = qt_of(rs[r]);
      sc[r] = scores_of(rs[r]) + ref.order[rs[r]] * c.slots * W;
    }
    const float* kt = kline(ref.id) + c.base;
    for (int64_t s0 = 0; s0 < c.slots; s0 += kSlots) {
      with_count<kSlots>(c.slots - s0, [&](auto ns) {
        float* at[R];
        for (int r = 0; r < R; r++) at[r] = sc[r] + s0 * W;
        scores_slots<R, ns>(qt, kt + s0 * nb_->dilation, fetch, at);
      });
    }
  }

  // The scores of the global keys for the lines rs[0 .. R) of the group.
  template <int R>
  void global_scores(const int* rs, const Columns& c) {
    const float* qt[R];
    for (int r = 0; r < R; r++) qt[r] = qt_of(rs[r]);
    for (int64_t g0 = 0; g0 < globals_seen_; g0 += kGlobalBlock) {
      with_count<kGlobalBlock>(globals_seen_ - g0, [&](auto ng) {
        float* sc[R];
        for (int r = 0; r < R; r++) {
          sc[r] = scores_of(rs[r]) + (lines_seen_[rs[r]] * c.slots + g0) * W;
        }
        scores_globals<R, ng>(qt, kg_ + g0 * d_, sc);
      });
    }
  }

  // Hides slots past a lane's window (ragged vectors), at or past the key length, and (causal)
  // after the lane's own column on its own line: score -inf.
  void mask_scores(int64_t line, int r, const Columns& c) {
    float* sc = scores_of(r);
    const V start = S::load(c.start);
    const V end = S::load(c.end);
    const V self = S::load(c.self);
    const V neg_inf = S::set1(kNegInf);
    const V dil = S::set1(static_cast<float>(nb_->dilation));
    for (int64_t k = 0; k < key_count_; k++) {
      const KeyLineRef& ref = keys_[k];
      if (!((ref.sees >> r) & 1)) continue;
      const int64_t limit = limit_ - position(ref.id, 0);  // columns below the key length
      const bool own = p_->causal && ref.id == line + r;
      if (!c.ragged && limit >= line_ && !own) continue;
      V bound = S::min(end, S::set1(static_cast<float>(std::min(limit, line_))));
      if (own) bound = S::min(bound, self);
      float* slot = sc + ref.order[r] * c.slots * W;
      V col = start;
      for (int64_t s = 0; s < c.slots; s++, col = S::add(col, dil)) {
        S::store(slot + s * W, S::select(S::less(col, bound), S::load(slot + s * W), neg_inf));
      }
    }
  }

  // Scores -> probabilities (relative to the lane's max), per lane; m_ and l_ of line r.
  void softmax(int r, int64_t count) {
    float* sc = scores_of(r);
    V m = S::set1(kNegInf);
    for (int64_t s = 0; s < count; s++) m = S::max(m, S::load(sc + s * W));
    const V m_use = S::zero_neginf(m);  // all hidden: p = 0, never NaN
    V l = S::zero();
    for (int64_t s = 0; s < count; s++) {
      const V e = S::exp2(S::sub(S::load(sc + s * W), m_use));
      S::store(sc + s * W, e);
      l = S::add(l, e);
    }
    S::store(m_ + r * W, m);
    S::store(l_ + r * W, l);
  }

  // acc[r] += sum over `count` slots of p[r][slot] (lane value) * the slot's v row, for the
  // lines r that see the key line; v: the row of the first slot, at the first head dim.
  template <int R, int NV>
  void pv_slots(float* const (&acc)[R], const float* const (&p)[R], const float* v,
                int64_t count) const {
    V a[R][NV];
    for (int r = 0; r < R; r++)
      for (int j = 0; j < NV; j++) a[r][j] = S::load(acc[r] + j * W);
    const int64_t step = nb_->dilation * dp_;
    for (int64_t s = 0; s < count; s++, v += step) {
      V ps[R];
      for (int r = 0; r < R; r++) ps[r] = S::set1(p[r][s * W]);
      for (int j = 0; j < NV; j++) {
        const V x = S::load(v + j * W);
        for (int r = 0; r < R; r++) a[r][j] = S::fmadd(ps[r], x, a[r][j]);
      }
    }
    for (int r = 0; r < R; r++)
      for (int j = 0; j < NV; j++) S::store(acc[r] + j * W, a[r][j]);
  }

  float* out_acc(int r, int64_t i) const { return ob_ + (r * W + i) * dp_; }

  // The slots of one key line into the output accumulators of the vector's lanes, for the
  // lines rs[0 .. R) of the group.
  template <int R>
  void pv_key_line(const int* rs, const KeyLineRef& ref, const Columns& c) const {
    const float* vl = vline(ref.id);
    for (int64_t i = 0; i < c.valid; i++) {
      const int64_t x = c.x0 + i;
      const float* p[R];
      for (int r = 0; r < R; r++) p[r] = scores_of(rs[r]) + ref.order[rs[r]] * c.slots * W + i;
      for (int64_t d0 = 0; d0 < dp_; d0 += kDimVectors * W) {
        float* acc[R];
        for (int r = 0; r < R; r++) acc[r] = out_acc(rs[r], i) + d0;
        with_count<kDimVectors>((dp_ - d0) / W, [&](auto nv) {
          pv_slots<R, nv>(acc, p, vl + nb_->col_start[x] * dp_ + d0, nb_->col_count[x]);
        });
      }
    }
  }

  // The global keys into the output accumulators of line r.
  void pv_globals(int r, const Columns& c) const {
    const float* sc = scores_of(r) + lines_seen_[r] * c.slots * W;
    for (int64_t i = 0; i < c.valid; i++) {
      for (int64_t d0 = 0; d0 < dp_; d0 += W) {
        V a = S::load(out_acc(r, i) + d0);
        for (int64_t g = 0; g < globals_seen_; g++) {
          a = S::fmadd(S::set1(sc[g * W + i]), S::load(vg_ + g * dp_ + d0), a);
        }
        S::store(out_acc(r, i) + d0, a);
      }
    }
  }

  // Output rows of line r's lanes: the accumulators divided by the denominators; and lse.
  void store_rows(int64_t line, int r, const Columns& c) const {
    const int64_t sd = p_->out_strides.dim;
    const int64_t vector_dims = sd == 1 ? d_ / W * W : 0;
    float* lse = lse_ptr(*p_, b_, h_);
    for (int64_t i = 0; i < c.valid; i++) {
      const int64_t j = position(line + r, c.x0 + i);
      float* row = row_ptr(p_->out, p_->out_strides, b_, j, h_);
      const float l = l_[r * W + i];
      const float inv_l = l > 0.0f ? 1.0f / l : 0.0f;
      const float* acc = out_acc(r, i);
      for (int64_t d = 0; d < vector_dims; d += W) {
        S::store(row + d, S::mul(S::load(acc + d), S::set1(inv_l)));
      }
      for (int64_t d = vector_dims; d < d_; d++) row[d * sd] = acc[d] * inv_l;
      if (lse) lse[j] = lse_from(m_[r * W + i], l);
    }
  }

  // One column vector of the group's lines: scores, masks, softmax, p v, output.
  template <Fetch F>
  void attend_columns(int64_t line, int lines, const Columns& c) {
    Fetcher<F> fetch{P::load_index(c.index)};
    for (int r = 0; r < lines; r++) pack_q(line + r, c, qt_ + r * d_ * W);
    for (int64_t k = 0; k < key_count_; k++) {
      const KeyLineRef& ref = keys_[k];
      for_lines(ref.sees, [&](auto n, const int* rs) { line_scores<n>(rs, ref, c, fetch); });
      drain_queue();
    }
    for_lines((1 << lines) - 1, [&](auto n, const int* rs) { global_scores<n>(rs, c); });
    for (int r = 0; r < lines; r++) {
      mask_scores(line, r, c);
      softmax(r, lines_seen_[r] * c.slots + globals_seen_);
    }
    std::fill(ob_, ob_ + lines * W * dp_, 0.0f);
    for (int64_t k = 0; k < key_count_; k++) {
      const KeyLineRef& ref = keys_[k];
      for_lines(ref.sees, [&](auto n, const int* rs) { pv_key_line<n>(rs, ref, c); });
      drain_queue();
    }
    for (int r = 0; r < lines; r++) {
      pv_globals(r, c);
      store_rows(line, r, c);
    }
  }

  const AttentionParams* p_ = nullptr;
  const NeighborhoodPlan* nb_ = nullptr;
  int64_t d_ = 0, dp_ = 0, line_ = 0, ldk_ = 0, globals_ = 0, slots_ = 0;
  int64_t kline_floats_ = 0, vline_floats_ = 0;
  float factor_ = 0.0f;  // scale * log2(e), folded into q
  int64_t b_ = 0, h_ = 0, limit_ = 0, globals_seen_ = 0, key_count_ = 0;
  int64_t lines_seen_[kGroup] = {};                       // key lines each line of the group sees
  int64_t queued_ = 0, next_queued_ = 0, per_point_ = 0;  // the prefetch queue
  const float** queue_ = nullptr;
  int32_t* tags_ = nullptr;
  KeyLineRef* keys_ = nullptr;
  float *kcache_ = nullptr, *vcache_ = nullptr, *kg_ = nullptr, *vg_ = nullptr;
  float *qt_ = nullptr, *sc_ = nullptr, *m_ = nullptr, *l_ = nullptr, *ob_ = nullptr;
};

// Runs of groups per (b, h): enough tasks to balance the threads, few enough that each task
// reuses its key lines. (A template on S, as everything in this header, so that the AVX2 and
// AVX-512 files never share one out-of-line copy.)
template <class S>
int64_t group_runs(const AttentionParams& p, int64_t groups, int max_threads) {
  const int64_t threads = max_threads > 0 ? max_threads : default_thread_count();
  const int64_t wanted = (4 * threads + p.batch * p.heads - 1) / (p.batch * p.heads);
  return std::clamp<int64_t>(wanted, 1, groups);
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// The grid rows with the direct kernel, the rows outside the grid (global queries: they see
// every key) with the tile kernel on the plan's query tiles.
template <class S, class P>
Status run_neighborhood_attention(const AttentionParams& p, const CompiledPattern& plan,
                                  int max_threads) {
  const NeighborhoodPlan& nb = *plan.neighborhood;
  const int64_t groups = static_cast<int64_t>(nb.groups.size());
  const int64_t runs = group_runs<S>(p, groups, max_threads);
  std::atomic<bool> out_of_memory{false};
  parallel_for(p.batch * p.heads * runs, max_threads, [&](int64_t task) {
    NeighborhoodEngine<S, P> engine;
    if (!engine.init(p, nb)) {
      out_of_memory = true;
      return;
    }
    const int64_t run = task % runs;
    const int64_t first = run * groups / runs;
    engine.run(task / (runs * p.heads), (task / runs) % p.heads, first,
               (run + 1) * groups / runs - first);
  });
  if (out_of_memory) {
    return Status(StatusCode::kOutOfMemory, "attention: out of memory for neighborhood buffers");
  }
  const int64_t outside = static_cast<int64_t>(plan.query_tiles.size()) - nb.first_outside_tile;
  if (outside == 0) return Status::Ok();
  return tile_simd::run_tasks<S>(
      p, outside, max_threads,
      [&](tile_simd::TileEngine<S>& engine, int64_t b, int64_t h, int64_t t) {
        const TileBlock block{nb.first_outside_tile + t, 1};
        tile_simd::pattern_block(engine, p, plan, b, h, block);
      });
}

}  // namespace neighborhood_simd
}  // namespace tessera
