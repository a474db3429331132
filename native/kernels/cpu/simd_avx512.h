// AVX-512 vector traits for the templated CPU kernels. Include only from translation units
// compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "common/exp2_poly.h"

namespace tessera {

struct Avx512 {
  using V = __m512;
  static constexpr int W = 16;  // floats per vector
  // Microkernel shapes, 24 accumulators each: scores^T as MR_K keys x NV_Q vectors of queries
  // (6 x 64), p v as MR_Q queries x NV_D vectors of head dims (6 x 64).
  static constexpr int MR_K = 6;
  static constexpr int NV_Q = 4;
  static constexpr int MR_Q = 6;
  static constexpr int NV_D = 4;
  static constexpr int BQ = 64;  // queries per score tile (multiple of NV_Q * W)
  static constexpr int BK = 96;  // keys per tile (multiple of MR_K)

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V x) { _mm512_storeu_ps(p, x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V abs(V x) { return _mm512_abs_ps(x); }
  // Nearest integer (ties to even).
  static V round(V x) {
    return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // 2^n for integral n in [-127, 127], built in the exponent field; n = -127 gives +0.0.
  static V pow2i(V n) {
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }

  // Lane masks: less(a, b) is set where a < b (false for NaN); select(m, a, b) takes a where set.
  using M = __mmask16;
  static M less(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  // In-place 16 x 16 transpose: afterwards lane i of r[j] is what lane j of r[i] was.
  static void transpose(V (&r)[W]) {
    V t[W], u[W];
    for (int k = 0; k < 8; k++) {  // interleave pairs of rows
      t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 4; k++) {  // u[4k + e], 128-bit block b: element 4b + e of rows 4k..4k+3
      u[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
      u[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
      u[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
      u[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {  // transpose the 4 x 4 grid of 128-bit blocks
      const V x0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88);
      const V x1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
      const V x2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88);
      const V x3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
      r[e] = _mm512_shuffle_f32x4(x0, x2, 0x88);
      r[4 + e] = _mm512_shuffle_f32x4(x1, x3, 0x88);
      r[8 + e] = _mm512_shuffle_f32x4(x0, x2, 0xDD);
      r[12 + e] = _mm512_shuffle_f32x4(x1, x3, 0xDD);
    }
  }

  // x, with the lanes whose bit in `keep` is 0 set to -inf.
  static V mask_neg_inf(V x, uint32_t keep) {
    return _mm512_mask_blend_ps(static_cast<__mmask16>(keep), _mm512_set1_ps(-__builtin_inff()), x);
  }

  // x, with -inf lanes replaced by 0.
  static V zero_neginf(V x) {
    return _mm512_mask_blend_ps(
        _mm512_cmp_ps_mask(x, _mm512_set1_ps(-__builtin_inff()), _CMP_EQ_OQ), x, zero());
  }

  // 2^x; exactly 0 for x < -125 (and for -inf), relative error ~1e-7 elsewhere (x <= 0).
  // vscalefps applies 2^n; the lanes below -125 are zeroed by its mask instead of underflowing,
  // because an underflowing (denormal) result costs a microcode assist per lane: masked keys
  // (-inf) would pay it for every element.
  static V exp2(V x) {
    const __mmask16 normal = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-125.0f), _CMP_GE_OQ);
    x = _mm512_max_ps(x, _mm512_set1_ps(-125.0f));
    const V n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const V f = _mm512_sub_ps(x, n);  // [-0.5, 0.5]
    V p = _mm512_set1_ps(exp2_poly::kC[exp2_poly::kDegree]);
    for (int i = exp2_poly::kDegree - 1; i >= 0; i--) {
      p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(exp2_poly::kC[i]));
    }
    return _mm512_maskz_scalef_ps(normal, p, n);
  }
};

}  // namespace tessera
