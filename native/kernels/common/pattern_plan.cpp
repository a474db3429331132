// compile_tile_plan: query tiles shaped by the pattern, candidate keys per tile (a superset of
// the keys any of its rows may see), cut into key tiles that are classified full or partial
// (with per-key masks) by the exact predicate; tiles without an allowed pair are dropped.
#include <algorithm>
#include <numeric>
#include <string>

#include "common/grid.h"
#include "common/neighborhood_plan.h"
#include "common/strided_plan.h"
#include "tessera/pattern.h"

namespace tessera {
namespace {

using Positions = std::vector<int64_t>;

// Rows of one query tile and its candidate keys (ascending). known_full: every candidate is
// allowed for every row by construction (before causal), so no pair needs testing.
struct Candidates {
  Positions keys;
  bool known_full = false;
};

Positions iota_positions(int64_t first, int64_t count) {
  Positions p(static_cast<size_t>(count));
  std::iota(p.begin(), p.end(), first);
  return p;
}

void append_runs(int64_t first, int64_t count, std::vector<Positions>* tiles) {
  for (int64_t r = 0; r < count; r += kPatternTileRows) {
    tiles->push_back(iota_positions(first + r, std::min(kPatternTileRows, count - r)));
  }
}

void sort_unique(Positions* p) {
  std::sort(p->begin(), p->end());
  p->erase(std::unique(p->begin(), p->end()), p->end());
}

// ---- query tiles ----

// Box sides for a grid: about 64 positions, near-cubic, clipped to the grid.
std::vector<int64_t> box_sides(const std::vector<int64_t>& sizes) {
  const int rank = static_cast<int>(sizes.size());
  const int64_t side = rank == 1 ? 64 : rank == 2 ? 8 : 4;
  std::vector<int64_t> box(sizes.size());
  for (int a = 0; a < rank; a++) box[a] = std::min(sizes[a], side);
  for (bool grown = true; grown;) {  // spend what clipping left over, last axis first
    grown = false;
    for (int a = rank - 1; a >= 0; a--) {
      if (grid::volume(box) * 2 <= kPatternTileRows && box[a] * 2 <= sizes[a]) {
        box[a] *= 2;
        grown = true;
      }
    }
  }
  return box;
}

// Positions before and after a grid at `offset` form runs of consecutive rows.
void outside_grid_tiles(const std::vector<int64_t>& sizes, int64_t offset, int64_t n,
                        std::vector<Positions>* tiles) {
  append_runs(0, offset, tiles);
  const int64_t end = offset + grid::volume(sizes);
  append_runs(end, n - end, tiles);
}

void box_tiles(const std::vector<int64_t>& sizes, int64_t offset, std::vector<Positions>* tiles) {
  const std::vector<int64_t> box = box_sides(sizes);
  const int rank = static_cast<int>(sizes.size());
  grid::Coords corner{};
  for (;;) {
    Positions tile;
    grid::Coords c{};
    std::vector<int64_t> extent(sizes.size());
    for (int a = 0; a < rank; a++) extent[a] = std::min(box[a], sizes[a] - corner[a]);
    for (int64_t k = 0; k < grid::volume(extent); k++) {
      int64_t rest = k;
      for (int a = rank - 1; a >= 0; a--) {
        c[a] = corner[a] + rest % extent[a];
        rest /= extent[a];
      }
      tile.push_back(grid::position(sizes, offset, c));
    }
    tiles->push_back(std::move(tile));
    int a = rank - 1;  // next corner, row-major over boxes
    while (a >= 0 && (corner[a] += box[a]) >= sizes[a]) corner[a--] = 0;
    if (a < 0) return;
  }
}

// Axial: positions grouped by their coordinates on the axes that are not attended.
void line_tiles(const PatternSpec& s, std::vector<Positions>* tiles) {
  const int64_t volume = grid::volume(s.grid);
  std::vector<Positions> groups;
  std::vector<int64_t> fixed_sizes;
  for (size_t a = 0; a < s.grid.size(); a++) {
    if (!s.attended[a]) fixed_sizes.push_back(s.grid[a]);
  }
  groups.resize(static_cast<size_t>(grid::volume(fixed_sizes)));
  for (int64_t k = 0; k < volume; k++) {
    const grid::Coords c = grid::coords(s.grid, 0, k);
    int64_t g = 0;
    for (size_t a = 0; a < s.grid.size(); a++) {
      if (!s.attended[a]) g = g * s.grid[a] + c[a];
    }
    groups[g].push_back(s.offset + k);
  }
  for (const Positions& group : groups) {
    for (size_t r = 0; r < group.size(); r += kPatternTileRows) {
      const size_t end = std::min(group.size(), r + kPatternTileRows);
      tiles->emplace_back(group.begin() + r, group.begin() + end);
    }
  }
}

// Rows of one residue class mod stride per tile (r, r + stride, ...), class after class.
void residue_tiles(int64_t stride, int64_t seq_q, std::vector<Positions>* tiles) {
  for (int64_t r = 0; r < std::min(stride, seq_q); r++) {
    const int64_t count = (seq_q - r + stride - 1) / stride;
    for (int64_t t = 0; t < count; t += kPatternTileRows) {
      Positions tile;
      for (int64_t k = t; k < std::min(count, t + kPatternTileRows); k++) {
        tile.push_back(r + k * stride);
      }
      tiles->push_back(std::move(tile));
    }
  }
}

void query_tiles(const PatternSpec& s, int64_t seq_q, std::vector<Positions>* tiles) {
  switch (s.type) {
    case PatternType::kStridedColumn:
      return residue_tiles(s.stride, seq_q, tiles);
    case PatternType::kNeighborhood:
      box_tiles(s.grid, s.offset, tiles);
      return outside_grid_tiles(s.grid, s.offset, seq_q, tiles);
    case PatternType::kAxial:
      line_tiles(s, tiles);
      return outside_grid_tiles(s.grid, s.offset, seq_q, tiles);
    case PatternType::kGlobal: {
      std::vector<Positions> inner;
      query_tiles(*s.inner, seq_q, &inner);
      for (Positions& tile : inner) {  // global rows get tiles of their own
        tile.erase(std::remove_if(tile.begin(), tile.end(),
                                  [&](int64_t i) {
                                    return std::binary_search(s.tokens.begin(), s.tokens.end(),
                                                              static_cast<int32_t>(i));
                                  }),
                   tile.end());
        if (!tile.empty()) tiles->push_back(std::move(tile));
      }
      const Positions tokens(s.tokens.begin(), s.tokens.end());
      for (size_t r = 0; r < tokens.size(); r += kPatternTileRows) {
        tiles->emplace_back(tokens.begin() + r,
                            tokens.begin() + std::min(tokens.size(), r + kPatternTileRows));
      }
      return;
    }
    default:
      return append_runs(0, seq_q, tiles);
  }
}

// ---- candidate keys ----

void add_range(int64_t lo, int64_t hi, int64_t seq_k, Positions* keys) {  // [lo, hi] clipped
  for (int64_t j = std::max<int64_t>(lo, 0); j <= std::min(hi, seq_k - 1); j++) keys->push_back(j);
}

bool outside(const PatternSpec& s, int64_t position) {
  return !grid::inside(s.grid, s.offset, position);
}

void add_outside_grid(const PatternSpec& s, int64_t seq_k, Positions* keys) {
  add_range(0, s.offset - 1, seq_k, keys);
  add_range(s.offset + grid::volume(s.grid), seq_k - 1, seq_k, keys);
}

// Neighborhood: per axis, the span of the windows of the tile's coordinates; their box.
void neighborhood_candidates(const PatternSpec& s, const Positions& rows, int64_t seq_k,
                             Positions* keys) {
  const int rank = static_cast<int>(s.grid.size());
  grid::Coords lo{}, hi{};
  for (int a = 0; a < rank; a++) {
    lo[a] = s.grid[a];
    hi[a] = -1;
  }
  for (int64_t i : rows) {
    const grid::Coords c = grid::coords(s.grid, s.offset, i);
    for (int a = 0; a < rank; a++) {
      const grid::AxisWindow w = grid::axis_window(s.grid[a], s.window[a], s.dilation[a], c[a]);
      const int64_t group = c[a] % s.dilation[a];
      lo[a] = std::min(lo[a], group + w.first * s.dilation[a]);
      hi[a] = std::max(hi[a], group + (w.first + w.count - 1) * s.dilation[a]);
    }
  }
  grid::Coords c = lo;
  for (;;) {
    keys->push_back(grid::position(s.grid, s.offset, c));
    int a = rank - 1;
    while (a >= 0 && ++c[a] > hi[a]) {
      c[a] = lo[a];
      a--;
    }
    if (a < 0) break;
  }
  add_outside_grid(s, seq_k, keys);
}

// Axial: the members of the rows' line (all rows of a tile share it): every coordinate on the
// attended axes, the rows' own on the others; then the global keys.
void axial_candidates(const PatternSpec& s, const Positions& rows, int64_t seq_k, Positions* keys) {
  const int rank = static_cast<int>(s.grid.size());
  const grid::Coords fixed = grid::coords(s.grid, s.offset, rows[0]);
  grid::Coords c = fixed;
  for (int a = 0; a < rank; a++) {
    if (s.attended[a]) c[a] = 0;
  }
  for (;;) {
    keys->push_back(grid::position(s.grid, s.offset, c));
    int a = rank - 1;  // next coordinate on the attended axes, row-major
    while (a >= 0 && (!s.attended[a] || ++c[a] >= s.grid[a])) {
      if (s.attended[a]) c[a] = 0;
      a--;
    }
    if (a < 0) break;
  }
  add_outside_grid(s, seq_k, keys);
}

// Keys in the residue classes mod stride of the rows (unsorted; the caller sorts). Walks each
// class, so a stride far beyond the sequence (any int64 value is valid) costs nothing.
void residue_candidates(const Positions& rows, int64_t stride, int64_t seq_k, Positions* keys) {
  Positions residues;
  for (int64_t i : rows) residues.push_back(i % stride);
  sort_unique(&residues);
  for (int64_t r : residues) {
    for (int64_t j = r; j < seq_k; j += stride) {
      keys->push_back(j);
      if (j > seq_k - stride) break;  // j + stride would pass seq_k (or overflow)
    }
  }
}

void summary_candidates(const PatternSpec& s, int64_t seq_k, Positions* keys) {
  for (int64_t j = 0; j < seq_k; j++) {
    if (j % s.block >= s.block - s.summary) keys->push_back(j);
  }
}

void mask_candidates(const PatternSpec& s, const Positions& rows, int64_t seq_k, Positions* keys) {
  for (int64_t j = 0; j < seq_k; j++) {
    for (int64_t i : rows) {
      if (s.bits[i * seq_k + j]) {
        keys->push_back(j);
        break;
      }
    }
  }
}

Candidates candidates(const PatternSpec& s, const Positions& rows, int64_t seq_k) {
  Candidates out;
  const int64_t lo = rows.front(), hi = rows.back();  // rows ascending within a tile
  const bool rows_outside =
      (s.type == PatternType::kNeighborhood || s.type == PatternType::kAxial) && outside(s, lo);
  if (s.type == PatternType::kFull || rows_outside) {
    add_range(0, seq_k - 1, seq_k, &out.keys);
    out.known_full = true;
    return out;
  }
  switch (s.type) {
    case PatternType::kSliding:
      add_range(lo - s.radius, hi + s.radius, seq_k, &out.keys);
      break;
    case PatternType::kStrided:
      add_range(lo - s.stride + 1, hi + s.stride - 1, seq_k, &out.keys);
      residue_candidates(rows, s.stride, seq_k, &out.keys);
      break;
    case PatternType::kStridedColumn:
      residue_candidates(rows, s.stride, seq_k, &out.keys);
      break;
    case PatternType::kFixed:
      add_range(lo / s.block * s.block, (hi / s.block + 1) * s.block - 1, seq_k, &out.keys);
      summary_candidates(s, seq_k, &out.keys);
      break;
    case PatternType::kNeighborhood:
      neighborhood_candidates(s, rows, seq_k, &out.keys);
      break;
    case PatternType::kAxial:
      axial_candidates(s, rows, seq_k, &out.keys);
      out.known_full = true;
      break;
    case PatternType::kGlobal: {
      const bool global_rows =
          std::binary_search(s.tokens.begin(), s.tokens.end(), static_cast<int32_t>(lo));
      if (global_rows) {  // a tile of global rows sees everything
        add_range(0, seq_k - 1, seq_k, &out.keys);
        out.known_full = true;
        return out;
      }
      out = candidates(*s.inner, rows, seq_k);
      out.keys.insert(out.keys.end(), s.tokens.begin(), s.tokens.end());
      break;
    }
    case PatternType::kMask:
      mask_candidates(s, rows, seq_k, &out.keys);
      break;
    case PatternType::kFull:
      break;
  }
  sort_unique(&out.keys);
  return out;
}

// ---- classification ----

class PlanBuilder {
 public:
  PlanBuilder(const PatternSpec& spec, CompiledPattern* plan) : spec_(spec), plan_(*plan) {}

