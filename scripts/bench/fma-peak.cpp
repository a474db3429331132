// The FMA peak of one core, the ceiling the attention kernels are compared with:
//   g++ -O3 -mavx512f -mfma scripts/bench/fma-peak.cpp -o /tmp/fma-peak && /tmp/fma-peak [iterations]
// 12 independent AVX-512 FMA chains, all in registers (no memory traffic). The default of 2e8
// iterations takes ~0.4 s; fewer give short samples to interleave with other measurements.
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  constexpr int kChains = 12;
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000000;
  __m512 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(i * 0.001f);
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(0.0001f);
  const auto start = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; it++) {
    for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sum = 0;
  for (int i = 0; i < kChains; i++) sum += _mm512_reduce_add_ps(acc[i]);
  std::printf("%.1f GFLOP/s on one core (checksum %g)\n",
              iterations * kChains * 32.0 / seconds / 1e9, sum);
  return 0;
}
