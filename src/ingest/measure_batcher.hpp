#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "citytwin/core/entity_service.hpp"
#include "citytwin/ingest/ingest_service.hpp"

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
};

struct PendingMeasure {
  PreparedMeasure prepared;
  std::function<void(Result<IngestReceipt>)> done;
};

// Hands measurements from the transports' threads to one writer thread that takes
// everything pending at once (docs/performance.md, "Durable MQTT ingestion"): a burst from
// many connections becomes one entity batch (each entity read, parsed and serialized once)
// and one store write, i.e. one group commit. While the writer works, new measurements
// gather for the next batch, so batches grow with the load and cost nothing when it is low.
class MeasureBatcher {
 public:
  using Drain = std::function<void(std::vector<PendingMeasure>& batch)>;

  // `max_batch`: most measurements one drain takes (bounds the latency of the first).
  MeasureBatcher(Drain drain, std::size_t max_batch);
  // Drains what is pending, then stops the thread.
  ~MeasureBatcher();
  MeasureBatcher(const MeasureBatcher&) = delete;
  MeasureBatcher& operator=(const MeasureBatcher&) = delete;

  void push(PendingMeasure measure);

 private:
  void run();

  Drain drain_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::vector<PendingMeasure> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace citytwin::ingest