  void add_query_tile(const Positions& rows) {
    Candidates found = candidates(spec_, rows, plan_.seq_k);
    if (plan_.causal) {  // keys after the tile's last row are hidden from all of it
      const int64_t last = rows.back();
      found.keys.erase(std::upper_bound(found.keys.begin(), found.keys.end(), last),
                       found.keys.end());
    }
    QueryTile tile;
    tile.rows = segment(rows);
    tile.first_key_tile = static_cast<int64_t>(plan_.key_tiles.size());
    const size_t positions_before = plan_.positions.size();
    for (size_t c = 0; c < found.keys.size(); c += kPatternTileKeys) {
      const size_t end = std::min(found.keys.size(), c + kPatternTileKeys);
      add_key_tile(rows, Positions(found.keys.begin() + c, found.keys.begin() + end),
                   found.known_full);
    }
    tile.key_tile_count = static_cast<int64_t>(plan_.key_tiles.size()) - tile.first_key_tile;
    if (!plan_.query_tiles.empty() && same_full_key_tiles(plan_.query_tiles.back(), tile)) {
      // Share the previous tile's key tiles (their positions lists too).
      plan_.key_tiles.resize(static_cast<size_t>(tile.first_key_tile));
      plan_.positions.resize(positions_before);
      tile.first_key_tile = plan_.query_tiles.back().first_key_tile;
    }
    plan_.query_tiles.push_back(tile);
  }

