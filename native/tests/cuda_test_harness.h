// The correctness harness of tessera_cuda_tests, shared by the dense and pattern cases: inputs,
// device layouts, one GPU run, the tolerance rule and the PASS/FAIL line.
//
// Tolerances (ARCHITECTURE.md, "Tolerance policy"):
//   fp32: max |out - ref| <= 1e-5 + 1e-4 * max |ref|, with ref the reference on the same inputs
//         (the same rule for lse, on the finite entries; -inf entries must match exactly).
//   fp16 / bf16 (the flash-attention test rule, adapted to a CPU reference): let exact be the
//         reference on the unrounded fp32 inputs and lowp the reference on the inputs rounded to
//         the dtype, its output rounded to the dtype too (what an attention computed "in that
//         dtype" at its boundaries gives). The kernel passes when
//         max |gpu - exact| <= 2 * max |lowp - exact| + 1e-3; lse likewise (lowp lse not rounded).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "tessera/attention.h"
#include "tessera/cuda_attention.h"

namespace tessera {
namespace cuda_test {

// How q, k, v and out are laid out in device memory.
enum class Layout {
  kContiguous,  // q/k/v/out [B, N, H, D]
  kPackedQkv,   // q, k, v views of one [B, N, 3, H, D] buffer; out [B, H, N, D] (needs Nq == Nk)
};

struct Case {
  int64_t batch = 2, seq_q = 0, seq_k = 0, heads = 2, head_dim = 64;
  bool causal = false;
  std::vector<int32_t> key_lengths;  // empty: none
  float logit_factor = 1.0f;
  Layout layout = Layout::kContiguous;
};

struct Inputs {
  std::vector<float> q, k, v;  // contiguous [B, N, H, D]
};

struct Result {
  std::vector<float> out, lse;  // contiguous [B, Nq, H, D] and [B, H, Nq]
};

// What a case checks: the reference on host fp32 inputs, the GPU call on device parameters,
// and a name for the PASS/FAIL line.
struct Kernel {
  std::string name;
  std::function<Result(const Case&, const Inputs&)> reference;
  std::function<Status(const CudaAttentionParams&)> launch;
};

inline Strides4 contiguous(const Case& c, int64_t seq) {
  return Strides4{seq * c.heads * c.head_dim, c.heads * c.head_dim, c.head_dim, 1};
}

inline std::string describe(const Case& c, DType dtype) {
  std::string s = std::string(dtype_name(dtype)) + " B" + std::to_string(c.batch) + " Nq" +
                  std::to_string(c.seq_q) + " Nk" + std::to_string(c.seq_k) + " H" +
                  std::to_string(c.heads) + " D" + std::to_string(c.head_dim);
  if (c.causal) s += " causal";
  if (!c.key_lengths.empty()) {
    s += " keyLengths=";
    for (size_t b = 0; b < c.key_lengths.size(); b++) {
      s += (b ? "," : "") + std::to_string(c.key_lengths[b]);
    }
  }
  if (c.logit_factor != 1.0f) s += " logits x" + std::to_string(static_cast<int>(c.logit_factor));
  if (c.layout == Layout::kPackedQkv) s += " packed-qkv/out-BHND";
  return s;
}

inline std::vector<float> random_values(size_t count, float factor, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& x : values) x = dist(rng) * factor;
  return values;
}

inline Inputs make_inputs(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const size_t q_count = static_cast<size_t>(c.batch * c.seq_q * c.heads * c.head_dim);
  const size_t kv_count = static_cast<size_t>(c.batch * c.seq_k * c.heads * c.head_dim);
  Inputs in;
  in.q = random_values(q_count, c.logit_factor, rng);
  in.k = random_values(kv_count, 1.0f, rng);
  in.v = random_values(kv_count, 1.0f, rng);
  return in;
}

// Host parameters of the case on contiguous `in`, writing into `result` (sized here).
inline AttentionParams host_params(const Case& c, const Inputs& in, Result* result) {
  result->out.resize(in.q.size());
  result->lse.resize(static_cast<size_t>(c.batch * c.heads * c.seq_q));
  AttentionParams p;
  p.q = in.q.data();
  p.k = in.k.data();
  p.v = in.v.data();
  p.out = result->out.data();
  p.lse = result->lse.data();
  p.q_strides = p.out_strides = contiguous(c, c.seq_q);
  p.k_strides = p.v_strides = contiguous(c, c.seq_k);
  p.batch = c.batch, p.seq_q = c.seq_q, p.seq_k = c.seq_k, p.heads = c.heads;
  p.head_dim = c.head_dim;
  p.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  p.causal = c.causal;
  p.key_lengths = c.key_lengths.empty() ? nullptr : c.key_lengths.data();
  return p;
}

// Element (b, n, h, d) of a contiguous [B, N, H, D] tensor, moved to the offset `strides` give.
inline void scatter(const Case& c, int64_t seq, const std::vector<float>& src, const Strides4& s,
                    int64_t offset, std::vector<float>* dst) {
  size_t idx = 0;
  for (int64_t b = 0; b < c.batch; b++)
    for (int64_t n = 0; n < seq; n++)
      for (int64_t h = 0; h < c.heads; h++)
        for (int64_t d = 0; d < c.head_dim; d++) {
          (*dst)[offset + b * s.batch + n * s.seq + h * s.head + d * s.dim] = src[idx++];
        }
}

inline std::vector<float> gather(const Case& c, const std::vector<float>& src, const Strides4& s) {
  std::vector<float> dst;
  dst.reserve(static_cast<size_t>(c.batch * c.seq_q * c.heads * c.head_dim));
  for (int64_t b = 0; b < c.batch; b++)
    for (int64_t n = 0; n < c.seq_q; n++)
      for (int64_t h = 0; h < c.heads; h++)
        for (int64_t d = 0; d < c.head_dim; d++) {
          dst.push_back(src[b * s.batch + n * s.seq + h * s.head + d * s.dim]);
        }
  return dst;
}

inline bool upload(const std::vector<float>& values, DType dtype, DeviceBuffer* buffer) {
  const std::vector<uint8_t> bytes = encode(values, dtype);
  return buffer->allocate(bytes.size()) &&
         cuda_ok(cudaMemcpy(buffer->get(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice),
                 "cudaMemcpy to device");
}

inline bool download(const DeviceBuffer& buffer, size_t count, DType dtype,
                     std::vector<float>* values) {
  std::vector<uint8_t> bytes(count * dtype_bytes(dtype));
  if (!cuda_ok(cudaMemcpy(bytes.data(), buffer.get(), bytes.size(), cudaMemcpyDeviceToHost),
               "cudaMemcpy to host")) {
    return false;
  }
  *values = decode(bytes, dtype);
  return true;
}

// Runs `kernel` on `in` in the case's layout; out and lse start as NaN so unwritten entries
// fail the comparison.
inline Status run_gpu(const Case& c, const Inputs& in, DType dtype, const Kernel& kernel,
                      Result* result) {
  const Status failed(StatusCode::kInternal, "a CUDA call of the test failed (see stderr)");
  CudaAttentionParams p;
  p.dtype = dtype;
  p.batch = c.batch, p.seq_q = c.seq_q, p.seq_k = c.seq_k, p.heads = c.heads;
  p.head_dim = c.head_dim;
  p.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  p.causal = c.causal;
  const size_t out_count = in.q.size();
  const size_t lse_count = static_cast<size_t>(c.batch * c.heads * c.seq_q);
  DeviceBuffer q, k, v, qkv, out, lse, key_lengths;
  const size_t value_bytes = dtype_bytes(dtype);
  if (c.layout == Layout::kPackedQkv) {
    const int64_t hd = c.heads * c.head_dim;
    const Strides4 packed{c.seq_q * 3 * hd, 3 * hd, c.head_dim, 1};
    std::vector<float> host(in.q.size() * 3);
    scatter(c, c.seq_q, in.q, packed, 0, &host);
    scatter(c, c.seq_k, in.k, packed, hd, &host);
    scatter(c, c.seq_k, in.v, packed, 2 * hd, &host);
    if (!upload(host, dtype, &qkv)) return failed;
    const auto* base = static_cast<const uint8_t*>(qkv.get());
    p.q = base, p.k = base + hd * value_bytes, p.v = base + 2 * hd * value_bytes;
    p.q_strides = p.k_strides = p.v_strides = packed;
    p.out_strides = Strides4{c.heads * c.seq_q * c.head_dim, c.head_dim, c.seq_q * c.head_dim, 1};
  } else {
    if (!upload(in.q, dtype, &q) || !upload(in.k, dtype, &k) || !upload(in.v, dtype, &v)) {
      return failed;
    }
    p.q = q.get(), p.k = k.get(), p.v = v.get();
    p.q_strides = p.out_strides = contiguous(c, c.seq_q);
    p.k_strides = p.v_strides = contiguous(c, c.seq_k);
  }
  if (!out.allocate(out_count * value_bytes) || !lse.allocate(lse_count * sizeof(float)) ||
      !cuda_ok(cudaMemset(out.get(), 0xff, out_count * value_bytes), "cudaMemset") ||
      !cuda_ok(cudaMemset(lse.get(), 0xff, lse_count * sizeof(float)), "cudaMemset")) {
    return failed;
  }
  p.out = out.get();
  p.lse = static_cast<float*>(lse.get());
  if (!c.key_lengths.empty()) {
    const size_t bytes = c.key_lengths.size() * sizeof(int32_t);
    if (!key_lengths.allocate(bytes) ||
        !cuda_ok(cudaMemcpy(key_lengths.get(), c.key_lengths.data(), bytes, cudaMemcpyHostToDevice),
                 "cudaMemcpy key lengths")) {
      return failed;
    }
    p.key_lengths = static_cast<const int32_t*>(key_lengths.get());
  }
  Status status = kernel.launch(p);
  if (status.ok() && !cuda_ok(cudaDeviceSynchronize(), "kernel execution")) return failed;
  if (!status.ok()) return status;
  std::vector<float> raw;
  if (!download(out, out_count, dtype, &raw) ||
      !download(lse, lse_count, DType::kFloat32, &result->lse)) {
    return failed;
  }
  result->out = gather(c, raw, p.out_strides);
  return Status::Ok();
}

// Largest |a - b| and where; equal infinities differ by 0, NaN or a lone infinity by +inf.
struct Diff {
  float value = 0.0f;
  size_t index = 0;
};

inline Diff worst_diff(const std::vector<float>& a, const std::vector<float>& b) {
  Diff worst;
  for (size_t i = 0; i < a.size(); i++) {
    if (a[i] == b[i]) continue;
    float d = std::fabs(a[i] - b[i]);
    if (std::isnan(d)) d = std::numeric_limits<float>::infinity();
    if (d > worst.value) worst = Diff{d, i};
  }
  return worst;
}

inline float max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  return worst_diff(a, b).value;
}

// "(b, i, h, d): gpu vs ref" for the worst element of a failed case, to start debugging from.
inline void print_worst(const Case& c, const Result& gpu, const Result& ref) {
  const Diff out = worst_diff(gpu.out, ref.out);
  const int64_t d = static_cast<int64_t>(out.index) % c.head_dim;
  const int64_t h = static_cast<int64_t>(out.index) / c.head_dim % c.heads;
  const int64_t i = static_cast<int64_t>(out.index) / (c.head_dim * c.heads) % c.seq_q;
  const int64_t b = static_cast<int64_t>(out.index) / (c.head_dim * c.heads * c.seq_q);
  std::printf("      worst out (b %lld, i %lld, h %lld, d %lld): gpu %g, ref %g\n",
              static_cast<long long>(b), static_cast<long long>(i), static_cast<long long>(h),
              static_cast<long long>(d), gpu.out[out.index], ref.out[out.index]);
  const Diff lse = worst_diff(gpu.lse, ref.lse);
  std::printf("      worst lse (flat [B, H, Nq] index %zu): gpu %g, ref %g\n", lse.index,
              gpu.lse[lse.index], ref.lse[lse.index]);
}

inline float max_abs_finite(const std::vector<float>& a) {
  float worst = 0.0f;
  for (float x : a) {
    if (std::isfinite(x)) worst = std::max(worst, std::fabs(x));
  }
  return worst;
}

struct Bounds {
  float out = 0.0f, lse = 0.0f;
};

inline Bounds fp32_bounds(const Result& ref) {
  return {1e-5f + 1e-4f * max_abs_finite(ref.out), 1e-5f + 1e-4f * max_abs_finite(ref.lse)};
}

// 2x the error of the reference computed on dtype-rounded inputs (output rounded), + 1e-3.
inline Bounds reduced_bounds(const Case& c, const Inputs& in, const Result& exact, DType dtype,
                             const Kernel& kernel) {
  const Inputs rounded{round_to(in.q, dtype), round_to(in.k, dtype), round_to(in.v, dtype)};
  Result lowp = kernel.reference(c, rounded);
  lowp.out = round_to(lowp.out, dtype);
  return {2.0f * max_diff(lowp.out, exact.out) + 1e-3f,
          2.0f * max_diff(lowp.lse, exact.lse) + 1e-3f};
}

// Runs the case in fp32, fp16 and bf16 and prints one PASS/FAIL line per dtype.
inline bool check_case(const Case& c, uint32_t seed, const Kernel& kernel) {
  const Inputs in = make_inputs(c, seed);
  const Result exact = kernel.reference(c, in);
  bool all_ok = true;
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kBFloat16}) {
    const Bounds bound =
        dtype == DType::kFloat32 ? fp32_bounds(exact) : reduced_bounds(c, in, exact, dtype, kernel);
    Result gpu;
    const Status status = run_gpu(c, in, dtype, kernel, &gpu);
    const float out_err = status.ok() ? max_diff(gpu.out, exact.out) : NAN;
    const float lse_err = status.ok() ? max_diff(gpu.lse, exact.lse) : NAN;
    const bool ok = status.ok() && out_err <= bound.out && lse_err <= bound.lse;
    const std::string name = (kernel.name.empty() ? "" : kernel.name + " ") + describe(c, dtype);
    std::printf("%s  %-64s out err %.3g (bound %.3g)  lse err %.3g (bound %.3g)%s%s\n",
                ok ? "PASS" : "FAIL", name.c_str(), out_err, bound.out, lse_err, bound.lse,
                status.ok() ? "" : "  status: ", status.message().c_str());
    if (status.ok() && !ok) print_worst(c, gpu, exact);
    all_ok = all_ok && ok;
  }
  return all_ok;
}

// Only cases with Nq, Nk <= this run with --quick (e.g. under compute-sanitizer).
constexpr int64_t kQuickMaxLength = 257;

// The pattern attention cases (cuda_pattern_test.cu): argument checks and the kernels' plan walk,
// which need no GPU, and the pattern families against the fp64 masked reference; each returns
// the number of failures.
int check_pattern_arguments();
int check_pattern_walks();
int check_pattern_cases(bool quick);

}  // namespace cuda_test
}  // namespace tessera
