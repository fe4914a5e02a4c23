#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/common/json_parse.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <mutex>
#include <set>

namespace citytwin::ingest {
namespace {

constexpr std::string_view kGroupNamespace = "iot.group";
constexpr std::string_view kDeviceNamespace = "iot.device";

Error titled(ErrorKind kind, std::string_view title, std::string detail) {
  Error error = make_error(kind, std::move(detail));
  error.title = std::string(title);
  return error;
}

bool in_scope(const ServiceScope& entry, const ServiceScope& scope) {
  return entry.tenant == scope.tenant &&
         (scope.servicepath == "/*" || entry.servicepath == scope.servicepath);
}

// "tenant|servicepath|rest": '|' appears in none of the parts (see provisioning.hpp checks).
std::optional<ServiceScope> scope_of_key(std::string_view key) {
  auto first = key.find('|');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = key.find('|', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  return ServiceScope{std::string(key.substr(0, first)),
                      std::string(key.substr(first + 1, second - first - 1))};
}

std::string describe(const ServiceScope& scope) {
  return "service '" + scope.tenant + "' path " + scope.servicepath;
}

}  // namespace

DeviceRegistry::DeviceRegistry(store::EntityStore& store) : store_(store) {}

std::string DeviceRegistry::group_key(const ServiceScope& scope, std::string_view apikey,
                                      std::string_view resource) {
  return scope.tenant + "|" + scope.servicepath + "|" + std::string(apikey) + "|" +
         std::string(resource);
}

std::string DeviceRegistry::device_key(const ServiceScope& scope, std::string_view device_id) {
  return scope.tenant + "|" + scope.servicepath + "|" + std::string(device_id);
}

Result<std::vector<std::string>> DeviceRegistry::restore() {
  std::vector<std::string> problems;
  auto groups = store_.list_documents(kGroupNamespace);
  if (!groups) return std::move(groups).error();
  auto devices = store_.list_documents(kDeviceNamespace);
  if (!devices) return std::move(devices).error();
  std::lock_guard writer(write_mutex_);
  std::unique_lock lock(mutex_);
  for (const auto& [key, text] : *groups) {
    boost::system::error_code ec;
    auto json = citytwin::parse_json(text, ec);
    auto scope = scope_of_key(key);
    if (ec || !json.is_object() || !scope) {
      problems.push_back("unreadable service group " + key);
      continue;
    }
    auto group = parse_service_group(json.as_object(), *scope);
    if (!group) {
      problems.push_back("service group " + key + ": " + group.error().detail);
      continue;
    }
    groups_.emplace(key, std::move(*group));
  }
  for (const auto& [key, text] : *devices) {
    boost::system::error_code ec;
    auto json = citytwin::parse_json(text, ec);
    auto scope = scope_of_key(key);
    if (ec || !json.is_object() || !scope) {
      problems.push_back("unreadable device " + key);
      continue;
    }
    auto device = parse_device(json.as_object(), *scope);
    if (!device) {
      problems.push_back("device " + key + ": " + device.error().detail);
      continue;
    }
    devices_.emplace(key, std::move(*device));
  }
  ++version_;
  return problems;
}

Status DeviceRegistry::persist_group(const ServiceGroup& group) {
  return store_.put_document(kGroupNamespace, group_key(group.scope, group.apikey, group.resource),
                             boost::json::serialize(group_to_json(group)));
}

Status DeviceRegistry::persist_device(const DeviceConfig& device) {
  return store_.put_document(kDeviceNamespace, device_key(device.scope, device.device_id),
                             boost::json::serialize(device_to_json(device)));
}

Status DeviceRegistry::add_groups(std::vector<ServiceGroup> groups) {
  std::lock_guard writer(write_mutex_);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const ServiceGroup& group = groups[i];
    bool clash =
        std::any_of(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(i),
                    [&](const ServiceGroup& other) {
                      return other.apikey == group.apikey && other.resource == group.resource;
                    });
    for (const auto& [key, existing] : groups_) {
      clash |= existing.apikey == group.apikey && existing.resource == group.resource;
    }
    if (clash) {
      return titled(ErrorKind::kAlreadyExists, kDuplicateGroup,
                    "a service group with apikey " + group.apikey + " and resource '" +
                        group.resource + "' already exists");
    }
  }
  for (const auto& group : groups) CT_RETURN_IF_ERROR(persist_group(group));
  std::unique_lock lock(mutex_);
  for (auto& group : groups) {
    groups_.emplace(group_key(group.scope, group.apikey, group.resource), std::move(group));
  }
  ++version_;
  lock.unlock();
  changed();
  return ok_status();
}

std::vector<ServiceGroup> DeviceRegistry::groups(const ServiceScope& scope) const {
  std::shared_lock lock(mutex_);
  std::vector<ServiceGroup> out;
  for (const auto& [key, group] : groups_) {
    if (in_scope(group.scope, scope)) out.push_back(group);
  }
  return out;
}

Status DeviceRegistry::update_group(const ServiceScope& scope, std::string_view apikey,
                                    std::string_view resource, const boost::json::object& changes) {
  std::lock_guard writer(write_mutex_);
  auto it = groups_.find(group_key(scope, apikey, resource));
  if (it == groups_.end()) {
    return titled(ErrorKind::kResourceNotFound, kGroupNotFound,
                  "no service group with apikey " + std::string(apikey) + " and resource '" +
                      std::string(resource) + "' in " + describe(scope));
  }
  boost::json::object merged = group_to_json(it->second);
  for (const auto& [name, value] : changes) merged[name] = value;
  if (merged["apikey"] != boost::json::value(apikey) ||
      merged["resource"] != boost::json::value(resource)) {
    return make_error(ErrorKind::kBadRequestData,
                      "apikey and resource identify the group and cannot change");
  }
  auto updated = parse_service_group(merged, scope);
  if (!updated) return std::move(updated).error();
  CT_RETURN_IF_ERROR(persist_group(*updated));
  std::unique_lock lock(mutex_);
  it->second = std::move(*updated);
  ++version_;
  lock.unlock();
  changed();
  return ok_status();
}

Status DeviceRegistry::remove_group(const ServiceScope& scope, std::string_view apikey,
                                    std::string_view resource) {
  std::lock_guard writer(write_mutex_);
  std::string key = group_key(scope, apikey, resource);
  if (!groups_.contains(key)) {
    return titled(ErrorKind::kResourceNotFound, kGroupNotFound,
                  "no service group with apikey " + std::string(apikey) + " and resource '" +
                      std::string(resource) + "' in " + describe(scope));
  }
  CT_RETURN_IF_ERROR(store_.delete_document(kGroupNamespace, key));
  std::unique_lock lock(mutex_);
  groups_.erase(key);
  ++version_;
  lock.unlock();
  changed();
  return ok_status();
}

Status DeviceRegistry::add_device_as_writer(const DeviceConfig& device) {
  CT_RETURN_IF_ERROR(persist_device(device));
  std::unique_lock lock(mutex_);
  devices_.emplace(device_key(device.scope, device.device_id), device);
  ++version_;
  return ok_status();
}

Status DeviceRegistry::add_devices(std::vector<DeviceConfig> devices) {
  std::lock_guard writer(write_mutex_);
  std::set<std::string> keys;
  for (const auto& device : devices) {
    std::string key = device_key(device.scope, device.device_id);
    if (devices_.contains(key) || !keys.insert(key).second) {
      return titled(ErrorKind::kAlreadyExists, kDuplicateDevice,
                    "device " + device.device_id + " already exists in " + describe(device.scope));
    }
  }
  for (const auto& device : devices) CT_RETURN_IF_ERROR(add_device_as_writer(device));
  changed();
  return ok_status();
}

Result<DeviceConfig> DeviceRegistry::add_if_absent(DeviceConfig device) {
  std::lock_guard writer(write_mutex_);
  auto it = devices_.find(device_key(device.scope, device.device_id));
  if (it != devices_.end()) return it->second;
  CT_RETURN_IF_ERROR(add_device_as_writer(device));
  changed();
  return device;
}

std::vector<DeviceConfig> DeviceRegistry::devices(const ServiceScope& scope) const {
  std::shared_lock lock(mutex_);
  std::vector<DeviceConfig> out;
  for (const auto& [key, device] : devices_) {
    if (in_scope(device.scope, scope)) out.push_back(device);
  }
  return out;
}

Result<DeviceConfig> DeviceRegistry::device(const ServiceScope& scope,
                                            std::string_view device_id) const {
  auto found = find_device(scope, device_id);
  if (!found) {
    return titled(ErrorKind::kResourceNotFound, kDeviceNotFound,
                  "no device " + std::string(device_id) + " in " + describe(scope));
  }
  return std::move(*found);
}

std::optional<DeviceConfig> DeviceRegistry::find_device(const ServiceScope& scope,
                                                        std::string_view device_id) const {
  std::shared_lock lock(mutex_);
  auto it = devices_.find(device_key(scope, device_id));
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

Status DeviceRegistry::update_device(const ServiceScope& scope, std::string_view device_id,
                                     const boost::json::object& changes) {
  std::lock_guard writer(write_mutex_);
  auto it = devices_.find(device_key(scope, device_id));
  if (it == devices_.end()) {
    return titled(ErrorKind::kResourceNotFound, kDeviceNotFound,
                  "no device " + std::string(device_id) + " in " + describe(scope));
  }
  boost::json::object merged = device_to_json(it->second);
  for (const auto& [name, value] : changes) merged[name] = value;
  if (merged["device_id"] != boost::json::value(device_id)) {
    return make_error(ErrorKind::kBadRequestData,
                      "device_id identifies the device and cannot change");
  }
  auto updated = parse_device(merged, scope);
  if (!updated) return std::move(updated).error();
  CT_RETURN_IF_ERROR(persist_device(*updated));
  std::unique_lock lock(mutex_);
  it->second = std::move(*updated);
  ++version_;
  lock.unlock();
  changed();
  return ok_status();
}

Status DeviceRegistry::remove_device(const ServiceScope& scope, std::string_view device_id) {
  std::lock_guard writer(write_mutex_);
  std::string key = device_key(scope, device_id);
  if (!devices_.contains(key)) {
    return titled(ErrorKind::kResourceNotFound, kDeviceNotFound,
                  "no device " + std::string(device_id) + " in " + describe(scope));
  }
  CT_RETURN_IF_ERROR(store_.delete_document(kDeviceNamespace, key));
  std::unique_lock lock(mutex_);
  devices_.erase(key);
  ++version_;
  lock.unlock();
  changed();
  return ok_status();
}

Result<ServiceGroup> DeviceRegistry::find_group(std::string_view apikey,
                                                std::string_view resource) const {
  std::shared_lock lock(mutex_);
  const ServiceGroup* exact = nullptr;
  std::vector<const ServiceGroup*> fallback;
  for (const auto& [key, group] : groups_) {
    if (group.apikey != apikey) continue;
    if (!resource.empty() && group.resource == resource) exact = &group;
    if (resource.empty() || group.resource.empty()) fallback.push_back(&group);
  }
  if (exact != nullptr) return *exact;
  if (fallback.size() == 1) return *fallback.front();
  if (fallback.size() > 1) {
    return titled(ErrorKind::kBadRequestData, kGroupNotFound,
                  "apikey " + std::string(apikey) +
                      " belongs to several service groups; the transport cannot tell which");
  }
  return titled(ErrorKind::kResourceNotFound, kGroupNotFound,
                "no service group with apikey " + std::string(apikey) +
                    (resource.empty() ? std::string() : " for resource " + std::string(resource)));
}

const ServiceGroup* DeviceRegistry::group_of(const DeviceConfig& device) const {
  const ServiceGroup* only = nullptr;
  std::size_t in_scope_count = 0;
  for (const auto& [group_key, group] : groups_) {
    if (group.scope.tenant != device.scope.tenant ||
        group.scope.servicepath != device.scope.servicepath) {
      continue;
    }
    ++in_scope_count;
    if (device.apikey.empty() ? true : group.apikey == device.apikey) only = &group;
  }
  bool unambiguous = !device.apikey.empty() || in_scope_count == 1;
  return unambiguous ? only : nullptr;
}

std::vector<DeviceRegistry::WatchedDevice> DeviceRegistry::watched_devices() const {
  std::shared_lock lock(mutex_);
  std::vector<WatchedDevice> out;
  for (const auto& [key, device] : devices_) {
    std::optional<std::int64_t> period = device.mapping.expected_period_s;
    if (!period) {
      if (const ServiceGroup* group = group_of(device)) period = group->mapping.expected_period_s;
    }
    if (period) out.push_back(WatchedDevice{device.scope, device.device_id, *period});
  }
  return out;
}

std::vector<DeviceRegistry::DeviceAndGroup> DeviceRegistry::devices_with_groups() const {
  std::shared_lock lock(mutex_);
  std::vector<DeviceAndGroup> out;
  out.reserve(devices_.size());
  for (const auto& [key, device] : devices_) {
    const ServiceGroup* group = group_of(device);
    out.push_back(
        DeviceAndGroup{device, group ? std::optional<ServiceGroup>(*group) : std::nullopt});
  }
  return out;
}

bool DeviceRegistry::settled(std::string_view apikey, std::string_view resource,
                             std::string_view device_id) const {
  auto group = find_group(apikey, resource);
  if (!group || !group->autoprovision) return true;
  return find_device(group->scope, device_id).has_value();
}

void DeviceRegistry::changed() {
  if (observer_) observer_();
}

std::uint64_t DeviceRegistry::version() const {
  std::shared_lock lock(mutex_);
  return version_;
}

}  // namespace citytwin::ingest
