// pack_matrix(): a weight matrix with any element strides -> the panel layout of PackedMatrix.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "tessera/gemm.h"
#include "tessera/page_memory.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace {

constexpr int64_t kWidth = PackedMatrix::kPanelWidth;

// Sizes and strides, with the packed size (in floats) checked against overflow.
Status check_pack(const float* w, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n,
                  size_t* floats) {
  if (w == nullptr) return Status::Invalid("weight: missing data");
  if (k < 1 || n < 1) {
    return Status::Invalid("weight: expected K >= 1 and N >= 1, received K = " + std::to_string(k) +
                           ", N = " + std::to_string(n));
  }
  if (stride_k < 0 || stride_n < 0) return Status::Invalid("weight: expected strides >= 0");
  const uint64_t panels = static_cast<uint64_t>((n + kWidth - 1) / kWidth);
  uint64_t total = 0;
  if (__builtin_mul_overflow(panels * kWidth, static_cast<uint64_t>(k), &total) ||
      total > SIZE_MAX / sizeof(float) - kWidth) {
    return Status(StatusCode::kOutOfMemory, "weight: the packed matrix is too large");
  }
  *floats = static_cast<size_t>(total);
  return Status::Ok();
}

// Panel p of w: [K][16], zeros past column N.
//   w: [K, N] with strides (stride_k, stride_n)   dst: [K][16]
void pack_panel(const float* w, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n, int64_t p,
                float* dst) {
  const int64_t j0 = p * kWidth;
  const int64_t cols = std::min(kWidth, n - j0);
  for (int64_t kk = 0; kk < k; kk++) {
    const float* src = w + kk * stride_k + j0 * stride_n;
    float* row = dst + kk * kWidth;
    for (int64_t c = 0; c < cols; c++) row[c] = src[c * stride_n];
    for (int64_t c = cols; c < kWidth; c++) row[c] = 0.0f;
  }
}

}  // namespace

void PackedMatrix::Free::operator()(float* p) const { free_page_memory(p, bytes); }

Status pack_matrix(const float* w, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n,
                   PackedMatrix* out) {
  size_t floats = 0;
  Status status = check_pack(w, k, n, stride_k, stride_n, &floats);
  if (!status.ok()) return status;
  const size_t bytes = floats * sizeof(float);
  float* data = static_cast<float*>(allocate_page_memory(bytes));
  if (data == nullptr) {
    return Status(StatusCode::kOutOfMemory, "weight: out of memory for the packed matrix (" +
                                                std::to_string(bytes) + " bytes)");
  }
  PackedMatrix packed;
  packed.data_ = std::unique_ptr<float, PackedMatrix::Free>(data, PackedMatrix::Free{bytes});
  packed.k_ = k;
  packed.n_ = n;
  parallel_for(packed.panels(), 0, [&](int64_t p) {
    pack_panel(w, k, n, stride_k, stride_n, p, data + p * k * kWidth);
  });
  *out = std::move(packed);
  return Status::Ok();
}

}  // namespace tessera
