#include "measure_batcher.hpp"

#include <algorithm>

#include "citytwin/common/thread_name.hpp"

namespace citytwin::ingest {

MeasureBatcher::MeasureBatcher(Drain drain, std::size_t max_batch)
    : drain_(std::move(drain)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
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
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = pending_.empty();
    pending_.push_back(std::move(measure));
  }
  // The writer only sleeps on an empty queue: one wake-up per batch, not per measure.
  if (was_empty) work_.notify_one();
}

void MeasureBatcher::run() {
  name_this_thread("ct-measures");
  std::vector<PendingMeasure> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping with nothing left
    if (pending_.size() <= max_batch_) {
      batch.swap(pending_);
    } else {
      auto split = pending_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(split));
      pending_.erase(pending_.begin(), split);
    }
    lock.unlock();
    drain_(batch);
    batch.clear();
    lock.lock();
  }
}

}  // namespace citytwin::ingest
