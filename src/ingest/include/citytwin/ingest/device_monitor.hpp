#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::ingest {

// Flags devices that stopped reporting (issue #4: "devices silent for longer than their
// expected period are flagged"): a device with an expected period whose Device entity's
// dateLastValueReported is older than that period gets deviceState "silent"; its next
// measurement sets it back to "ok" (IngestService). Devices that never reported are not
// flagged (they have no Device entity yet). The state lives in the Device entities, so a
// restart loses nothing. Counted in citytwin_ingest_devices_flagged_silent_total.
class DeviceMonitor {
 public:
  DeviceMonitor(DeviceRegistry& registry, core::EntityService& entities,
                std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                MetricsRegistry* metrics = nullptr);
  ~DeviceMonitor();

  // One pass over every watched device; returns how many it flagged silent.
  Result<std::size_t> check();

  // Runs check() every `interval` on a thread of its own until stop() (or destruction).
  void start(std::chrono::milliseconds interval);
  void stop();

 private:
  DeviceRegistry& registry_;
  core::EntityService& entities_;
  std::shared_ptr<const jsonld::TermMapper> terms_;
  const Clock& clock_;
  MetricsRegistry* metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin::ingest
