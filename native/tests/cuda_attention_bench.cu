// Times the CUDA flash attention forward (cudaEvent, warm-up, best of N) for fp16 and bf16,
// d = 64 and 128, N = 512 .. 16384, causal and not. B * N = 16384 tokens and H = 2048 / d, so
// every shape moves the same number of tokens and fills the GPU. Prints CSV to stdout:
//   impl,dtype,head_dim,causal,batch,heads,seq,ms,tflops
// FLOPs: 4 * B * H * N * N * D, halved for causal. Usage: tessera_cuda_bench [reps] [max_seq]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cuda_test_util.h"
#include "tessera/cuda_attention.h"

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

// Best time in ms of `reps` runs after kWarmup, or a negative value when a call failed.
float time_kernel(const CudaAttentionParams& p, int reps, cudaEvent_t start, cudaEvent_t stop) {
  float best = -1.0f;
  for (int r = 0; r < kWarmup + reps; r++) {
    if (!cuda_ok(cudaEventRecord(start), "cudaEventRecord")) return -1.0f;
    const Status status = cuda_flash_attention(p, nullptr);
    if (!status.ok()) {
      std::fprintf(stderr, "cuda_flash_attention: %s\n", status.message().c_str());
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

bool bench_shape(const Shape& s, int reps, cudaEvent_t start, cudaEvent_t stop) {
  const int64_t heads = kHeadsTimesDim / s.head_dim;
  const int64_t batch = kTokens / s.seq > 0 ? kTokens / s.seq : 1;
  const int64_t count = batch * s.seq * heads * s.head_dim;
  DeviceBuffer q, k, v, out;
  const size_t bytes = static_cast<size_t>(count) * dtype_bytes(s.dtype);
  if (!q.allocate(bytes) || !k.allocate(bytes) || !v.allocate(bytes) || !out.allocate(bytes) ||
      !fill(q.get(), count, s.dtype, 1) || !fill(k.get(), count, s.dtype, 2) ||
      !fill(v.get(), count, s.dtype, 3)) {
    return false;
  }
  CudaAttentionParams p;
  p.dtype = s.dtype;
  p.q = q.get(), p.k = k.get(), p.v = v.get(), p.out = out.get();
  p.q_strides = p.k_strides = p.v_strides = p.out_strides =
      Strides4{s.seq * heads * s.head_dim, heads * s.head_dim, s.head_dim, 1};
  p.batch = batch, p.seq_q = p.seq_k = s.seq, p.heads = heads, p.head_dim = s.head_dim;
  p.scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  p.causal = s.causal;
  const float ms = time_kernel(p, reps, start, stop);
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

}  // namespace
}  // namespace cuda_test
}  // namespace tessera

int main(int argc, char** argv) {
  using namespace tessera;
  using namespace tessera::cuda_test;
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  const int64_t max_seq = argc > 2 ? std::atoll(argv[2]) : 16384;
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
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ok ? 0 : 1;
}