  // Groups consecutive query tiles that share all-full key tiles into blocks.
  void make_blocks() {
    for (int64_t t = 0; t < static_cast<int64_t>(plan_.query_tiles.size()); t++) {
      if (!plan_.blocks.empty()) {
        TileBlock& last = plan_.blocks.back();
        const QueryTile& prev = plan_.query_tiles[t - 1];
        const QueryTile& tile = plan_.query_tiles[t];
        if (last.query_tile_count < kPatternBlockTiles &&
            prev.first_key_tile == tile.first_key_tile &&
            prev.key_tile_count == tile.key_tile_count && all_full(tile)) {
          last.query_tile_count++;
          continue;
        }
      }
      plan_.blocks.push_back({t, 1});
    }
  }

 private:
  // An arithmetic run when the positions form one, else a stored list.
  Segment segment(const Positions& p) {
    Segment s;
    s.first = p[0];
    s.count = static_cast<int64_t>(p.size());
    s.step = p.size() > 1 ? p[1] - p[0] : 1;
    for (size_t k = 1; k < p.size(); k++) {
      if (p[k] - p[k - 1] != s.step) {
        s.list = static_cast<int64_t>(plan_.positions.size());
        plan_.positions.insert(plan_.positions.end(), p.begin(), p.end());
        break;
      }
    }
    return s;
  }

