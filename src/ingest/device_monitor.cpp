#include "citytwin/ingest/device_monitor.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "citytwin/model/entity_parser.hpp"
#include "device_mapping.hpp"
#include "device_state.hpp"

namespace citytwin::ingest {

DeviceMonitor::DeviceMonitor(DeviceRegistry& registry, core::EntityService& entities,
                             std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                             MetricsRegistry* metrics)
    : registry_(registry),
      entities_(entities),
      terms_(std::move(terms)),
      clock_(clock),
      metrics_(metrics) {
  if (metrics_ != nullptr) {
    metrics_->describe("citytwin_ingest_devices_flagged_silent_total", "counter",
                       "Devices flagged with deviceState silent (docs/ingest.md)");
  }
}

DeviceMonitor::~DeviceMonitor() {
  stop();
}

Result<std::size_t> DeviceMonitor::check() {
  Instant now = clock_.now();
  std::size_t flagged = 0;
  for (const auto& device : registry_.watched_devices()) {
    std::string id = device_entity_id(device.scope, device.device_id);
    auto current = entities_.get(device.scope.tenant, id);
    if (!current) {
      if (current.error().kind == ErrorKind::kResourceNotFound ||
          current.error().kind == ErrorKind::kNonexistentTenant) {
        continue;  // never reported
      }
      return std::move(current).error();
    }
    DeviceReport report = device_report(*current, *terms_);
    if (!report.last_reported || report.state == kDeviceStateSilent) continue;
    if (now.micros - report.last_reported->micros <= device.expected_period_s * 1000000) continue;
    boost::json::object fragment{{"id", id},
                                 {"type", "Device"},
                                 {"deviceState",
                                  {{"type", "Property"},
                                   {"value", kDeviceStateSilent},
                                   {"observedAt", format_date_time(now)}}}};
    auto stored = model::parse_entity(fragment, *terms_, {});
    if (!stored) return std::move(stored).error();
    std::vector<core::BatchItem> items;
    items.push_back(core::BatchItem{id, std::move(*stored)});
    auto outcome = entities_.batch(device.scope.tenant, core::BatchKind::kUpdate, std::move(items));
    if (outcome.items.front().error) {
      // Deleted meanwhile: nothing to flag. Anything else is worth a log line.
      if (outcome.items.front().error->kind != ErrorKind::kResourceNotFound) {
        spdlog::warn("cannot flag device '{}' silent: {}", device.device_id,
                     outcome.items.front().error->detail);
      }
      continue;
    }
    ++flagged;
    spdlog::info("device '{}' (service '{}' path {}) silent for more than {} s: flagged",
                 device.device_id, device.scope.tenant, device.scope.servicepath,
                 device.expected_period_s);
    if (metrics_ != nullptr) {
      metrics_->add_counter("citytwin_ingest_devices_flagged_silent_total", Labels{});
    }
  }
  return flagged;
}

void DeviceMonitor::start(std::chrono::milliseconds interval) {
  stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      auto result = check();
      if (!result) spdlog::warn("device silence check failed: {}", result.error().detail);
      lock.lock();
    }
  });
}

void DeviceMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace citytwin::ingest
