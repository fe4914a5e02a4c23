#include "device_reports.hpp"

#include <algorithm>

namespace citytwin::ingest {

bool DeviceReports::due(const DeviceReportWrite& report, bool deferrable) {
  if (interval_.count() == 0) return true;
  std::string key = key_of(report);
  std::lock_guard lock(mutex_);
  auto [found, added] = devices_.try_emplace(std::move(key));
  Device& device = found->second;
  if (!deferrable || added || report.at >= ripe_at(device.written_at)) {
    device.written_at = std::max(device.written_at, report.at);
    // A waiting report older than this one would only move the time back.
    if (device.waiting && device.waiting->at <= report.at) device.waiting.reset();
    return true;
  }
  if (!device.waiting) {
    ripening_.emplace(ripe_at(device.written_at), found->first);
    device.waiting = report;
  } else if (device.waiting->at < report.at) {
    device.waiting = report;
  }
  return false;
}

std::vector<DeviceReportWrite> DeviceReports::take_ripe(std::optional<Instant> now,
                                                        std::size_t most) {
  std::vector<DeviceReportWrite> out;
  std::lock_guard lock(mutex_);
  std::vector<std::pair<Instant, std::string>> later;  // entries whose device was written since
  auto it = ripening_.begin();
  for (; it != ripening_.end() && out.size() < most && (!now || it->first <= *now); ++it) {
    auto found = devices_.find(it->second);
    if (found == devices_.end() || !found->second.waiting) continue;
    Device& device = found->second;
    Instant ripe = ripe_at(device.written_at);
    if (now && ripe > *now) {
      later.emplace_back(ripe, it->second);
      continue;
    }
    device.written_at = std::max(device.written_at, device.waiting->at);
    out.push_back(std::move(*device.waiting));
    device.waiting.reset();
  }
  ripening_.erase(ripening_.begin(), it);
  for (auto& [ripe, key] : later) ripening_.emplace(ripe, std::move(key));
  return out;
}

void DeviceReports::forget(const DeviceReportWrite& report) {
  std::lock_guard lock(mutex_);
  devices_.erase(key_of(report));
}

std::string DeviceReports::key_of(const DeviceReportWrite& report) {
  std::string key;
  key.reserve(report.tenant.size() + 1 + report.device_entity_id.size());
  key.append(report.tenant).append(1, '|').append(report.device_entity_id);
  return key;
}

Instant DeviceReports::ripe_at(Instant written_at) const {
  return Instant{written_at.micros + static_cast<std::int64_t>(interval_.count()) * 1000};
}

}  // namespace citytwin::ingest
