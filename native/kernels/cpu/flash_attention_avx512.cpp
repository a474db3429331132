// The flash-attention kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/flash_attention_isa.h"
#include "cpu/flash_attention_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {

Status flash_attention_avx512(const AttentionParams& p, int max_threads) {
  return tile_simd::run_flash_attention<Avx512>(p, max_threads);
}

}  // namespace tessera
