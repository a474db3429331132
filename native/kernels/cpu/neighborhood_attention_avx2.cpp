// The direct neighborhood attention kernel for AVX2 + FMA (this file is compiled with -mavx2
// -mfma).
#include "cpu/neighborhood_attention_simd.h"
#include "cpu/pattern_attention_isa.h"
#include "cpu/simd_avx2.h"

namespace tessera {
namespace {

// Lane permutations of 8 floats by a vector of 32-bit indices.
struct Avx2Lanes {
  using I = __m256i;
  static I load_index(const int32_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  // Lane i: x[index[i]].
  static __m256 permute(__m256 x, I index) { return _mm256_permutevar8x32_ps(x, index); }
  // Lane i: base[index[i]].
  static __m256 gather(const float* base, I index) { return _mm256_i32gather_ps(base, index, 4); }
};

}  // namespace

Status neighborhood_attention_avx2(const AttentionParams& p, const CompiledPattern& plan,
                                   int max_threads) {
  return neighborhood_simd::run_neighborhood_attention<Avx2, Avx2Lanes>(p, plan, max_threads);
}

}  // namespace tessera
