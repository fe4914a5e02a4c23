#include "measure_batcher.hpp"

#include <algorithm>

#include "citytwin/common/thread_name.hpp"

namespace citytwin::ingest {

MeasureBatcher::MeasureBatcher(Drain drain, std::size_t max_batch, std::chrono::microseconds linger,
                               Tick tick, std::chrono::milliseconds tick_period)
    : drain_(std::move(drain)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      linger_(linger),
      tick_(tick_period > std::chrono::milliseconds::zero() ? std::move(tick) : Tick()),
      tick_period_(tick_period),
      next_tick_(std::chrono::steady_clock::now() + tick_period),
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
    wait_for_work(lock);
    if (pending_.empty()) {  // stopping with nothing left
      if (tick_) {
        lock.unlock();
        tick_(true);
      }
      return;
    }
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
    tick_if_due(lock);
  }
}

void MeasureBatcher::wait_for_work(std::unique_lock<std::mutex>& lock) {
  auto ready = [&] { return stopping_ || !pending_.empty(); };
  if (!tick_) {
    work_.wait(lock, ready);
    return;
  }
  while (!work_.wait_until(lock, next_tick_, ready)) tick_if_due(lock);
}

// The tick runs without the lock, so measures keep queueing meanwhile.
void MeasureBatcher::tick_if_due(std::unique_lock<std::mutex>& lock) {
  if (!tick_) return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_tick_) return;
  next_tick_ = now + tick_period_;
  lock.unlock();
  tick_(false);
  lock.lock();
}

}  // namespace citytwin::ingest
