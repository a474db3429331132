// Splitting row-wise work between the shared pool's threads. A task is a block of consecutive
// rows worth at least kMinTaskElements elements, so small inputs run on the calling thread and
// never pay for a hand-off to the pool.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tessera/thread_pool.h"

namespace tessera {

constexpr int64_t kMinTaskElements = 1 << 15;
constexpr int64_t kTasksPerThread = 4;  // a few tasks per thread even out uneven progress

// Runs body(first, end) over blocks of the rows [0, rows), each row `row_elements` elements of
// work, on at most max_threads threads (<= 0: the pool's default).
template <class Body>
void for_each_row_block(int64_t rows, int64_t row_elements, int max_threads, const Body& body) {
  const int64_t threads = max_threads > 0 ? max_threads : default_thread_count();
  const int64_t by_size = rows * std::max<int64_t>(row_elements, 1) / kMinTaskElements;
  const int64_t tasks = std::clamp<int64_t>(by_size, 1, std::min(rows, threads * kTasksPerThread));
  if (tasks == 1) {
    body(0, rows);
    return;
  }
  const int64_t per_task = (rows + tasks - 1) / tasks;
  parallel_for((rows + per_task - 1) / per_task, max_threads,
               [&](int64_t task) { body(task * per_task, std::min(rows, (task + 1) * per_task)); });
}

}  // namespace tessera
