// pattern_allows (the exact semantics of every pattern) and check_pattern.
#include <algorithm>
#include <string>

#include "common/grid.h"
#include "tessera/pattern.h"

namespace tessera {
namespace {

bool neighborhood_allows(const PatternSpec& s, int64_t i, int64_t j) {
  if (!grid::inside(s.grid, s.offset, i) || !grid::inside(s.grid, s.offset, j)) return true;
  const grid::Coords ci = grid::coords(s.grid, s.offset, i);
  const grid::Coords cj = grid::coords(s.grid, s.offset, j);
  for (size_t a = 0; a < s.grid.size(); a++) {
    if (!grid::axis_sees(s.grid[a], s.window[a], s.dilation[a], ci[a], cj[a])) return false;
  }
  return true;
}

bool axial_allows(const PatternSpec& s, int64_t i, int64_t j) {
  if (!grid::inside(s.grid, s.offset, i) || !grid::inside(s.grid, s.offset, j)) return true;
  const grid::Coords ci = grid::coords(s.grid, s.offset, i);
  const grid::Coords cj = grid::coords(s.grid, s.offset, j);
  for (size_t a = 0; a < s.grid.size(); a++) {
    if (!s.attended[a] && ci[a] != cj[a]) return false;
  }
  return true;
}

bool is_token(const PatternSpec& s, int64_t position) {
  return std::binary_search(s.tokens.begin(), s.tokens.end(), static_cast<int32_t>(position));
}

Status check_grid(const PatternSpec& s, int64_t n, const char* name) {
  const std::string field = std::string("pattern.") + name;
  if (s.grid.empty() || s.grid.size() > grid::kMaxRank) {
    return Status::Invalid(field + ": expected 1 to 3 axes");
  }
  int64_t volume = 1;
  for (int64_t size : s.grid) {
    if (size < 1 || size > n) return Status::Invalid(field + ": expected sizes in [1, N]");
    volume *= size;
  }
  if (s.offset < 0 || volume != n - s.offset) {
    return Status::Invalid(field + ": expected prod(grid) == N - offset");
  }
  return Status::Ok();
}

Status check_neighborhood(const PatternSpec& s, int64_t n) {
  Status status = check_grid(s, n, "grid");
  if (!status.ok()) return status;
  if (s.window.size() != s.grid.size() || s.dilation.size() != s.grid.size()) {
    return Status::Invalid("pattern.window: expected one window and dilation per axis");
  }
  for (size_t a = 0; a < s.grid.size(); a++) {
    if (s.window[a] < 1) return Status::Invalid("pattern.window: expected sizes >= 1");
    if (s.dilation[a] < 1) return Status::Invalid("pattern.dilation: expected values >= 1");
  }
  return Status::Ok();
}

Status check_global(const PatternSpec& s, int64_t seq_q, int64_t seq_k) {
  for (size_t t = 0; t < s.tokens.size(); t++) {
    if (s.tokens[t] < 0 || s.tokens[t] >= std::min(seq_q, seq_k) ||
        (t > 0 && s.tokens[t] <= s.tokens[t - 1])) {
      return Status::Invalid("pattern.tokens: expected ascending positions in [0, N)");
    }
  }
  if (!s.inner) return Status::Invalid("pattern.inner: missing");
  return check_pattern(*s.inner, seq_q, seq_k);
}

}  // namespace

bool pattern_allows(const PatternSpec& s, int64_t seq_k, int64_t i, int64_t j) {
  switch (s.type) {
    case PatternType::kFull:
      return true;
    case PatternType::kSliding:
      return std::abs(i - j) <= s.radius;
    case PatternType::kStrided:
      return std::abs(i - j) < s.stride || (i - j) % s.stride == 0;
    case PatternType::kStridedColumn:
      return i != j && (i - j) % s.stride == 0;
    case PatternType::kFixed:
      return i / s.block == j / s.block || j % s.block >= s.block - s.summary;
    case PatternType::kNeighborhood:
      return neighborhood_allows(s, i, j);
    case PatternType::kAxial:
      return axial_allows(s, i, j);
    case PatternType::kGlobal:
      return is_token(s, i) || is_token(s, j) || pattern_allows(*s.inner, seq_k, i, j);
    case PatternType::kMask:
      return s.bits[i * seq_k + j] != 0;
  }
  return false;
}

Status check_pattern(const PatternSpec& s, int64_t seq_q, int64_t seq_k) {
  const bool one_sequence = s.type != PatternType::kFull && s.type != PatternType::kMask &&
                            s.type != PatternType::kGlobal;
  if (one_sequence && seq_q != seq_k) {
    return Status::Invalid("pattern: expected Nq == Nk for a self-attention pattern");
  }
  switch (s.type) {
    case PatternType::kSliding:
      return s.radius >= 0 ? Status::Ok() : Status::Invalid("pattern.radius: expected >= 0");
    case PatternType::kStrided:
    case PatternType::kStridedColumn:
      return s.stride >= 1 ? Status::Ok() : Status::Invalid("pattern.stride: expected >= 1");
    case PatternType::kFixed:
      return s.block >= 1 && s.summary >= 0 && s.summary <= s.block
                 ? Status::Ok()
                 : Status::Invalid("pattern.block: expected block >= 1, 0 <= summary <= block");
    case PatternType::kNeighborhood:
      return check_neighborhood(s, seq_q);
    case PatternType::kAxial:
      if (s.attended.size() != s.grid.size()) {
        return Status::Invalid("pattern.axes: expected axes of the grid");
      }
      return check_grid(s, seq_q, "grid");
    case PatternType::kGlobal:
      return check_global(s, seq_q, seq_k);
    case PatternType::kMask:
      return static_cast<int64_t>(s.bits.size()) == seq_q * seq_k
                 ? Status::Ok()
                 : Status::Invalid("pattern.bits: expected Nq * Nk entries");
    case PatternType::kFull:
      return Status::Ok();
  }
  return Status::Invalid("pattern.type: unknown");
}

}  // namespace tessera
