#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "citytwin/common/instant.hpp"

namespace citytwin::ingest {

// A measure's report of its device: the Device entity's dateLastValueReported = `at`.
struct DeviceReportWrite {
  std::string tenant;
  std::string device_entity_id;
  std::string servicepath;  // the scope the Device entity is written with
  Instant at;
};

// When each device's report is written (IngestOptions::device_report_interval, docs/ingest.md,
// "The Device entity"): at most once per interval; the newest report in between waits until
// the interval since the last write has passed. Thread-safe.
class DeviceReports {
 public:
  // Zero: every report is due.
  explicit DeviceReports(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether `report` is to be written now (it is then counted as written). `deferrable`: the
  // Device entity changes nothing else; a report that is not is always due, as is a device's
  // first. One that is not due waits, unless a newer one already does.
  bool due(const DeviceReportWrite& report, bool deferrable);

  // Up to `most` waiting reports whose device's last write is an interval before `now` (all
  // waiting reports, whenever written, when `now` is nullopt), oldest first, each counted as
  // written.
  std::vector<DeviceReportWrite> take_ripe(std::optional<Instant> now, std::size_t most);

  // Forgets the device of `report` (its Device entity could not be written): its next report
  // is due.
  void forget(const DeviceReportWrite& report);

 private:
  static std::string key_of(const DeviceReportWrite& report);
  Instant ripe_at(Instant written_at) const;

  struct Device {
    Instant written_at;
    std::optional<DeviceReportWrite> waiting;
  };

  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::unordered_map<std::string, Device> devices_;  // by "tenant|device entity id"
  // Keys of devices_ with a waiting report, by when it may be written. An entry can be stale
  // (its report was written with a measure since, or its device written later): take_ripe
  // checks the device itself.
  std::multimap<Instant, std::string> ripening_;
};

}  // namespace citytwin::ingest
