// One persistent, process-wide pool of worker threads shared by every kernel call.
//
// Callers (the JS main thread for *Sync calls, libuv workers for async calls) hand their
// tasks to the pool and wait; only the pool's workers compute. So however many calls run at
// once, at most pool_size() threads are busy and the cores are never oversubscribed.
#pragma once

#include <cstdint>
#include <functional>

namespace tessera {

// Number of worker threads: TESSERA_NUM_THREADS if set to a positive integer, else the
// number of CPUs this process may run on.
int default_thread_count();

// Runs task(i) for every i in [0, count), on at most max_threads workers (<= 0: default).
// Blocks until all tasks are done. Tasks must not throw.
void parallel_for(int64_t count, int max_threads, const std::function<void(int64_t)>& task);

}  // namespace tessera
