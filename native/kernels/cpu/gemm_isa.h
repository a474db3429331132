// Entry points of the per-ISA linear kernels (built only on x86-64) and the scratch memory
// they share.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tessera/gemm.h"

namespace tessera {

// a: [M, K], b: [K, N] packed, bias: [N], residual/out: [M, N] (parameters already checked)
Status linear_avx512(const LinearParams& p, int max_threads);
Status linear_avx2(const LinearParams& p, int max_threads);

// Per-thread scratch memory of the drivers (defined in gemm.cpp, which is compiled without ISA
// flags): buffer `slot` of the calling thread with room for `floats` floats, 64-byte aligned,
// grown on demand and kept for the thread's lifetime (data is null when it cannot be allocated),
// and a tag the caller sets to say what the buffer holds (0 after every reallocation).
enum class GemmScratch { kPackedA = 0, kPartialSums = 1 };
struct ScratchBuffer {
  float* data = nullptr;
  uint64_t* tag = nullptr;
};
ScratchBuffer gemm_scratch(GemmScratch slot, size_t floats);

// The first of `count` tags that no call has used before (tags start at 1).
uint64_t reserve_gemm_tags(int64_t count);

}  // namespace tessera
