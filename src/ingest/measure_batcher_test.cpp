#include "measure_batcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
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

// The tick runs on its own while no measurement arrives, and once more when the batcher
// stops, after the last batch.
TEST(MeasureBatcher, TicksWhileIdleAndOnceMoreWhenStopping) {
  std::mutex mutex;
  std::condition_variable ticked;
  std::vector<std::string> events;
  auto drain = [&](std::vector<PendingMeasure>&) {
    std::lock_guard lock(mutex);
    events.push_back("drain");
  };
  auto tick = [&](bool stopping) {
    std::lock_guard lock(mutex);
    events.push_back(stopping ? "last tick" : "tick");
    ticked.notify_all();
  };
  {
    MeasureBatcher batcher(drain, 4096, std::chrono::microseconds::zero(), tick,
                           std::chrono::milliseconds(5));
    {
      std::unique_lock lock(mutex);
      ticked.wait(lock, [&] { return events.size() >= 2; });
      EXPECT_EQ(std::count(events.begin(), events.end(), "tick"),
                static_cast<std::ptrdiff_t>(events.size()));
      events.clear();
    }
    batcher.push(measure());
  }
  // The drain of the measure comes before the final tick (ticks in between may run too).
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back(), "last tick");
  EXPECT_EQ(std::count(events.begin(), events.end(), "last tick"), 1);
  EXPECT_NE(std::find(events.begin(), events.end(), "drain"), events.end());
  EXPECT_LT(std::find(events.begin(), events.end(), "drain") - events.begin(),
            static_cast<std::ptrdiff_t>(events.size()) - 1);
}

// Without a period the tick never runs, not even when stopping.
TEST(MeasureBatcher, WithoutAPeriodNoTick) {
  int ticks = 0;
  DrainedSizes drained;
  {
    MeasureBatcher batcher(drained.drain(), 4096, std::chrono::microseconds::zero(),
                           [&](bool) { ++ticks; });
    batcher.push(measure());
    drained.wait_for(1);
  }
  EXPECT_EQ(ticks, 0);
}

}  // namespace
}  // namespace citytwin::ingest
