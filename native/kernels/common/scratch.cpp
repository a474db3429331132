#include "common/scratch.h"

#include <cstdlib>
#include <memory>

namespace tessera {
namespace {

struct Free {
  void operator()(float* p) const { std::free(p); }
};

size_t round_up_bytes(size_t bytes) { return (bytes + 63) / 64 * 64; }

}  // namespace

float* thread_scratch_floats(size_t count) {
  thread_local std::unique_ptr<float, Free> buffer;
  thread_local size_t capacity = 0;
  if (count > capacity) {
    buffer.reset(
        static_cast<float*>(std::aligned_alloc(64, round_up_bytes(count * sizeof(float)))));
    capacity = buffer ? count : 0;
  }
  return buffer.get();
}

}  // namespace tessera
