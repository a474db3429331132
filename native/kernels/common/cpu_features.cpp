#include "tessera/cpu_features.h"

#include <string>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(TESSERA_X86)
#include <cpuid.h>
#endif

#include "tessera/run_options.h"

namespace tessera {
namespace {

int count_usable_cpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

#if defined(TESSERA_X86)
// __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
CpuFeatures detect_x86() {
  CpuFeatures f;
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512 = f.avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) f.avx512bf16 = f.avx512 && (eax & (1u << 5));
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) f.amx = (edx & (1u << 24)) != 0;
  return f;
}
#endif

CpuFeatures detect() {
#if defined(TESSERA_X86)
  CpuFeatures f = detect_x86();
#else
  CpuFeatures f;
#endif
  f.cores = count_usable_cpus();
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool resolve_isa(Isa requested, Isa* resolved) {
  const CpuFeatures& f = cpu_features();
  switch (requested) {
    case Isa::kAuto:
      *resolved = f.avx512 ? Isa::kAvx512 : (f.avx2 ? Isa::kAvx2 : Isa::kScalar);
      return true;
    case Isa::kScalar:
      *resolved = Isa::kScalar;
      return true;
    case Isa::kAvx2:
      *resolved = Isa::kAvx2;
      return f.avx2;
    case Isa::kAvx512:
      *resolved = Isa::kAvx512;
      return f.avx512;
  }
  return false;
}

Status choose_isa(const RunOptions& opts, Isa* isa) {
  if (resolve_isa(opts.isa, isa)) return Status::Ok();
  return Status::Unsupported(std::string("isa: '") + isa_name(opts.isa) +
                             "' is not supported by this CPU");
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAuto:
      return "auto";
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

}  // namespace tessera
