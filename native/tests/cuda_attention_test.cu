// Checks the CUDA attention kernels against CPU references for fp32, fp16 and bf16: the flash
// attention against the scalar kernel (tessera::flash_attention_reference) on the shape table of
// the CPU kernels, and the pattern attention on the pattern families (cuda_pattern_test.cu). One
// line per case; exits non-zero on any failure, and 0 with "SKIP: no CUDA device (...)" when
// there is no GPU. Tolerances: cuda_test_harness.h.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cuda_test_harness.h"
#include "tessera/attention.h"
#include "tessera/cuda_attention.h"

namespace tessera {
namespace cuda_test {
namespace {

Result dense_reference(const Case& c, const Inputs& in) {
  Result r;
  flash_attention_reference(host_params(c, in, &r), 0);
  return r;
}

Kernel dense_kernel() {
  return Kernel{"", dense_reference,
                [](const CudaAttentionParams& p) { return cuda_flash_attention(p, nullptr); }};
}

Case make_case(int64_t seq_q, int64_t seq_k, int64_t head_dim, bool causal) {
  Case c;
  c.seq_q = seq_q, c.seq_k = seq_k, c.head_dim = head_dim, c.causal = causal;
  return c;
}

// The shape table of the CPU kernels: non-tile lengths, Nq != Nk, D 1..256, causal, key lengths
// (with empty rows), large logits, strided views.
std::vector<Case> shape_table() {
  std::vector<Case> cases;
  for (bool causal : {false, true}) {
    for (int64_t n : {1, 3, 8, 113, 127, 128, 197, 257, 577, 1569}) {
      cases.push_back(make_case(n, n, 64, causal));
    }
    for (auto [nq, nk] : {std::pair<int64_t, int64_t>{113, 203}, {1, 147}, {3, 799}, {203, 113}}) {
      cases.push_back(make_case(nq, nk, 64, causal));
    }
    for (int64_t d : {1, 8, 32, 80, 100, 128, 256}) cases.push_back(make_case(197, 197, d, causal));
    for (std::vector<int32_t> lengths : {std::vector<int32_t>{0, 150}, std::vector<int32_t>{197, 1},
                                         std::vector<int32_t>{64, 0}}) {
      Case c = make_case(197, 197, 64, causal);
      c.key_lengths = lengths;
      cases.push_back(c);
    }
    Case large = make_case(70, 200, 64, causal);
    large.logit_factor = 50.0f;
    cases.push_back(large);
    for (int64_t d : {64, 80}) {
      Case packed = make_case(257, 257, d, causal);
      packed.layout = Layout::kPackedQkv;
      cases.push_back(packed);
    }
  }
  return cases;
}

// Argument checks need no GPU: they go through the same chooser as the launch.
bool check_argument_errors() {
  CudaAttentionParams p;
  float dummy = 0.0f;
  p.q = p.k = p.v = &dummy;
  p.out = &dummy;
  p.batch = p.seq_q = p.seq_k = p.heads = 1;
  p.scale = 1.0f;
  bool ok = true;
  for (int64_t d : {0, 257}) {
    p.head_dim = d;
    const Status status = cuda_attention_supported(p);
    ok = ok && status.code() == StatusCode::kInvalidArgument;
    std::printf("%s  rejects D = %lld: %s\n", status.ok() ? "FAIL" : "PASS",
                static_cast<long long>(d), status.message().c_str());
  }
  p.head_dim = 64;
  p.heads = 70000;
  const Status grid = cuda_attention_supported(p);
  std::printf("%s  rejects H = 70000: %s\n", grid.ok() ? "FAIL" : "PASS", grid.message().c_str());
  p.heads = 1;
  const Status fine = cuda_attention_supported(p);
  std::printf("%s  accepts B = Nq = Nk = H = 1, D = 64%s\n", fine.ok() ? "PASS" : "FAIL",
              fine.message().c_str());
  return ok && !grid.ok() && fine.ok();
}

int check_dense_cases(bool quick) {
  int failures = 0;
  uint32_t seed = 1;
  const Kernel kernel = dense_kernel();
  for (const Case& c : shape_table()) {
    seed++;
    if (quick && std::max(c.seq_q, c.seq_k) > kQuickMaxLength) continue;
    failures += check_case(c, seed, kernel) ? 0 : 1;
  }
  return failures;
}

}  // namespace
}  // namespace cuda_test
}  // namespace tessera

// Usage: tessera_cuda_tests [--quick]   (--quick: only cases with Nq, Nk <= 257, e.g. for
// running under compute-sanitizer)
int main(int argc, char** argv) {
  using namespace tessera::cuda_test;
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const bool dense_arguments_ok = check_argument_errors();
  const bool arguments_ok =
      check_pattern_arguments() == 0 && check_pattern_walks() == 0 && dense_arguments_ok;
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device (%s)\n",
                err != cudaSuccess ? cudaGetErrorString(err) : "cudaGetDeviceCount returned 0");
    return arguments_ok ? 0 : 1;
  }
  cudaDeviceProp prop;
  if (!cuda_ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties")) return 1;
  std::printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
  const int failures = check_dense_cases(quick) + check_pattern_cases(quick);
  const bool ok = failures == 0 && arguments_ok;
  std::printf("%s: %d case(s) failed\n", ok ? "OK" : "FAILED", failures);
  return ok ? 0 : 1;
}
