// The pattern attention kernel over the tile engine: a task is one block of query tiles of a
// compiled pattern for one (b, h); its key tiles (any positions) are loaded in turn, partial
// ones with their per-key masks. Empty tiles were dropped when the pattern was compiled.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cpu/attention_tile_simd.h"
#include "tessera/pattern.h"

namespace tessera {
namespace tile_simd {

// Positions of a segment's first `count` entries.
inline void segment_positions(const CompiledPattern& plan, const Segment& s, int64_t count,
                              int64_t* out) {
  for (int64_t k = 0; k < count; k++) out[k] = plan.position(s, k);
}

// Block `block` of the plan for (b, h): the rows of its query tiles, in sub-tiles of S::BQ,
// against its key tiles (shared by the tiles of a block of several; masked only in a block of
// one tile, so a mask's bits are that tile's rows).
template <class S>
void pattern_block(TileEngine<S>& engine, const AttentionParams& p, const CompiledPattern& plan,
                   int64_t b, int64_t h, const TileBlock& block) {
  int64_t rows[TileEngine<S>::kRows];
  int64_t count = 0;
  for (int64_t t = 0; t < block.query_tile_count; t++) {
    const QueryTile& tile = plan.query_tiles[block.first_query_tile + t];
    segment_positions(plan, tile.rows, tile.rows.count, rows + count);
    count += tile.rows.count;
  }
  const QueryTile& first = plan.query_tiles[block.first_query_tile];
  const KeyTile* key_tiles = plan.key_tiles.data() + first.first_key_tile;
  int64_t key_count = 0;
  for (int64_t k = 0; k < first.key_tile_count; k++) key_count += key_tiles[k].keys.count;
  engine.begin(b, h, rows, count, key_count);
  const int64_t limit = attention_detail::key_limit(p, b);
  int64_t keys[2][kPatternTileKeys];  // this tile and the next (prefetched)
  if (first.key_tile_count > 0) {
    segment_positions(plan, key_tiles[0].keys, key_tiles[0].keys.count, keys[0]);
  }
  for (int64_t k = 0; k < first.key_tile_count; k++) {
    int64_t* current = keys[k % 2];
    const KeyTile& kt = key_tiles[k];
    if (k + 1 < first.key_tile_count) {
      const KeyTile& next = key_tiles[k + 1];
      segment_positions(plan, next.keys, next.keys.count, keys[(k + 1) % 2]);
      engine.prefetch_keys(keys[(k + 1) % 2], next.keys.count);
    }
    // Keys ascend within a tile: those at or past the key length are a suffix.
    const int64_t kn = std::lower_bound(current, current + kt.keys.count, limit) - current;
    if (kn == 0) continue;
    engine.load_keys(current, kn);
    const uint64_t* masks = kt.mask >= 0 ? plan.masks.data() + kt.mask : nullptr;
    for (int64_t r0 = 0; r0 < count; r0 += S::BQ) {
      engine.attend(r0, std::min<int64_t>(S::BQ, count - r0), kn, masks);
    }
  }
  engine.finish();
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
template <class S>
Status run_pattern_attention(const AttentionParams& p, const CompiledPattern& plan,
                             int max_threads) {
  static_assert(S::BQ >= kPatternTileRows && S::BK >= kPatternTileKeys,
                "a pattern tile must fit one score tile");
  static_assert(TileEngine<S>::kRows >= kPatternBlockTiles * kPatternTileRows,
                "a block of query tiles must fit the engine");
  return run_tasks<S>(p, static_cast<int64_t>(plan.blocks.size()), max_threads,
                      [&](TileEngine<S>& engine, int64_t b, int64_t h, int64_t t) {
                        pattern_block(engine, p, plan, b, h, plan.blocks[t]);
                      });
}

}  // namespace tile_simd
}  // namespace tessera
