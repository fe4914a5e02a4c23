#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/provisioning.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::ingest {

// Error titles of the IoT Agent API (its "name" member), so clients that test them work.
inline constexpr std::string_view kDuplicateGroup = "DUPLICATE_GROUP";
inline constexpr std::string_view kGroupNotFound = "DEVICE_GROUP_NOT_FOUND";
inline constexpr std::string_view kDuplicateDevice = "DUPLICATE_DEVICE_ID";
inline constexpr std::string_view kDeviceNotFound = "DEVICE_NOT_FOUND";

// The provisioned service groups and devices of every tenant, kept in memory for the
// per-measurement lookups and persisted as store documents (namespaces "iot.group" and
// "iot.device"), so they survive restarts. Every change is durable when the call returns.
//
// Uniqueness follows the IoT Agent: a group is identified by (apikey, resource) across all
// tenants, since devices name only the apikey; a device by (tenant, service path, device_id).
// Thread-safe.
class DeviceRegistry {
 public:
  explicit DeviceRegistry(store::EntityStore& store);

  // Loads everything persisted. Entries that no longer parse are reported, not fatal.
  Result<std::vector<std::string>> restore();

  // Adds every group, or none when one clashes with an existing group or another of the list.
  Status add_groups(std::vector<ServiceGroup> groups);
  // Groups of `scope` (servicepath "/*": every service path of the tenant).
  std::vector<ServiceGroup> groups(const ServiceScope& scope) const;
  // Applies `changes` (IoT Agent members) to the group (apikey, resource) of `scope`.
  Status update_group(const ServiceScope& scope, std::string_view apikey, std::string_view resource,
                      const boost::json::object& changes);
  Status remove_group(const ServiceScope& scope, std::string_view apikey,
                      std::string_view resource);

  // Adds every device, or none when one clashes with an existing device or another of the list.
  Status add_devices(std::vector<DeviceConfig> devices);
  std::vector<DeviceConfig> devices(const ServiceScope& scope) const;
  Result<DeviceConfig> device(const ServiceScope& scope, std::string_view device_id) const;
  Status update_device(const ServiceScope& scope, std::string_view device_id,
                       const boost::json::object& changes);
  Status remove_device(const ServiceScope& scope, std::string_view device_id);

  // The group a measurement with `apikey` belongs to: the one whose resource equals
  // `resource`, else the only group with that apikey whose resource is empty or, when
  // `resource` is empty (transports without paths), the only group with the apikey.
  Result<ServiceGroup> find_group(std::string_view apikey, std::string_view resource) const;
  std::optional<DeviceConfig> find_device(const ServiceScope& scope,
                                          std::string_view device_id) const;
  // Whether a measurement (apikey, resource, device_id) would need no provisioning change:
  // its device is registered, or its group is unknown or does not autoprovision (it fails).
  bool settled(std::string_view apikey, std::string_view resource,
               std::string_view device_id) const;
  // Adds `device` unless one with its id exists; returns the device now registered.
  Result<DeviceConfig> add_if_absent(DeviceConfig device);

  // A device with an expected reporting period (its own "expectedPeriod", else its group's:
  // the group of its apikey in its scope, or the only group of its scope).
  struct WatchedDevice {
    ServiceScope scope;
    std::string device_id;
    std::int64_t expected_period_s = 0;
  };
  std::vector<WatchedDevice> watched_devices() const;

  // Every device with the group it belongs to (its apikey's group in its scope, or the only
  // group of its scope; nullopt when there is none or it is ambiguous).
  struct DeviceAndGroup {
    DeviceConfig device;
    std::optional<ServiceGroup> group;
  };
  std::vector<DeviceAndGroup> devices_with_groups() const;

  // Called after every successful provisioning change (groups or devices added, changed or
  // removed, autoprovisioning included), on the changing thread, while later changes wait:
  // device commands give new devices their command attributes here. Set before use.
  void set_observer(std::function<void()> observer) { observer_ = std::move(observer); }

  // Increases on every provisioning change (lets ingestion refresh static attributes).
  std::uint64_t version() const;

 private:
  static std::string group_key(const ServiceScope& scope, std::string_view apikey,
                               std::string_view resource);
  static std::string device_key(const ServiceScope& scope, std::string_view device_id);
  Status persist_group(const ServiceGroup& group);
  Status persist_device(const DeviceConfig& device);
  Status add_device_as_writer(const DeviceConfig& device);         // holds write_mutex_
  const ServiceGroup* group_of(const DeviceConfig& device) const;  // holds mutex_
  void changed();  // after a change: tells the observer

  store::EntityStore& store_;
  // Changes hold write_mutex_ while they persist (an fsync) and mutex_ only to swap the
  // in-memory maps, so lookups on the measurement path never wait for the disk. Only
  // holders of write_mutex_ change the maps, so they may read them without mutex_.
  std::mutex write_mutex_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, ServiceGroup> groups_;   // by group_key
  std::map<std::string, DeviceConfig> devices_;  // by device_key
  std::uint64_t version_ = 0;
  std::function<void()> observer_;
};

}  // namespace citytwin::ingest
