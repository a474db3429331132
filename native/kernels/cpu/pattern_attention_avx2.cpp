// The pattern attention kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/pattern_attention_isa.h"
#include "cpu/pattern_attention_simd.h"
#include "cpu/simd_avx2.h"

namespace tessera {

Status pattern_attention_avx2(const AttentionParams& p, const CompiledPattern& plan,
                              int max_threads) {
  return tile_simd::run_pattern_attention<Avx2>(p, plan, max_threads);
}

}  // namespace tessera