  bool all_full(const QueryTile& tile) const {
    for (int64_t k = 0; k < tile.key_tile_count; k++) {
      if (plan_.key_tiles[tile.first_key_tile + k].mask >= 0) return false;
    }
    return true;
  }

  bool same_positions(const Segment& a, const Segment& b) const {
    if (a.count != b.count) return false;
    for (int64_t k = 0; k < a.count; k++) {
      if (plan_.position(a, k) != plan_.position(b, k)) return false;
    }
    return true;
  }

  // Whether `tile` (just built) has the same all-full key tiles as `prev`.
  bool same_full_key_tiles(const QueryTile& prev, const QueryTile& tile) const {
    if (prev.key_tile_count != tile.key_tile_count || !all_full(prev) || !all_full(tile)) {
      return false;
    }
    for (int64_t k = 0; k < tile.key_tile_count; k++) {
      if (!same_positions(plan_.key_tiles[prev.first_key_tile + k].keys,
                          plan_.key_tiles[tile.first_key_tile + k].keys)) {
        return false;
      }
    }
    return true;
  }

  // Word of rows that may see key j.
  uint64_t rows_seeing(const Positions& rows, int64_t j, bool known_full) const {
    uint64_t word = 0;
    for (size_t r = 0; r < rows.size(); r++) {
      const bool seen = (known_full || pattern_allows(spec_, plan_.seq_k, rows[r], j)) &&
                        (!plan_.causal || j <= rows[r]);
      if (seen) word |= uint64_t{1} << r;
    }
    return word;
  }

