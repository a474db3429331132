// Times the CUDA flash attention forward (cudaEvent, warm-up, best of N) for fp16 and bf16,
// d = 64 and 128, N = 512 .. 16384, causal and not. B * N = 16384 tokens and H = 2048 / d, so
// every shape moves the same number of tokens and fills the GPU. Prints CSV to stdout:
//   impl,dtype,head_dim,causal,batch,heads,seq,ms,tflops
// FLOPs: 4 * B * H * N * N * D, halved for causal.
// With `patterns`, times the pattern attention instead (fp16 and bf16, H = 12, D = 64, B * N =
// 16384 tokens): 2D neighborhood 7x7 on a 64x64 grid and 3D 3x7x7 on 8x32x32, each against the
// dense kernel on the same buffers in the same run. Prints CSV:
//   pattern,dtype,head_dim,batch,heads,seq,allowed_pairs,tile_pairs,ms,dense_ms,
//   tflops_allowed,dense_tflops,rate_ratio
// tflops_allowed counts 4 * B * H * D * (allowed pairs); rate_ratio = tflops_allowed /
// dense_tflops (the speedup over dense divided by the FLOP bound dense pairs / allowed pairs).
// Usage: tessera_cuda_bench [reps] [max_seq] [dense|patterns]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cuda_test_util.h"
#include "tessera/cuda_attention.h"
#include "tessera/cuda_pattern.h"
#include "tessera/pattern.h"

