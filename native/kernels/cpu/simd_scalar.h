// One-lane (plain float) traits with the elementwise subset of cpu/simd_avx512.h and
// cpu/simd_avx2.h, so a templated elementwise routine also handles the tail of a row that does
// not fill a vector, with the same arithmetic as its vector lanes.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tessera {

struct Scalar {
  using V = float;
  static constexpr int W = 1;

  static V set1(float x) { return x; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V mul(V a, V b) { return a * b; }
  static V sub(V a, V b) { return a - b; }
  static V add(V a, V b) { return a + b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V min(V a, V b) { return a < b ? a : b; }
  static V div(V a, V b) { return a / b; }
  static V abs(V x) { return std::fabs(x); }
  static V round(V x) { return std::nearbyint(x); }
  // 2^n for integral n in [-127, 127], built in the exponent field; n = -127 gives +0.0.
  static V pow2i(V n) {
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
    float out;
    std::memcpy(&out, &bits, sizeof(out));
    return out;
  }

  using M = bool;
  static M less(V a, V b) { return a < b; }
  static V select(M m, V a, V b) { return m ? a : b; }
};

}  // namespace tessera
