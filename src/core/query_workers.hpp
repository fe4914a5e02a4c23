#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "citytwin/common/thread_name.hpp"

namespace citytwin::core {

// A few threads that help a request through a list of independent items (the entities of one
// temporal query page). for_each_index(count, ...) runs work(i) once for every i in
// [0, count): the calling thread takes part, idle workers join in, and each takes the next few
// indexes as it gets free, so a thread the machine slows down holds up little; callers store
// each result at its index, which keeps their output in order. Several requests may share
// the workers: a request never waits for them to be free (at worst it does all its items
// itself). The threads live as long as the object, so their CPU time stays visible in
// /proc/PID/task like the HTTP workers'. An exception thrown by work stops the handing out;
// the first one is rethrown to the caller once no worker runs its work any more.
class QueryWorkers {
 public:
  // `threads` counts the caller: threads - 1 workers are started (none for 0 or 1).
  explicit QueryWorkers(unsigned threads) {
    for (unsigned t = 1; t < threads; ++t) {
      workers_.emplace_back([this] {
        name_this_thread("ct-query");
        serve();
      });
    }
  }
  ~QueryWorkers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    workers_.clear();  // joins
  }
  QueryWorkers(const QueryWorkers&) = delete;
  QueryWorkers& operator=(const QueryWorkers&) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Workers join only while count leaves them at least min_per_thread items each.
  void for_each_index(std::size_t count, std::size_t min_per_thread,
                      const std::function<void(std::size_t)>& work) {
    const std::size_t useful = count / std::max<std::size_t>(min_per_thread, 1);
    const std::size_t helpers = std::min<std::size_t>(useful, threads()) - (useful > 0 ? 1 : 0);
    if (helpers == 0) {
      for (std::size_t i = 0; i < count; ++i) work(i);
      return;
    }
    auto job = std::make_shared<Job>();
    job->count = count;
    // Small groups: a thread the machine preempts in the middle of one holds the request
    // up by what is left of that group (16 sensors of a temporal page: well under a ms).
    job->group = std::clamp<std::size_t>(count / ((helpers + 1) * 16), 1, 16);
    job->work = &work;
    job->seats = helpers;
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(job);
    }
    wake_.notify_all();
    job->run();
    {
      // No worker takes the job from now on; wait for those that did.
      std::unique_lock lock(mutex_);
      std::erase(jobs_, job);
      job->done.wait(lock, [&] { return job->active == 0; });
    }
    if (job->failure) std::rethrow_exception(job->failure);
  }

 private:
  struct Job {
    std::size_t count = 0;
    std::size_t group = 1;
    const std::function<void(std::size_t)>* work = nullptr;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    std::exception_ptr failure;
    std::size_t seats = 0;   // workers that may still join (guarded by QueryWorkers::mutex_)
    std::size_t active = 0;  // workers running it (guarded by QueryWorkers::mutex_)
    std::condition_variable done;

    void run() {
      try {
        while (!failed.load(std::memory_order_relaxed)) {
          const std::size_t begin = next.fetch_add(group, std::memory_order_relaxed);
          if (begin >= count) return;
          const std::size_t end = std::min(count, begin + group);
          for (std::size_t i = begin; i < end; ++i) (*work)(i);
        }
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed.store(true, std::memory_order_relaxed);
      }
    }
  };

  void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      std::shared_ptr<Job> job = jobs_.front();
      if (--job->seats == 0) jobs_.pop_front();  // full: later requests' jobs come next
      ++job->active;
      lock.unlock();
      job->run();
      lock.lock();
      if (--job->active == 0) job->done.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> jobs_;
  bool stopping_ = false;
  std::vector<std::jthread> workers_;  // last: joined before the members they use go
};

}  // namespace citytwin::core
