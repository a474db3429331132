// Host side of the CUDA pattern attention: uploading a CompiledPattern, checking a plan against
// the parameters, choosing the variant (the dense kernels' chooser) and launching it.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda/cuda_status.h"
#include "cuda/pattern_attention_launch.h"
#include "tessera/cuda_pattern.h"

namespace tessera {

void CudaDeviceFree::operator()(void* ptr) const { cudaFree(ptr); }

namespace cuda_detail {
namespace {

static_assert(std::is_trivially_copyable<QueryTile>::value &&
                  std::is_trivially_copyable<KeyTile>::value,
              "the plan's tiles are copied to the device byte for byte");

constexpr size_t kArrayAlign = 16;
constexpr int64_t kMaxGridX = std::numeric_limits<int32_t>::max();  // CUDA's gridDim.x limit

size_t align_up(size_t bytes) { return (bytes + kArrayAlign - 1) / kArrayAlign * kArrayAlign; }

template <typename T>
size_t bytes_of(const std::vector<T>& values) {
  return values.size() * sizeof(T);
}

// Byte offsets of the plan's four arrays inside one device allocation.
struct PlanLayout {
  size_t query_tiles = 0, key_tiles = 0, positions = 0, masks = 0, total = 0;
};

// Rows x keys over every query tile's key tiles: the pairs the kernels' walk covers.
int64_t tile_pairs(const CompiledPattern& plan) {
  int64_t pairs = 0;
  for (const QueryTile& tile : plan.query_tiles) {
    for (int64_t t = 0; t < tile.key_tile_count; t++) {
      pairs += tile.rows.count * plan.key_tiles[tile.first_key_tile + t].keys.count;
    }
  }
  return pairs;
}

PlanLayout plan_layout(const CompiledPattern& plan) {
  PlanLayout layout;
  layout.key_tiles = align_up(layout.query_tiles + bytes_of(plan.query_tiles));
  layout.positions = align_up(layout.key_tiles + bytes_of(plan.key_tiles));
  layout.masks = align_up(layout.positions + bytes_of(plan.positions));
  layout.total = layout.masks + bytes_of(plan.masks);
  return layout;
}

template <typename T>
void copy_array(const std::vector<T>& values, size_t offset, std::vector<uint8_t>* staging) {
  if (!values.empty()) std::memcpy(staging->data() + offset, values.data(), bytes_of(values));
}

Status check_plan(const CudaAttentionParams& p, const CudaCompiledPattern& plan) {
  const Status fits =
      check_plan_fits(plan.seq_q, plan.seq_k, plan.causal, p.seq_q, p.seq_k, p.causal);
  if (!fits.ok()) return fits;
  if (!plan.storage)
    return Status::Invalid("pattern: the plan is not on the device (upload_pattern)");
  return Status::Ok();
}

Status choose_pattern_kernel(const CudaAttentionParams& p, const CudaCompiledPattern& plan,
                             FlashKernelChoice* choice) {
  const Status status = check_plan(p, plan);
  return status.ok() ? choose_flash_kernel(p, choice) : status;
}

PatternView view_of(const CudaCompiledPattern& plan) {
  PatternView view;
  view.query_tiles = plan.query_tiles;
  view.key_tiles = plan.key_tiles;
  view.positions = plan.positions;
  view.masks = plan.masks;
  view.query_tile_count = plan.query_tile_count;
  return view;
}

}  // namespace
}  // namespace cuda_detail

Status upload_pattern(const CompiledPattern& plan, CudaCompiledPattern* out) {
  using namespace cuda_detail;
  if (plan.strided) {
    return Status::Invalid(
        "pattern: a CPU strided plan (compile_pattern); upload compile_tile_plan's");
  }
  if (static_cast<int64_t>(plan.query_tiles.size()) > kMaxGridX) {
    return Status::Unsupported("cuda: a pattern plan with more than 2^31 - 1 query tiles");
  }
  const PlanLayout layout = plan_layout(plan);
  std::vector<uint8_t> staging(layout.total);
  copy_array(plan.query_tiles, layout.query_tiles, &staging);
  copy_array(plan.key_tiles, layout.key_tiles, &staging);
  copy_array(plan.positions, layout.positions, &staging);
  copy_array(plan.masks, layout.masks, &staging);
  void* device = nullptr;
  Status status = check_cuda("cudaMalloc(pattern plan)",
                             cudaMalloc(&device, layout.total > 0 ? layout.total : 1));
  if (!status.ok()) return status;
  std::unique_ptr<void, CudaDeviceFree> storage(device);
  status = check_cuda("cudaMemcpy(pattern plan)",
                      cudaMemcpy(device, staging.data(), layout.total, cudaMemcpyHostToDevice));
  if (!status.ok()) return status;
  const auto* base = static_cast<const uint8_t*>(device);
  CudaCompiledPattern result;
  result.seq_q = plan.seq_q;
  result.seq_k = plan.seq_k;
  result.causal = plan.causal;
  result.query_tile_count = static_cast<int64_t>(plan.query_tiles.size());
  result.allowed_pairs = plan.allowed_pairs;
  result.tile_pairs = tile_pairs(plan);
  result.query_tiles = reinterpret_cast<const QueryTile*>(base + layout.query_tiles);
  result.key_tiles = reinterpret_cast<const KeyTile*>(base + layout.key_tiles);
  result.positions = reinterpret_cast<const int32_t*>(base + layout.positions);
  result.masks = reinterpret_cast<const uint64_t*>(base + layout.masks);
  result.storage = std::move(storage);
  *out = std::move(result);
  return Status::Ok();
}

Status free_pattern(CudaCompiledPattern* plan) {
  void* device = plan->storage.release();
  *plan = CudaCompiledPattern();
  return device ? cuda_detail::check_cuda("cudaFree(pattern plan)", cudaFree(device))
                : Status::Ok();
}

Status cuda_pattern_attention_supported(const CudaAttentionParams& p,
                                        const CudaCompiledPattern& plan) {
  cuda_detail::FlashKernelChoice choice;
  return cuda_detail::choose_pattern_kernel(p, plan, &choice);
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status cuda_pattern_attention(const CudaAttentionParams& p, const CudaCompiledPattern& plan,
                              cudaStream_t stream) {
  cuda_detail::FlashKernelChoice choice;
  const Status status = cuda_detail::choose_pattern_kernel(p, plan, &choice);
  if (!status.ok()) return status;
  if (plan.query_tile_count == 0) return Status::Ok();
  const cuda_detail::PatternView view = cuda_detail::view_of(plan);
  if (choice.family == cuda_detail::KernelFamily::kTensorCore) {
    return cuda_detail::launch_pattern_attention_mma(p, view, choice, stream);
  }
  return cuda_detail::launch_pattern_attention_fp32(p, view, choice, stream);
}

}  // namespace tessera
