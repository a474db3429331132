// The pattern attention kernel for AVX512 (this file is compiled with -mavx512f ...).
#include "cpu/pattern_attention_isa.h"
#include "cpu/pattern_attention_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {

Status pattern_attention_avx512(const AttentionParams& p, const CompiledPattern& plan,
                                int max_threads) {
  return tile_simd::run_pattern_attention<Avx512>(p, plan, max_threads);
}

}  // namespace tessera
