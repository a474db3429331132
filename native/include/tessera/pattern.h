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

// kStridedColumn is internal, never parsed from JS: the column half of a strided pattern,
// (i - j) mod stride == 0 and i != j, which compile_pattern plans on its own (StridedSplit).
enum class PatternType {
  kFull,
  kSliding,
  kStrided,
  kFixed,
  kNeighborhood,
  kAxial,
  kGlobal,
  kMask,
  kStridedColumn
};

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

// A neighborhood pattern in the form the direct kernel (cpu/neighborhood_attention_simd.h)
// walks: the grid is cut into lines along its last axis; every query of a line sees the same
// key lines (lines whose coordinates on the other axes are in its window), and inside a key
// line the columns col_start[x] + s * dilation for s < col_count[x] (x: the query's column).
// Lines are processed in groups of up to kNeighborhoodGroup neighbours that share most key lines.
constexpr int64_t kNeighborhoodGroup = 3;

struct NeighborhoodPlan {
  int64_t offset = 0;              // first grid position; the positions outside the grid are global
  int64_t line_length = 0;         // L, the last grid axis
  int64_t lines = 0;               // prod(grid) / L
  int64_t dilation = 1;            // dilation of the last axis
  int64_t window = 1;              // window of the last axis
  int64_t cache_lines = 0;         // key lines that must be resident at once (the widest group)
  int64_t max_key_lines = 0;       // most key lines of one query line
  std::vector<int32_t> col_start;  // [L] first key column of column x's window
  std::vector<int32_t> col_count;  // [L] key columns in column x's window
  std::vector<int64_t> key_line_start;  // [lines + 1] into key_lines
  std::vector<int32_t> key_lines;       // per query line, its key lines, ascending
  std::vector<int32_t> groups;          // first line of each group (the others follow it)
  std::vector<uint8_t> group_lines;     // [groups] lines in the group
  int64_t first_outside_tile = 0;       // query tiles from here on hold the rows outside the grid
};

struct StridedSplit;

struct CompiledPattern {
  int64_t seq_q = 0, seq_k = 0;
  bool causal = false;
  std::vector<QueryTile> query_tiles;
  std::vector<KeyTile> key_tiles;
  std::vector<TileBlock> blocks;   // a partition of query_tiles, in order
  std::vector<int32_t> positions;  // index lists of segments with list >= 0
  std::vector<uint64_t> masks;     // mask words of partial key tiles
  int64_t allowed_pairs = 0;       // pairs the pattern (with causal) allows
  int64_t computed_pairs = 0;      // pairs the SIMD kernels compute (tiles: rows x keys)
  // Set (non-null) when the SIMD kernels run the grid rows with the direct neighborhood kernel;
  // the query tiles still serve the scalar kernel and the rows outside the grid.
  std::shared_ptr<const NeighborhoodPlan> neighborhood;
  // Set (non-null) for a strided pattern, which the CPU kernels run as two plans merged row by
  // row (cpu/strided_attention.h); the plan itself then has no tiles.
  std::shared_ptr<const StridedSplit> strided;

  int64_t position(const Segment& s, int64_t k) const {
    return s.list >= 0 ? positions[s.list + k] : s.first + k * s.step;
  }
};

// A strided pattern as two disjoint halves: `local`, |i - j| < stride (a sliding window of
// radius stride - 1, tiles of consecutive rows), and `column`, (i - j) mod stride == 0 and
// i != j (tiles of one residue class: rows r, r + stride, ... see keys r, r + stride, ...).
// Consecutive rows see every residue class, so one plan for both would mask nearly all of
// each column tile's pairs (21.9x the allowed pairs at stride 64 over 4096 causal rows).
struct StridedSplit {
  CompiledPattern local, column;
};

// Builds the tile plan: query tiles shaped by the pattern (grid boxes for neighborhood, lines
// of the attended axes for axial), candidate keys per tile, each tile pair classified. The
// CUDA kernel runs every pattern on it.
Status compile_tile_plan(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                         CompiledPattern* out);

// The plan the CPU kernels run: the tile plan, except for a strided pattern, whose tile plan
// tests nearly every pair (each tile of consecutive rows sees every residue class) and grows
// with N^2 / 64 mask words: that one is compiled as its StridedSplit alone.
Status compile_pattern(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                       CompiledPattern* out);

// Whether a plan compiled for (plan_q, plan_k, plan_causal) serves attention over (seq_q, seq_k,
// causal); names the mismatch when not. Shared by the CPU and CUDA pattern kernels.
Status check_plan_fits(int64_t plan_q, int64_t plan_k, bool plan_causal, int64_t seq_q,
                       int64_t seq_k, bool causal);

// Attention under a compiled pattern; key lengths (p.key_lengths) still apply per batch.
//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status pattern_attention(const AttentionParams& p, const CompiledPattern& plan,
                         const RunOptions& opts);

// The scalar kernel that walks a tile plan row by row (portable path and reference; a strided
// plan has no tiles: pattern_attention runs its halves).
void pattern_attention_reference(const AttentionParams& p, const CompiledPattern& plan,
                                 int max_threads);

}  // namespace tessera
