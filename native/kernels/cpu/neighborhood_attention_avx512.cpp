// The direct neighborhood attention kernel for AVX512 (this file is compiled with -mavx512f ...).
#include "cpu/neighborhood_attention_simd.h"
#include "cpu/pattern_attention_isa.h"
#include "cpu/simd_avx512.h"

namespace tessera {
namespace {

// Lane permutations of 16 floats by a vector of 32-bit indices.
struct Avx512Lanes {
  using I = __m512i;
  static I load_index(const int32_t* p) { return _mm512_loadu_si512(p); }
  // Lane i: x[index[i]].
  static __m512 permute(__m512 x, I index) { return _mm512_permutexvar_ps(index, x); }
  // Lane i: base[index[i]].
  static __m512 gather(const float* base, I index) { return _mm512_i32gather_ps(index, base, 4); }
};

}  // namespace

Status neighborhood_attention_avx512(const AttentionParams& p, const CompiledPattern& plan,
                                     int max_threads) {
  return neighborhood_simd::run_neighborhood_attention<Avx512, Avx512Lanes>(p, plan, max_threads);
}

}  // namespace tessera
