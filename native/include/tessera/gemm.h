// Linear layers: out = act(a b + bias) + residual in fp32, with the weight matrix b packed once
// (at model load) into the layout the GEMM microkernels stream. Nothing here knows about Node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

// A weight matrix B, logically [K, N], packed for every CPU code path at once. Layout:
// ceil(N / 16) panels of 16 columns, one after another; panel p is [K][16] (B[k, 16p + c] at
// k * 16 + c: one 64-byte line per k), columns past N hold zeros. A microkernel that is NR
// columns wide reads NR / 16 adjacent panels (AVX-512: 2 panels as 2 zmm per k), AVX2 reads a
// panel as two 8-float halves, the scalar path element by element, so one packed copy serves
// every ISA, forced or auto. 64-byte aligned; owns its memory; movable, not copyable.
class PackedMatrix {
 public:
  static constexpr int64_t kPanelWidth = 16;

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panels() const { return (n_ + kPanelWidth - 1) / kPanelWidth; }
  // Panel p: [K][16].
  const float* panel(int64_t p) const { return data_.get() + p * k_ * kPanelWidth; }
  // B[k, j].
  float at(int64_t k, int64_t j) const {
    return panel(j / kPanelWidth)[k * kPanelWidth + j % kPanelWidth];
  }

 private:
  struct Free {
    size_t bytes;  // of the block (value-initialized to 0 for an empty matrix)
    void operator()(float* p) const;
  };
  friend Status pack_matrix(const float* w, int64_t k, int64_t n, int64_t stride_k,
                            int64_t stride_n, PackedMatrix* out);

  std::unique_ptr<float, Free> data_;
  int64_t k_ = 0, n_ = 0;
};

// Packs B[k, j] = w[k * stride_k + j * stride_n] (element strides >= 0), so both
//   a PyTorch nn.Linear weight [N, K]: stride_k = 1, stride_n = K, and
//   an ONNX MatMul weight      [K, N]: stride_k = N, stride_n = 1
// pack without a transposed copy. On failure *out is unchanged (kOutOfMemory when the packed
// copy cannot be allocated).
//   w: [K, N] with strides (stride_k, stride_n)   out: [K, N] packed
Status pack_matrix(const float* w, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n,
                   PackedMatrix* out);

enum class Activation {
  kNone = 0,
  kGeluErf,   // 0.5 x (1 + erf(x / sqrt 2))
  kGeluTanh,  // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
};

// out = act(alpha a b + bias) + residual, per row i < M and column j < N.
//   a:        [M, K], rows a_row_stride elements apart, columns contiguous
//   b:        [K, N], packed
//   bias:     [N] or null
//   residual: [M, N], rows residual_row_stride apart, or null; added after the activation
//   out:      [M, N], rows out_row_stride apart (>= N when M > 1)
// out may be residual itself (same pointer and row stride: an in-place residual add) but must
// not otherwise overlap residual, a or bias.
struct LinearParams {
  const float* a = nullptr;
  int64_t m = 0, k = 0, a_row_stride = 0;
  const PackedMatrix* b = nullptr;
  float alpha = 1.0f;  // multiplies a b before the bias
  const float* bias = nullptr;
  Activation activation = Activation::kNone;
  const float* residual = nullptr;
  int64_t residual_row_stride = 0;
  float* out = nullptr;
  int64_t out_row_stride = 0;
};

// Checks pointers, sizes, strides and the overlap rules above (every linear entry point).
Status check_linear_params(const LinearParams& p);

// Checks the parameters and options; on success runs the kernel chosen for opts.isa on up to
// opts.max_threads workers of the shared pool.
Status linear(const LinearParams& p, const RunOptions& opts);

// Plain scalar loops on the calling thread: the oracle beside the fast kernels, and the path
// isa 'scalar' takes. Checks the parameters like linear().
Status linear_reference(const LinearParams& p);

}  // namespace tessera
