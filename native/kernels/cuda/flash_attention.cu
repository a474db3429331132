// Host side of the CUDA flash attention: argument checks, the kernel chooser, the launch.
#include <cstdint>
#include <limits>
#include <string>

#include "cuda/flash_attention_launch.h"
#include "tessera/cuda_attention.h"

namespace tessera {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "unknown";
}

namespace cuda_detail {
namespace {

constexpr int64_t kMaxGridYZ = 65535;  // CUDA's limit on gridDim.y (heads) and gridDim.z (batch)

Status check_sizes(const CudaAttentionParams& p) {
  if (!p.q || !p.k || !p.v || !p.out) return Status::Invalid("args: missing q, k, v or out");
  Status status = check_attention_shape(p.batch, p.seq_q, p.seq_k, p.heads, p.head_dim, p.scale);
  if (!status.ok()) return status;
  if (p.seq_q > std::numeric_limits<int32_t>::max()) {
    return Status::Unsupported("cuda: Nq above 2^31 - 1 is not supported");
  }
  if (p.heads > kMaxGridYZ || p.batch > kMaxGridYZ) {
    return Status::Unsupported("cuda: B and H must each be <= 65535, received B = " +
                               std::to_string(p.batch) + ", H = " + std::to_string(p.heads));
  }
  return Status::Ok();
}

int head_dim_bucket(int64_t head_dim) {
  if (head_dim <= 32) return 32;
  if (head_dim <= 64) return 64;
  if (head_dim <= 128) return 128;
  return 256;
}

// Whether every row of the (b, h) slices starts 16-byte aligned with contiguous dims, so the
// 16-bit kernels can move 8 values per load.
bool rows_vectorizable(const void* base, const Strides4& s, int64_t head_dim) {
  constexpr int64_t kValuesPer16Bytes = 8;
  const bool aligned = reinterpret_cast<uintptr_t>(base) % 16 == 0;
  return aligned && s.dim == 1 && head_dim % kValuesPer16Bytes == 0 &&
         s.batch % kValuesPer16Bytes == 0 && s.seq % kValuesPer16Bytes == 0 &&
         s.head % kValuesPer16Bytes == 0;
}

}  // namespace

Status choose_flash_kernel(const CudaAttentionParams& p, FlashKernelChoice* choice) {
  const Status status = check_sizes(p);
  if (!status.ok()) return status;
  choice->head_dim_bucket = head_dim_bucket(p.head_dim);
  switch (p.dtype) {
    case DType::kFloat32:
      choice->family = KernelFamily::kCudaCore;
      choice->vector_loads = false;
      return Status::Ok();
    case DType::kFloat16:
    case DType::kBFloat16:
      choice->family = KernelFamily::kTensorCore;
      choice->vector_loads = rows_vectorizable(p.q, p.q_strides, p.head_dim) &&
                             rows_vectorizable(p.k, p.k_strides, p.head_dim) &&
                             rows_vectorizable(p.v, p.v_strides, p.head_dim);
      return Status::Ok();
  }
  return Status::Invalid("dtype: expected float32, float16 or bfloat16");
}

}  // namespace cuda_detail

Status cuda_attention_supported(const CudaAttentionParams& p) {
  cuda_detail::FlashKernelChoice choice;
  return cuda_detail::choose_flash_kernel(p, &choice);
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status cuda_flash_attention(const CudaAttentionParams& p, cudaStream_t stream) {
  cuda_detail::FlashKernelChoice choice;
  const Status status = cuda_detail::choose_flash_kernel(p, &choice);
  if (!status.ok()) return status;
  if (choice.family == cuda_detail::KernelFamily::kTensorCore) {
    return cuda_detail::launch_flash_attention_mma(p, choice, stream);
  }
  return cuda_detail::launch_flash_attention_fp32(p, choice, stream);
}

}  // namespace tessera