namespace tessera {
namespace cuda_test {
namespace {

constexpr int kWarmup = 3;
constexpr int64_t kTokens = 16384;
constexpr int64_t kHeadsTimesDim = 2048;

// Fills x: [count] with uniform values in [-1, 1) from an integer hash (deterministic).
template <typename T>
__global__ void fill_uniform(T* x, int64_t count, uint32_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ seed;
    h ^= h >> 16, h *= 0x7feb352du, h ^= h >> 15, h *= 0x846ca68bu, h ^= h >> 16;
    x[i] = static_cast<T>(static_cast<float>(h) * (2.0f / 4294967296.0f) - 1.0f);
  }
}

bool fill(void* x, int64_t count, DType dtype, uint32_t seed) {
  if (dtype == DType::kFloat16) {
    fill_uniform<<<1024, 256>>>(static_cast<__half*>(x), count, seed);
  } else {
    fill_uniform<<<1024, 256>>>(static_cast<__nv_bfloat16*>(x), count, seed);
  }
  return cuda_ok(cudaGetLastError(), "fill_uniform");
}

struct Shape {
  DType dtype;
  int64_t head_dim, seq;
  bool causal;
};

// Best time in ms of `reps` runs of `launch` after kWarmup, or a negative value when a call
// failed.
float time_kernel(const std::function<Status()>& launch, int reps, cudaEvent_t start,
                  cudaEvent_t stop) {
  float best = -1.0f;
  for (int r = 0; r < kWarmup + reps; r++) {
    if (!cuda_ok(cudaEventRecord(start), "cudaEventRecord")) return -1.0f;
    const Status status = launch();
    if (!status.ok()) {
      std::fprintf(stderr, "attention launch: %s\n", status.message().c_str());
      return -1.0f;
    }
    float ms = 0.0f;
    if (!cuda_ok(cudaEventRecord(stop), "cudaEventRecord") ||
        !cuda_ok(cudaEventSynchronize(stop), "kernel execution") ||
        !cuda_ok(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime")) {
      return -1.0f;
    }
    if (r >= kWarmup && (best < 0.0f || ms < best)) best = ms;
  }
  return best;
}

// q, k, v, out: [B, N, H, D] contiguous, filled with uniform values in [-1, 1).
struct BenchTensors {
  DeviceBuffer q, k, v, out;
  CudaAttentionParams params;
};

bool make_tensors(DType dtype, int64_t batch, int64_t seq, int64_t heads, int64_t head_dim,
                  BenchTensors* t) {
  const int64_t count = batch * seq * heads * head_dim;
  const size_t bytes = static_cast<size_t>(count) * dtype_bytes(dtype);
  if (!t->q.allocate(bytes) || !t->k.allocate(bytes) || !t->v.allocate(bytes) ||
      !t->out.allocate(bytes) || !fill(t->q.get(), count, dtype, 1) ||
      !fill(t->k.get(), count, dtype, 2) || !fill(t->v.get(), count, dtype, 3)) {
    return false;
  }
  CudaAttentionParams& p = t->params;
  p.dtype = dtype;
  p.q = t->q.get(), p.k = t->k.get(), p.v = t->v.get(), p.out = t->out.get();
  p.q_strides = p.k_strides = p.v_strides = p.out_strides =
      Strides4{seq * heads * head_dim, heads * head_dim, head_dim, 1};
  p.batch = batch, p.seq_q = p.seq_k = seq, p.heads = heads, p.head_dim = head_dim;
  p.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  return true;
}

bool bench_shape(const Shape& s, int reps, cudaEvent_t start, cudaEvent_t stop) {
  const int64_t heads = kHeadsTimesDim / s.head_dim;
  const int64_t batch = kTokens / s.seq > 0 ? kTokens / s.seq : 1;
  BenchTensors t;
  if (!make_tensors(s.dtype, batch, s.seq, heads, s.head_dim, &t)) return false;
  t.params.causal = s.causal;
  const float ms =
      time_kernel([&] { return cuda_flash_attention(t.params, nullptr); }, reps, start, stop);
  if (ms < 0.0f) return false;
  const double flops = 4.0 * batch * heads * static_cast<double>(s.seq) * s.seq * s.head_dim *
                       (s.causal ? 0.5 : 1.0);
  std::printf("tessera,%s,%lld,%d,%lld,%lld,%lld,%.4f,%.2f\n", dtype_name(s.dtype),
              static_cast<long long>(s.head_dim), s.causal ? 1 : 0, static_cast<long long>(batch),
              static_cast<long long>(heads), static_cast<long long>(s.seq), ms,
              flops / (ms * 1e-3) / 1e12);
  std::fflush(stdout);
  return true;
}

bool bench_dense(int reps, int64_t max_seq, cudaEvent_t start, cudaEvent_t stop) {
  std::printf("impl,dtype,head_dim,causal,batch,heads,seq,ms,tflops\n");
  bool ok = true;
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    for (int64_t head_dim : {64, 128}) {
      for (bool causal : {false, true}) {
        for (int64_t seq = 512; seq <= max_seq; seq *= 2) {
          ok = bench_shape(Shape{dtype, head_dim, seq, causal}, reps, start, stop) && ok;
        }
      }
    }
  }
  return ok;
}

// ---- pattern attention against dense ----

constexpr int64_t kPatternHeads = 12;
constexpr int64_t kPatternHeadDim = 64;

struct PatternShape {
  std::string name;
  std::vector<int64_t> grid, window;
};

PatternSpec neighborhood_spec(const PatternShape& shape) {
  PatternSpec spec;
  spec.type = PatternType::kNeighborhood;
  spec.grid = shape.grid;
  spec.window = shape.window;
  spec.dilation.assign(shape.grid.size(), 1);
  return spec;
}

bool bench_pattern(const PatternShape& shape, DType dtype, int reps, cudaEvent_t start,
                   cudaEvent_t stop) {
  int64_t seq = 1;
  for (int64_t size : shape.grid) seq *= size;
  const int64_t batch = kTokens / seq > 0 ? kTokens / seq : 1;
  CompiledPattern plan;
  CudaCompiledPattern device_plan;
  Status status = compile_tile_plan(neighborhood_spec(shape), seq, seq, false, &plan);
  if (status.ok()) status = upload_pattern(plan, &device_plan);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", shape.name.c_str(), status.message().c_str());
    return false;
  }
  BenchTensors t;
  if (!make_tensors(dtype, batch, seq, kPatternHeads, kPatternHeadDim, &t)) return false;
  const float ms = time_kernel(
      [&] { return cuda_pattern_attention(t.params, device_plan, nullptr); }, reps, start, stop);
  const float dense_ms =
      time_kernel([&] { return cuda_flash_attention(t.params, nullptr); }, reps, start, stop);
  if (ms < 0.0f || dense_ms < 0.0f) return false;
  const double per_pair = 4.0 * batch * kPatternHeads * kPatternHeadDim;
  const double tflops = per_pair * plan.allowed_pairs / (ms * 1e-3) / 1e12;
  const double dense_tflops = per_pair * static_cast<double>(seq) * seq / (dense_ms * 1e-3) / 1e12;
  std::printf("%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%.4f,%.4f,%.2f,%.2f,%.3f\n", shape.name.c_str(),
              dtype_name(dtype), static_cast<long long>(kPatternHeadDim),
              static_cast<long long>(batch), static_cast<long long>(kPatternHeads),
              static_cast<long long>(seq), static_cast<long long>(plan.allowed_pairs),
              static_cast<long long>(device_plan.tile_pairs), ms, dense_ms, tflops, dense_tflops,
              tflops / dense_tflops);
  std::fflush(stdout);
  return true;
}

bool bench_patterns(int reps, cudaEvent_t start, cudaEvent_t stop) {
  std::printf(
      "pattern,dtype,head_dim,batch,heads,seq,allowed_pairs,tile_pairs,ms,dense_ms,"
      "tflops_allowed,dense_tflops,rate_ratio\n");
  const PatternShape shapes[] = {{"neighborhood 2D 7x7 on 64x64", {64, 64}, {7, 7}},
                                 {"neighborhood 3D 3x7x7 on 8x32x32", {8, 32, 32}, {3, 7, 7}}};
  bool ok = true;
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    for (const PatternShape& shape : shapes) {
      ok = bench_pattern(shape, dtype, reps, start, stop) && ok;
    }
  }
  return ok;
}

}  // namespace
}  // namespace cuda_test
}  // namespace tessera

int main(int argc, char** argv) {
  using namespace tessera;
  using namespace tessera::cuda_test;
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  const int64_t max_seq = argc > 2 ? std::atoll(argv[2]) : 16384;
  const std::string mode = argc > 3 ? argv[3] : "dense";
  if (mode != "dense" && mode != "patterns") {
    std::fprintf(stderr, "usage: tessera_cuda_bench [reps] [max_seq] [dense|patterns]\n");
    return 2;
  }
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device (%s)\n",
                err != cudaSuccess ? cudaGetErrorString(err) : "cudaGetDeviceCount returned 0");
    return 0;
  }
  cudaEvent_t start, stop;
  if (!cuda_ok(cudaEventCreate(&start), "cudaEventCreate") ||
      !cuda_ok(cudaEventCreate(&stop), "cudaEventCreate")) {
    return 1;
  }
  const bool ok =
      mode == "dense" ? bench_dense(reps, max_seq, start, stop) : bench_patterns(reps, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ok ? 0 : 1;
}
