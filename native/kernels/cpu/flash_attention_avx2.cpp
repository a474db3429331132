// The flash-attention kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/flash_attention_isa.h"
#include "cpu/flash_attention_simd.h"
#include "cpu/simd_avx2.h"

namespace tessera {

Status flash_attention_avx2(const AttentionParams& p, int max_threads) {
  return tile_simd::run_flash_attention<Avx2>(p, max_threads);
}

}  // namespace tessera
