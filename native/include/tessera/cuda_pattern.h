// Pattern (block-sparse) attention on the GPU, driven by the same CompiledPattern as the CPU
// kernels (tessera/pattern.h): the plan is uploaded once to device memory and reused for every
// call with the same shape. Same contract as cuda_flash_attention (device pointers, caller's
// stream, no synchronization, errors as a Status), with the pattern as an extra mask: key j is
// allowed for query i when the plan allows the pair (the pattern, and causal when the plan was
// compiled with it) and (!key_lengths || j < key_lengths[b]).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

#include "tessera/cuda_attention.h"
#include "tessera/pattern.h"
#include "tessera/status.h"

namespace tessera {

// Frees device memory with cudaFree (errors ignored: free_pattern reports them).
struct CudaDeviceFree {
  void operator()(void* ptr) const;
};

// A CompiledPattern in device memory: its tile arrays copied byte for byte into one allocation
// (owned here, freed on destruction or by free_pattern). Move-only. The arrays are device
// pointers: read them only in kernels.
struct CudaCompiledPattern {
  int64_t seq_q = 0, seq_k = 0;
  bool causal = false;
  int64_t query_tile_count = 0;
  int64_t allowed_pairs = 0;  // pairs the pattern (with causal) allows
  int64_t tile_pairs = 0;     // rows x keys of every query tile's key tiles (the GPU walk's work)
  const QueryTile* query_tiles = nullptr;
  const KeyTile* key_tiles = nullptr;
  const int32_t* positions = nullptr;
  const uint64_t* masks = nullptr;
  std::unique_ptr<void, CudaDeviceFree> storage;
};

// Copies `plan` (from compile_tile_plan) to the current device (synchronously), replacing what
// `out` held.
Status upload_pattern(const CompiledPattern& plan, CudaCompiledPattern* out);

// Frees the device copy now (the destructor does the same but cannot report errors).
Status free_pattern(CudaCompiledPattern* plan);

// Whether cuda_pattern_attention handles these parameters with this plan; names the reason when
// not. Uses the same chooser as the launch.
Status cuda_pattern_attention_supported(const CudaAttentionParams& p,
                                        const CudaCompiledPattern& plan);

// Attention under an uploaded pattern plan (compiled for p.seq_q, p.seq_k and p.causal).
//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq] (optional)
// Rows with no allowed key get zeros in out and -inf in lse.
Status cuda_pattern_attention(const CudaAttentionParams& p, const CudaCompiledPattern& plan,
                              cudaStream_t stream);

}  // namespace tessera
