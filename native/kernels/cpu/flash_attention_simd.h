// The dense flash-attention kernel over the tile engine: a task is a block of consecutive
// query rows of one (b, h); key tiles are consecutive keys, each loaded once and reused by every
// sub-tile of the block. Causal masks are built only for tiles that cross the diagonal.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/attention_tile_simd.h"
#include "tessera/attention.h"

namespace tessera {
namespace tile_simd {

// Mask words for causal attention: row r of the sub-tile (position q_first + r) sees key
// position keys[c] when keys[c] <= q_first + r.
inline void causal_masks(int64_t q_first, const int64_t* keys, int64_t kn, uint64_t* masks) {
  for (int64_t c = 0; c < kn; c++) {
    const int64_t hidden = keys[c] - q_first;  // rows before this one do not see the key
    masks[c] = hidden <= 0 ? ~uint64_t{0} : hidden >= 64 ? 0 : ~uint64_t{0} << hidden;
  }
}

// The size of near-equal tiles, each a multiple of `multiple` and at most `max_tile`, that
// cover n items: 197 keys in tiles of 66 (66 + 66 + 65), not 96 + 96 + 5.
inline int64_t balanced_tile(int64_t n, int64_t max_tile, int64_t multiple) {
  const int64_t tiles = std::max<int64_t>(1, (n + max_tile - 1) / max_tile);
  const int64_t size = ((n + tiles - 1) / tiles + multiple - 1) / multiple * multiple;
  return std::min(size, max_tile);
}

// Rows [q0, q0 + qn) of (b, h), qn <= TileEngine<S>::kRows.
template <class S>
void dense_block(TileEngine<S>& engine, const AttentionParams& p, int64_t b, int64_t h, int64_t q0,
                 int64_t qn) {
  using Engine = TileEngine<S>;
  int64_t rows[Engine::kRows];
  for (int64_t r = 0; r < qn; r++) rows[r] = q0 + r;
  int64_t end = attention_detail::key_limit(p, b);
  if (p.causal) end = std::min(end, q0 + qn);
  engine.begin(b, h, rows, qn, end);
  const int64_t kTile = balanced_tile(end, Engine::BK, S::MR_K);
  const int64_t sub_tiles = (qn + Engine::BQ - 1) / Engine::BQ;
  int64_t keys[2 * Engine::BK];  // this tile, then the next one (prefetched)
  uint64_t masks[Engine::BK];
  for (int64_t k0 = 0; k0 < end; k0 += kTile) {
    const int64_t kn = std::min(kTile, end - k0);
    for (int64_t c = 0; c < 2 * kTile; c++) keys[c] = k0 + c;
    engine.load_keys(keys, kn);
    const int64_t next = std::clamp<int64_t>(end - k0 - kTile, 0, kTile);
    const int64_t share = (next + sub_tiles - 1) / sub_tiles;  // of the next tile per sub-tile
    for (int64_t r0 = 0; r0 < qn; r0 += Engine::BQ) {
      const int64_t part = r0 / Engine::BQ;
      const int64_t from = std::min(next, part * share);
      engine.prefetch_keys(keys + kTile + from, std::min(next, from + share) - from);
      const int64_t nq = std::min(Engine::BQ, qn - r0);
      if (p.causal && k0 > q0 + r0 + nq - 1) continue;  // no key of this tile is visible
      const bool crosses = p.causal && k0 + kn - 1 > q0 + r0;
      if (crosses) causal_masks(q0 + r0, keys, kn, masks);
      engine.attend(r0, nq, kn, crosses ? masks : nullptr);
    }
  }
  engine.finish();
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// Parallel over (b, h, row block); the blocks of a head are near-equal (1024 rows: 2 x 512).
template <class S>
Status run_flash_attention(const AttentionParams& p, int max_threads) {
  const int64_t block = balanced_tile(p.seq_q, TileEngine<S>::kRows, S::W);
  return run_tasks<S>(p, (p.seq_q + block - 1) / block, max_threads,
                      [&](TileEngine<S>& engine, int64_t b, int64_t h, int64_t t) {
                        dense_block(engine, p, b, h, t * block,
                                    std::min(block, p.seq_q - t * block));
                      });
}

}  // namespace tile_simd
}  // namespace tessera
