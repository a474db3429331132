// Per-thread scratch memory for kernels, 64-byte aligned, grown on demand and kept for the
// thread's lifetime. Defined in scratch.cpp, which is compiled without ISA flags: an inline
// definition in a header included by the AVX2 and AVX-512 files would give one merged copy,
// possibly compiled for AVX-512, to both.
#pragma once

#include <cstddef>

namespace tessera {

// At least `count` floats, or null if the allocation failed.
float* thread_scratch_floats(size_t count);

}  // namespace tessera
