// The walk of an uploaded pattern plan, shared by the pattern attention kernels: segment
// positions, the key chunks of a query tile (a key tile of <= 96 keys is consumed in chunks of 32
// keys, one per lane), and the rows that see each key of a chunk. Host-callable too, so that
// tessera_cuda_tests can check the walk on a host copy of the plan without a GPU.
#pragma once

#include <cstdint>

#include "cuda/attention_device.cuh"
#include "cuda/pattern_attention_launch.h"

namespace tessera {
namespace cuda_detail {

constexpr int kPatternChunkKeys = 32;  // one key per lane

static_assert(kPatternTileRows <= 64, "a query tile's rows must fit one uint64 mask word");

// Position k of a segment: first + k * step, or the k-th entry of its index list.
__host__ __device__ __forceinline__ int64_t segment_position(const Segment& s, int64_t k,
                                                             const int32_t* positions) {
  return s.list >= 0 ? positions[s.list + k] : s.first + k * s.step;
}

// Keys first .. first + 31 of key tile `tile` of the plan.
struct KeyChunk {
  int64_t tile = 0;
  int64_t first = 0;
};

// The chunk after c in the walk over the query tile's key tiles (key tiles are never empty).
__host__ __device__ __forceinline__ KeyChunk next_chunk(const PatternView& plan,
                                                        const KeyChunk& c) {
  if (c.first + kPatternChunkKeys < plan.key_tiles[c.tile].keys.count) {
    return KeyChunk{c.tile, c.first + kPatternChunkKeys};
  }
  return KeyChunk{c.tile + 1, 0};
}

// Bit r: row r of the query tile exists (r < rows).
__host__ __device__ __forceinline__ uint64_t tile_rows_word(int64_t rows) {
  return rows >= 64 ? ~uint64_t{0} : (uint64_t{1} << rows) - 1;
}

// Bit r: row r of the query tile sees key `chunk.first + lane` of the chunk: the key exists, is
// below the batch's key limit, and the tile is full or its mask word has bit r. Rows of the tile
// that do not exist are not seen (`rows_word`).
__host__ __device__ __forceinline__ uint64_t lane_key_rows(const PatternView& plan,
                                                           const KeyTile& tile,
                                                           const KeyChunk& chunk, int lane,
                                                           int64_t limit, uint64_t rows_word) {
  const int64_t c = chunk.first + lane;
  if (c >= tile.keys.count || segment_position(tile.keys, c, plan.positions) >= limit) return 0;
  return tile.mask < 0 ? rows_word : plan.masks[tile.mask + c] & rows_word;
}

// Key r of the chunk: its row in the (b, h) slice [Nk, D] (rows seq_stride apart), or null for a
// key past the tile's end or at or past the key limit (the kernels zero-fill that row).
template <typename T>
__host__ __device__ __forceinline__ const T* key_row(const PatternView& plan, const KeyTile& tile,
                                                     const KeyChunk& chunk, int r, const T* slice,
                                                     int64_t seq_stride, int64_t limit) {
  const int64_t c = chunk.first + r;
  if (c >= tile.keys.count) return nullptr;
  const int64_t j = segment_position(tile.keys, c, plan.positions);
  return j < limit ? slice + j * seq_stride : nullptr;
}

// Query position of row r of the tile, or -1 past the tile's rows.
__host__ __device__ __forceinline__ int64_t query_position(const PatternView& plan,
                                                           const QueryTile& tile, int64_t r) {
  return r < tile.rows.count ? segment_position(tile.rows, r, plan.positions) : -1;
}

// Row r of the query tile: its row in the (b, h) slice [Nq, D] (rows seq_stride apart), or null
// past the tile's rows (the kernels zero-fill that row).
template <typename T>
__host__ __device__ __forceinline__ const T* query_row(const PatternView& plan,
                                                       const QueryTile& tile, int r, const T* slice,
                                                       int64_t seq_stride) {
  const int64_t i = query_position(plan, tile, r);
  return i >= 0 ? slice + i * seq_stride : nullptr;
}

}  // namespace cuda_detail
}  // namespace tessera
