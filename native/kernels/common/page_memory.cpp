#include "tessera/page_memory.h"

#include <cstdint>
#include <cstdlib>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TESSERA_HAS_MMAP 1
#endif

namespace tessera {
namespace {

size_t round_up_64(size_t bytes) { return (bytes + 63) / 64 * 64; }

}  // namespace

void* allocate_page_memory(size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX - 64) return nullptr;
#if defined(TESSERA_HAS_MMAP)
  if (bytes >= kPageMemoryMin) {
    void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return data == MAP_FAILED ? nullptr : data;
  }
#endif
  return std::aligned_alloc(64, round_up_64(bytes));  // a multiple of the alignment
}

void free_page_memory(void* data, size_t bytes) {
  if (data == nullptr) return;
#if defined(TESSERA_HAS_MMAP)
  if (bytes >= kPageMemoryMin) {
    munmap(data, bytes);
    return;
  }
#endif
  std::free(data);
}

}  // namespace tessera
