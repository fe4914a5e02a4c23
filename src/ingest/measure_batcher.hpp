#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "citytwin/core/entity_service.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "device_reports.hpp"

namespace citytwin::ingest {

// One measurement, resolved, mapped and validated: the entity items it writes.
struct PreparedMeasure {
  std::string transport;
  IngestReceipt receipt;
  std::vector<core::BatchItem> items;
  // The registry version whose static attributes this write carries, under "tenant|id";
  // empty key: none carried.
  std::string statics_key;
  std::uint64_t statics_version = 0;
  // The Device entity ("tenant|device entity id") whose controlledAsset and
  // supportedProtocol this write carries, for `links_transport`; empty key: none carried.
  std::string links_key;
  std::string links_transport;
  // The measure's report of its device (the Device entity's dateLastValueReported; nullopt:
  // none). Deferrable: the Device entity changes nothing else, and `items` leaves it out; the
  // writer adds it when the report is due (IngestOptions::device_report_interval). Else the
  // Device entity is in `items`.
  std::optional<DeviceReportWrite> report;
  bool report_deferrable = false;
};

struct PendingMeasure {
  PreparedMeasure prepared;
  std::function<void(Result<IngestReceipt>)> done;
};

// Hands measurements from the transports' threads to one writer thread that takes
// everything pending at once (docs/performance.md, "Durable MQTT ingestion"): a burst from
// many connections becomes one entity batch (each entity read, parsed and serialized once)
// and one store write, i.e. one group commit. While the writer works, new measurements
// gather for the next batch, so batches grow with the load. When the writer wakes to fewer
// than kLingerUntil measurements it waits up to `linger` for more: under a light load that
// trades a millisecond or two of latency for a fraction of the CPU per measurement.
class MeasureBatcher {
 public:
  using Drain = std::function<void(std::vector<PendingMeasure>& batch)>;
  // Periodic work of the writer thread, between batches (deferred Device reports); `stopping`
  // on the last call.
  using Tick = std::function<void(bool stopping)>;
  // A batch this large shares its fixed costs well enough: the writer does not wait for more.
  static constexpr std::size_t kLingerUntil = 64;

  // `max_batch`: most measurements one drain takes (bounds the latency of the first).
  // `linger`: longest wait for a small batch to grow (zero: none).
  // `tick` runs every `tick_period` (none when empty or zero) and once more when stopping.
  MeasureBatcher(Drain drain, std::size_t max_batch,
                 std::chrono::microseconds linger = std::chrono::microseconds::zero(),
                 Tick tick = {}, std::chrono::milliseconds tick_period = {});
  // Drains what is pending, runs the tick, then stops the thread.
  ~MeasureBatcher();
  MeasureBatcher(const MeasureBatcher&) = delete;
  MeasureBatcher& operator=(const MeasureBatcher&) = delete;

  void push(PendingMeasure measure);

 private:
  void run();

  void wait_for_work(std::unique_lock<std::mutex>& lock);
  void tick_if_due(std::unique_lock<std::mutex>& lock);

  Drain drain_;
  const std::size_t max_batch_;
  const std::chrono::microseconds linger_;
  Tick tick_;
  const std::chrono::milliseconds tick_period_;
  std::chrono::steady_clock::time_point next_tick_;
  std::mutex mutex_;
  std::condition_variable work_;
  // A deque: under a backlog the writer takes max_batch from the front while the rest waits,
  // and a vector moved every waiting measure forward for each batch taken (tens of thousands
  // per batch with 10,000 devices' windows in flight).
  std::deque<PendingMeasure> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace citytwin::ingest
