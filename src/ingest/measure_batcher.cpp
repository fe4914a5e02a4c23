#include "measure_batcher.hpp"

#include <algorithm>

#include "citytwin/common/thread_name.hpp"

namespace citytwin::ingest {

MeasureBatcher::MeasureBatcher(Drain drain, std::size_t max_batch, std::chrono::microseconds linger)
    : drain_(std::move(drain)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      linger_(linger),
      thread_([this] { run(); }) {}

MeasureBatcher::~MeasureBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void MeasureBatcher::push(PendingMeasure measure) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(measure));
    wake = pending_.size() == 1 || pending_.size() == kLingerUntil;
  }
  // The writer sleeps on an empty queue or lingers on a small one: one wake-up per batch, not
  // per measure.
  if (wake) work_.notify_one();
}

void MeasureBatcher::run() {
  name_this_thread("ct-measures");
  std::vector<PendingMeasure> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping with nothing left
    if (linger_ > std::chrono::microseconds::zero() && pending_.size() < kLingerUntil) {
      work_.wait_for(lock, linger_, [&] { return stopping_ || pending_.size() >= kLingerUntil; });
    }
    auto split =
        pending_.begin() + static_cast<std::ptrdiff_t>(std::min(pending_.size(), max_batch_));
    batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(split));
    pending_.erase(pending_.begin(), split);
    lock.unlock();
    drain_(batch);
    batch.clear();
    lock.lock();
  }
}

}  // namespace citytwin::ingest
