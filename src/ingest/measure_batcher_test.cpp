#include "measure_batcher.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace citytwin::ingest {
namespace {

// The sizes of the batches a MeasureBatcher drained, for a test to wait on.
class DrainedSizes {
 public:
  MeasureBatcher::Drain drain() {
    return [this](std::vector<PendingMeasure>& batch) {
      std::lock_guard lock(mutex_);
      sizes_.push_back(batch.size());
      drained_.notify_all();
    };
  }
  // Waits for `count` batches; a batcher that never drains them hangs the test until ctest's
  // timeout fails it.
  std::vector<std::size_t> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [&] { return sizes_.size() >= count; });
    return sizes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable drained_;
  std::vector<std::size_t> sizes_;
};

PendingMeasure measure() {
  return PendingMeasure{PreparedMeasure{}, {}};
}

constexpr std::chrono::microseconds kForever = std::chrono::hours(1);

// A small batch waits for more measurements, and stops waiting once it is large enough.
TEST(MeasureBatcher, ASmallBatchLingersUntilItIsLargeEnough) {
  DrainedSizes drained;
  MeasureBatcher batcher(drained.drain(), 4096, kForever);
  for (std::size_t i = 0; i < MeasureBatcher::kLingerUntil; ++i) batcher.push(measure());
  EXPECT_EQ(drained.wait_for(1), std::vector<std::size_t>{MeasureBatcher::kLingerUntil});
}

// Stopping ends the wait: what lingered is written, in one batch.
TEST(MeasureBatcher, StoppingWritesWhatLingers) {
  DrainedSizes drained;
  {
    MeasureBatcher batcher(drained.drain(), 4096, kForever);
    batcher.push(measure());
    batcher.push(measure());
  }
  EXPECT_EQ(drained.wait_for(1), std::vector<std::size_t>{2});
}

// Without a linger a lone measurement is written as soon as it arrives.
TEST(MeasureBatcher, WithoutLingerALoneMeasureIsWrittenAtOnce) {
  DrainedSizes drained;
  MeasureBatcher batcher(drained.drain(), 4096);
  batcher.push(measure());
  EXPECT_EQ(drained.wait_for(1), std::vector<std::size_t>{1});
}

// A drain takes at most max_batch measurements; the rest follow in the next batches.
TEST(MeasureBatcher, ABatchHoldsAtMostMaxBatch) {
  DrainedSizes drained;
  {
    MeasureBatcher batcher(drained.drain(), 50, kForever);
    for (std::size_t i = 0; i < 120; ++i) batcher.push(measure());
  }
  std::size_t total = 0;
  for (std::size_t size : drained.wait_for(3)) {
    EXPECT_LE(size, 50u);
    total += size;
  }
  EXPECT_EQ(total, 120u);
}

}  // namespace
}  // namespace citytwin::ingest
