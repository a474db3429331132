// Memory for large, long-lived buffers (packed weights) that goes back to the system the
// moment it is freed. Through malloc it often does not: glibc raises its mmap threshold to the
// size of each large block freed, so later blocks of that size come from the heap, and a freed
// heap block stays resident. Loading and disposing ViT-B (340 MB packed) six times left
// 580-1060 MB resident after GC that way; with page memory 73-87 MB (246 once).
#pragma once

#include <cstddef>

namespace tessera {

// At least `bytes` (> 0) of 64-byte aligned memory, or null. Blocks from kPageMemoryMin bytes
// up are mapped pages of their own (POSIX mmap), smaller ones come from aligned_alloc.
void* allocate_page_memory(size_t bytes);

// Frees what allocate_page_memory(bytes) returned (same `bytes`); null is ignored.
void free_page_memory(void* data, size_t bytes);

// Blocks this large and larger are mapped on their own.
constexpr size_t kPageMemoryMin = size_t{1} << 20;

}  // namespace tessera
