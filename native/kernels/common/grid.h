// Row-major grids of 1 to 3 axes (last axis fastest) placed at positions offset .. offset +
// prod(grid) - 1 of a sequence, and the NATTEN neighborhood window along one axis.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace tessera {
namespace grid {

constexpr int kMaxRank = 3;
using Coords = std::array<int64_t, kMaxRank>;

inline int64_t volume(const std::vector<int64_t>& sizes) {
  int64_t v = 1;
  for (int64_t s : sizes) v *= s;
  return v;
}

inline bool inside(const std::vector<int64_t>& sizes, int64_t offset, int64_t position) {
  return position >= offset && position < offset + volume(sizes);
}

// Coordinates of an in-grid position.
inline Coords coords(const std::vector<int64_t>& sizes, int64_t offset, int64_t position) {
  Coords c{};
  int64_t rest = position - offset;
  for (int a = static_cast<int>(sizes.size()) - 1; a >= 0; a--) {
    c[a] = rest % sizes[a];
    rest /= sizes[a];
  }
  return c;
}

inline int64_t position(const std::vector<int64_t>& sizes, int64_t offset, const Coords& c) {
  int64_t p = 0;
  for (size_t a = 0; a < sizes.size(); a++) p = p * sizes[a] + c[a];
  return offset + p;
}

// Along an axis of size n with window k and dilation d: the coordinates y that coordinate x
// sees are those of x's group (y = x mod d) whose group index lies in [first, first + count).
struct AxisWindow {
  int64_t first = 0;  // first group index
  int64_t count = 0;  // number of group indices
};

inline AxisWindow axis_window(int64_t n, int64_t k, int64_t d, int64_t x) {
  const int64_t group = x % d;
  const int64_t m = (n - group + d - 1) / d;  // size of x's group
  const int64_t p = x / d;                    // x's index in its group
  const int64_t start = std::clamp<int64_t>(p - k / 2, 0, std::max<int64_t>(m - k, 0));
  return {start, std::min(k, m)};
}

inline bool axis_sees(int64_t n, int64_t k, int64_t d, int64_t x, int64_t y) {
  if (x % d != y % d) return false;
  const AxisWindow w = axis_window(n, k, d, x);
  const int64_t q = y / d;
  return q >= w.first && q < w.first + w.count;
}

}  // namespace grid
}  // namespace tessera
