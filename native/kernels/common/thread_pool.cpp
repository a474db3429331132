#include "tessera/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "tessera/cpu_features.h"

namespace tessera {
namespace {

constexpr int kMaxWorkers = 1024;

thread_local bool t_is_pool_worker = false;

// One parallel_for call. It lives on the caller's stack; the caller waits until every task has
// run AND every worker that joined has left (a worker may join, then find no task left), and
// workers touch it last under the pool mutex.
struct Job {
  const std::function<void(int64_t)>* task = nullptr;
  int64_t count = 0;
  int max_workers = 1;
  std::atomic<int64_t> next{0};
  int64_t done = 0;        // guarded by Pool::mu_
  int active_workers = 0;  // guarded by Pool::mu_
  std::condition_variable finished;
};

// Every task has run and no worker still holds the job (guarded by Pool::mu_).
bool settled(const Job& job) { return job.done == job.count && job.active_workers == 0; }

class Pool {
 public:
  void run(Job* job) {
    std::unique_lock<std::mutex> lock(mu_);
    grow(job->max_workers);
    jobs_.push_back(job);
    queued_.fetch_add(1, std::memory_order_release);
    work_cv_.notify_all();
    job->finished.wait(lock, [job] { return settled(*job); });
  }

 private:
  void grow(int wanted) {
    wanted = std::min(wanted, kMaxWorkers);
    while (static_cast<int>(workers_.size()) < wanted) {
      workers_.emplace_back([this] { worker_loop(); });
      workers_.back().detach();  // the pool lives for the whole process
    }
  }

  // First queued job that still has tasks to hand out and room for another worker.
  Job* pick() {
    for (Job* job : jobs_) {
      if (job->active_workers < job->max_workers && job->next.load() < job->count) return job;
    }
    return nullptr;
  }

  // Without the lock, waits up to kSpin for a job to be queued (a model runs its ops back to
  // back: the next one usually arrives within microseconds, sooner than a sleeping thread wakes).
  void spin_for_work(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    const auto until = std::chrono::steady_clock::now() + kSpin;
    while (queued_.load(std::memory_order_acquire) == 0 &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();  // lets the caller that will queue the next job run
    }
    lock.lock();
  }

  void worker_loop() {
    t_is_pool_worker = true;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      Job* job = pick();
      if (job == nullptr) {
        spin_for_work(lock);
        work_cv_.wait(lock, [this] { return pick() != nullptr; });
        continue;
      }
      job->active_workers++;
      lock.unlock();
      int64_t ran = 0;
      for (int64_t i = job->next.fetch_add(1); i < job->count; i = job->next.fetch_add(1)) {
        (*job->task)(i);
        ran++;
      }
      lock.lock();
      // Every task has been handed out: no new worker may join this job.
      const auto queued = std::find(jobs_.begin(), jobs_.end(), job);
      if (queued != jobs_.end()) {
        jobs_.erase(queued);
        queued_.fetch_sub(1, std::memory_order_release);
      }
      job->active_workers--;
      job->done += ran;
      if (settled(*job)) job->finished.notify_all();
    }
  }

  static constexpr std::chrono::microseconds kSpin{200};

  std::mutex mu_;
  std::atomic<int> queued_{0};  // jobs_.size(), readable without the lock
  std::condition_variable work_cv_;
  std::deque<Job*> jobs_;
  std::vector<std::thread> workers_;
};

Pool& pool() {
  // Never destroyed: worker threads may still be waiting on it while the process exits.
  static Pool* instance = new Pool();
  return *instance;
}

int env_thread_count() {
  const char* text = std::getenv("TESSERA_NUM_THREADS");
  if (text == nullptr) return 0;
  char* end = nullptr;
  long n = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || n <= 0) return 0;
  return static_cast<int>(std::min<long>(n, kMaxWorkers));
}

}  // namespace

int default_thread_count() {
  static const int count = [] {
    int from_env = env_thread_count();
    return from_env > 0 ? from_env : cpu_features().cores;
  }();
  return count;
}

void parallel_for(int64_t count, int max_threads, const std::function<void(int64_t)>& task) {
  if (count <= 0) return;
  int workers = max_threads > 0 ? max_threads : default_thread_count();
  if (t_is_pool_worker) {  // nested call: this worker already holds a core
    for (int64_t i = 0; i < count; i++) task(i);
    return;
  }
  Job job;
  job.task = &task;
  job.count = count;
  job.max_workers = static_cast<int>(std::min<int64_t>(workers, count));
  pool().run(&job);
}

}  // namespace tessera
