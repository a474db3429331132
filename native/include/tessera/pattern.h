// Attention patterns in C++: the normalized spec (mirrors lib/patterns/types.ts PatternSpec),
// its exact predicate, and the compiled plan that drives the pattern attention kernels.
// Semantics: docs in ARCHITECTURE.md, "Attention patterns".
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tessera/attention.h"
#include "tessera/status.h"

namespace tessera {

enum class PatternType { kFull, kSliding, kStrided, kFixed, kNeighborhood, kAxial, kGlobal, kMask };

struct PatternSpec {
  PatternType type = PatternType::kFull;
  int64_t radius = 0;                        // sliding
  int64_t stride = 0;                        // strided
  int64_t block = 0, summary = 0;            // fixed
  std::vector<int64_t> grid;                 // neighborhood, axial: 1 to 3 axes, last fastest
  std::vector<int64_t> window;               // neighborhood
  std::vector<int64_t> dilation;             // neighborhood
  std::vector<bool> attended;                // axial: attended[a] when axis a is in `axes`
  int64_t offset = 0;                        // neighborhood, axial: first grid position
  std::vector<int32_t> tokens;               // global: ascending positions
  std::shared_ptr<const PatternSpec> inner;  // global
  std::vector<uint8_t> bits;                 // mask: Nq * Nk, row-major
};

// Whether query i may see key j under the pattern alone (causal / key lengths excluded).
// Requires a spec validated for (seq_q, seq_k).
bool pattern_allows(const PatternSpec& spec, int64_t seq_k, int64_t i, int64_t j);

// Checks a spec's fields against the sequence lengths; names the offending field on error.
Status check_pattern(const PatternSpec& spec, int64_t seq_q, int64_t seq_k);

// An arithmetic run of positions (first, first + step, ...) or, when list >= 0, `count`
// positions stored at CompiledPattern::positions[list ...].
struct Segment {
  int64_t first = 0;
  int64_t step = 1;
  int64_t count = 0;
  int64_t list = -1;
};

// Per query tile (<= kPatternTileRows rows), the key tiles (<= kPatternTileKeys keys) that hold
// at least one allowed pair. A full key tile allows every pair; a partial one carries one mask
// word per key whose bit r says whether the tile's row r may see that key.
struct KeyTile {
  Segment keys;
  int64_t mask = -1;  // index into CompiledPattern::masks, -1 when full
};

struct QueryTile {
  Segment rows;
  int64_t first_key_tile = 0, key_tile_count = 0;
};

// Consecutive query tiles that share the same key tiles, all full (e.g. the tiles of one axial
// line): one kernel task loads each key tile once for all of them.
struct TileBlock {
  int64_t first_query_tile = 0, query_tile_count = 0;
};

constexpr int64_t kPatternTileRows = 64;
constexpr int64_t kPatternBlockTiles = 6;
constexpr int64_t kPatternTileKeys = 96;

struct CompiledPattern {
  int64_t seq_q = 0, seq_k = 0;
  bool causal = false;
  std::vector<QueryTile> query_tiles;
  std::vector<KeyTile> key_tiles;
  std::vector<TileBlock> blocks;   // a partition of query_tiles, in order
  std::vector<int32_t> positions;  // index lists of segments with list >= 0
  std::vector<uint64_t> masks;     // mask words of partial key tiles
  int64_t allowed_pairs = 0;       // pairs the pattern (with causal) allows
  int64_t computed_pairs = 0;      // pairs the kernel computes (rows x keys of kept tiles)

  int64_t position(const Segment& s, int64_t k) const {
    return s.list >= 0 ? positions[s.list + k] : s.first + k * s.step;
  }
};

// Builds the plan: query tiles shaped by the pattern (grid boxes for neighborhood, lines of
// the attended axes for axial), candidate keys per tile, each tile pair classified.
Status compile_pattern(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                       CompiledPattern* out);

// Attention under a compiled pattern; key lengths (p.key_lengths) still apply per batch.
//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status pattern_attention(const AttentionParams& p, const CompiledPattern& plan,
                         const RunOptions& opts);

// The scalar kernel that walks the plan row by row (portable path and reference).
void pattern_attention_reference(const AttentionParams& p, const CompiledPattern& plan,
                                 int max_threads);

}  // namespace tessera
