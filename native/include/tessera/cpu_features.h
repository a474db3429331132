// Run-time CPU feature detection and the instruction-set choice for CPU kernels.
#pragma once

namespace tessera {

// The SIMD code paths a CPU kernel can take. kAuto picks the best one the CPU supports.
enum class Isa { kAuto = 0, kScalar, kAvx2, kAvx512 };

struct CpuFeatures {
  bool avx2 = false;    // AVX2 + FMA (+ F16C)
  bool avx512 = false;  // AVX-512 F, DQ, BW, VL
  bool avx512bf16 = false;
  bool amx = false;  // AMX tiles (bf16/int8), reported only
  int cores = 1;     // CPUs this process may run on
};

// Detected once, on first call (thread-safe).
const CpuFeatures& cpu_features();

// Resolves kAuto to the best supported ISA; returns false when `requested` is not supported
// by this CPU or was not compiled into this binary.
bool resolve_isa(Isa requested, Isa* resolved);

const char* isa_name(Isa isa);

}  // namespace tessera
