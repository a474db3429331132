// plan_neighborhood: the per-column windows of the last grid axis, the key lines of every query
// line, the groups of lines the direct kernel processes together, and the pairs it computes.
#include "common/neighborhood_plan.h"

#include <algorithm>

#include "common/grid.h"

namespace tessera {
namespace {

// Key-line cache entries (times the padded line length) past which the direct kernel's
// per-thread buffers would grow too large: such patterns are nearly dense, tiles suit them.
constexpr int64_t kMaxCachedColumns = int64_t{1} << 17;
// Where no lines are grouped, the tile plan's computed / allowed pairs above which the direct
// kernel still wins.
constexpr int64_t kTileWasteForLoneLines = 2;
// Lanes of the widest SIMD kernel: computed_pairs counts the slots of its column vectors.
constexpr int64_t kCountLanes = 16;

// Coordinates that coordinate c sees along an axis (ascending).
std::vector<int64_t> axis_keys(int64_t n, int64_t k, int64_t d, int64_t c) {
  const grid::AxisWindow w = grid::axis_window(n, k, d, c);
  std::vector<int64_t> keys;
  for (int64_t t = 0; t < w.count; t++) keys.push_back(c % d + (w.first + t) * d);
  return keys;
}

// Key lines of every line (row-major over the axes before the last): the products of the
// per-axis windows, ascending.
void fill_key_lines(const PatternSpec& s, NeighborhoodPlan* nb) {
  const int outer = static_cast<int>(s.grid.size()) - 1;
  const std::vector<int64_t> sizes(s.grid.begin(), s.grid.begin() + outer);
  nb->key_line_start.push_back(0);
  for (int64_t line = 0; line < nb->lines; line++) {
    const grid::Coords c = grid::coords(sizes, 0, line);
    std::vector<int64_t> ids{0};
    for (int a = 0; a < outer; a++) {
      std::vector<int64_t> next;
      for (int64_t id : ids) {
        for (int64_t key : axis_keys(s.grid[a], s.window[a], s.dilation[a], c[a])) {
          next.push_back(id * s.grid[a] + key);
        }
      }
      ids.swap(next);
    }
    nb->key_lines.insert(nb->key_lines.end(), ids.begin(), ids.end());
    nb->key_line_start.push_back(static_cast<int64_t>(nb->key_lines.size()));
    nb->max_key_lines = std::max<int64_t>(nb->max_key_lines, static_cast<int64_t>(ids.size()));
  }
}

// Neighbours along the second-to-last axis, kNeighborhoodGroup at a time inside each plane of
// lines; the cache must hold the span of a group's key lines.
void fill_groups(const PatternSpec& s, NeighborhoodPlan* nb) {
  const size_t rank = s.grid.size();
  const int64_t per_plane = rank >= 2 ? s.grid[rank - 2] : 1;
  for (int64_t plane = 0; plane < nb->lines; plane += per_plane) {
    for (int64_t y = 0; y < per_plane; y += kNeighborhoodGroup) {
      nb->groups.push_back(static_cast<int32_t>(plane + y));
      nb->group_lines.push_back(static_cast<uint8_t>(std::min(kNeighborhoodGroup, per_plane - y)));
    }
  }
  for (size_t t = 0; t < nb->groups.size(); t++) {
    int64_t lo = nb->lines, hi = 0;
    for (int64_t line = nb->groups[t]; line < nb->groups[t] + nb->group_lines[t]; line++) {
      lo = std::min<int64_t>(lo, nb->key_lines[nb->key_line_start[line]]);
      hi = std::max<int64_t>(hi, nb->key_lines[nb->key_line_start[line + 1] - 1]);
    }
    nb->cache_lines = std::max(nb->cache_lines, hi - lo + 1);
  }
}

// Pairs the direct kernel computes for the grid rows: per query, the slots of its column
// vector (the most key columns of its lanes) in every key line it visits, plus the globals.
int64_t direct_pairs(const NeighborhoodPlan& nb, int64_t globals_seen, bool causal) {
  int64_t slots_per_line = 0;  // sum over the columns of their vector's slots
  for (int64_t x0 = 0; x0 < nb.line_length; x0 += kCountLanes) {
    const int64_t x1 = std::min(nb.line_length, x0 + kCountLanes);
    const int64_t slots = *std::max_element(nb.col_count.begin() + x0, nb.col_count.begin() + x1);
    slots_per_line += slots * (x1 - x0);
  }
  int64_t pairs = 0;
  for (int64_t line = 0; line < nb.lines; line++) {
    const auto first = nb.key_lines.begin() + nb.key_line_start[line];
    const auto last = nb.key_lines.begin() + nb.key_line_start[line + 1];
    const int64_t visited = causal ? std::upper_bound(first, last, line) - first : last - first;
    pairs += visited * slots_per_line + globals_seen * nb.line_length;
  }
  return pairs;
}

// Pairs of the tile plan's query tiles outside the grid (the direct kernel leaves them to it).
int64_t outside_tile_pairs(const PatternSpec& s, const CompiledPattern& plan) {
  int64_t pairs = 0;
  for (const QueryTile& tile : plan.query_tiles) {
    if (grid::inside(s.grid, s.offset, tile.rows.first)) continue;
    for (int64_t k = 0; k < tile.key_tile_count; k++) {
      pairs += tile.rows.count * plan.key_tiles[tile.first_key_tile + k].keys.count;
    }
  }
  return pairs;
}

}  // namespace

void plan_neighborhood(const PatternSpec& s, CompiledPattern* plan) {
  if (s.type != PatternType::kNeighborhood) return;
  const int64_t volume = grid::volume(s.grid);
  const int64_t globals = plan->seq_k - volume;
  if (globals > kMaxNeighborhoodGlobals) return;
  auto nb = std::make_shared<NeighborhoodPlan>();
  const size_t last = s.grid.size() - 1;
  nb->offset = s.offset;
  nb->line_length = s.grid[last];
  nb->lines = volume / nb->line_length;
  nb->dilation = s.dilation[last];
  nb->window = s.window[last];
  for (int64_t x = 0; x < nb->line_length; x++) {
    const grid::AxisWindow w = grid::axis_window(nb->line_length, nb->window, nb->dilation, x);
    nb->col_start.push_back(static_cast<int32_t>(x % nb->dilation + w.first * nb->dilation));
    nb->col_count.push_back(static_cast<int32_t>(w.count));
  }
  fill_key_lines(s, nb.get());
  fill_groups(s, nb.get());
  nb->first_outside_tile = static_cast<int64_t>(plan->query_tiles.size());
  while (
      nb->first_outside_tile > 0 &&
      !grid::inside(s.grid, s.offset, plan->query_tiles[nb->first_outside_tile - 1].rows.first)) {
    nb->first_outside_tile--;
  }
  for (int64_t t = 0; t < nb->first_outside_tile; t++) {  // compile_pattern puts them last
    if (!grid::inside(s.grid, s.offset, plan->query_tiles[t].rows.first)) return;
  }
  // Lines of one-line groups share no key loads: there the tile kernel wins unless it computes
  // more than twice the pairs (a 1D window of 65 on 4096 is 1.95).
  const bool shared = nb->groups.size() < static_cast<size_t>(nb->lines);
  if (!shared && plan->computed_pairs <= kTileWasteForLoneLines * plan->allowed_pairs) return;
  const int64_t padded = nb->line_length + nb->window * nb->dilation + kCountLanes;
  if (nb->cache_lines * padded > kMaxCachedColumns) return;
  const int64_t globals_seen = plan->causal ? s.offset : globals;  // causal: those before
  plan->computed_pairs =
      outside_tile_pairs(s, *plan) + direct_pairs(*nb, globals_seen, plan->causal);
  plan->neighborhood = std::move(nb);
}

}  // namespace tessera
