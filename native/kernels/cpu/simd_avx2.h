// AVX2 + FMA vector traits for the templated CPU kernels. Include only from translation
// units compiled with -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "common/exp2_poly.h"

namespace tessera {

struct Avx2 {
  using V = __m256;
  static constexpr int W = 8;  // floats per vector
  // Microkernel shapes (16 ymm registers), 12 accumulators each: scores^T as MR_K keys x NV_Q
  // vectors of queries (6 x 16), p v as MR_Q queries x NV_D vectors of head dims (6 x 16).
  static constexpr int MR_K = 6;
  static constexpr int NV_Q = 2;
  static constexpr int MR_Q = 6;
  static constexpr int NV_D = 2;
  static constexpr int BQ = 64;  // queries per score tile (multiple of NV_Q * W)
  static constexpr int BK = 96;  // keys per tile (multiple of MR_K)

  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V x) { _mm256_storeu_ps(p, x); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V abs(V x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
  // Nearest integer (ties to even).
  static V round(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 2^n for integral n in [-127, 127], built in the exponent field; n = -127 gives +0.0.
  static V pow2i(V n) {
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }

  // Lane masks: less(a, b) is set where a < b (false for NaN); select(m, a, b) takes a where set.
  using M = __m256;
  static M less(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }

  // In-place 8 x 8 transpose: afterwards lane i of r[j] is what lane j of r[i] was.
  static void transpose(V (&r)[W]) {
    V t[W], u[W];
    for (int k = 0; k < 4; k++) {  // interleave pairs of rows
      t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 2; k++) {  // u[4k + e], 128-bit block b: element 4b + e of rows 4k..4k+3
      u[4 * k] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
      u[4 * k + 1] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
      u[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
      u[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {  // swap the off-diagonal 128-bit blocks
      r[e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x20);
      r[4 + e] = _mm256_permute2f128_ps(u[e], u[4 + e], 0x31);
    }
  }

  // x, with the lanes whose bit in `keep` is 0 set to -inf.
  static V mask_neg_inf(V x, uint32_t keep) {
    const __m256i bit = _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(keep)),
                                         _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128));
    const __m256 hidden = _mm256_castsi256_ps(_mm256_cmpeq_epi32(bit, _mm256_setzero_si256()));
    return _mm256_blendv_ps(x, _mm256_set1_ps(-__builtin_inff()), hidden);
  }

  // x, with -inf lanes replaced by 0.
  static V zero_neginf(V x) {
    return _mm256_blendv_ps(x, zero(),
                            _mm256_cmp_ps(x, _mm256_set1_ps(-__builtin_inff()), _CMP_EQ_OQ));
  }

  // 2^x; exactly 0 for x <= -127 (and for -inf), relative error ~1e-7 elsewhere (x <= 0).
  static V exp2(V x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-127.0f));
    const V n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const V f = _mm256_sub_ps(x, n);  // [-0.5, 0.5]
    V p = _mm256_set1_ps(exp2_poly::kC[exp2_poly::kDegree]);
    for (int i = exp2_poly::kDegree - 1; i >= 0; i--) {
      p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(exp2_poly::kC[i]));
    }
    const __m256i bits =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  }
};

}  // namespace tessera