  void add_key_tile(const Positions& rows, const Positions& keys, bool known_full) {
    const uint64_t all = rows.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << rows.size()) - 1;
    const int64_t tile_pairs = static_cast<int64_t>(rows.size() * keys.size());
    if (known_full && !plan_.causal) {
      plan_.key_tiles.push_back({segment(keys), -1});
      plan_.allowed_pairs += tile_pairs;
      plan_.computed_pairs += tile_pairs;
      return;
    }
    std::vector<uint64_t> words(keys.size());
    int64_t allowed = 0;
    bool full = true;
    for (size_t c = 0; c < keys.size(); c++) {
      words[c] = rows_seeing(rows, keys[c], known_full);
      allowed += __builtin_popcountll(words[c]);
      full = full && words[c] == all;
    }
    if (allowed == 0) return;
    KeyTile tile{segment(keys), -1};
    if (!full) {
      tile.mask = static_cast<int64_t>(plan_.masks.size());
      plan_.masks.insert(plan_.masks.end(), words.begin(), words.end());
    }
    plan_.key_tiles.push_back(tile);
    plan_.allowed_pairs += allowed;
    plan_.computed_pairs += tile_pairs;
  }

  const PatternSpec& spec_;
  CompiledPattern& plan_;
};

}  // namespace

Status compile_tile_plan(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                         CompiledPattern* out) {
  Status status = check_pattern(spec, seq_q, seq_k);
  if (!status.ok()) return status;
  *out = CompiledPattern();
  out->seq_q = seq_q;
  out->seq_k = seq_k;
  out->causal = causal;
  std::vector<Positions> tiles;
  query_tiles(spec, seq_q, &tiles);
  PlanBuilder builder(spec, out);
  for (Positions& rows : tiles) {
    std::sort(rows.begin(), rows.end());
    builder.add_query_tile(rows);
  }
  builder.make_blocks();
  plan_neighborhood(spec, out);
  return Status::Ok();
}

Status compile_pattern(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                       CompiledPattern* out) {
  if (spec.type != PatternType::kStrided) return compile_tile_plan(spec, seq_q, seq_k, causal, out);
  const Status status = check_pattern(spec, seq_q, seq_k);
  return status.ok() ? compile_strided_split(spec, seq_q, seq_k, causal, out) : status;
}

Status check_plan_fits(int64_t plan_q, int64_t plan_k, bool plan_causal, int64_t seq_q,
                       int64_t seq_k, bool causal) {
  if (plan_q != seq_q || plan_k != seq_k) {
    return Status::Invalid("pattern: compiled for Nq = " + std::to_string(plan_q) + ", Nk = " +
                           std::to_string(plan_k) + ", used with Nq = " + std::to_string(seq_q) +
                           ", Nk = " + std::to_string(seq_k));
  }
  if (plan_causal != causal) {
    return Status::Invalid("causal: the pattern was compiled with causal = " +
                           std::string(plan_causal ? "true" : "false"));
  }
  return Status::Ok();
}

}  // namespace tessera
