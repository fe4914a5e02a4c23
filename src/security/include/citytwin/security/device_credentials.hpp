#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::security {

// Credentials of one device or of a whole service group (issue #4, "CONNECT with per-device or
// per-group credentials"; issue #6, "per-device or per-group credentials for MQTT, HTTP and
// CoAP"; docs/security.md, "Device credentials"): the MQTT CONNECT user name and password,
// HTTP Basic authentication, and `key=username:password` over CoAP. The password
// is generated here and only its SHA-256 is stored, as for API keys: 192 random bits make a
// fast hash enough (docs/security.md, "How keys are checked").
struct DeviceCredential {
  std::string username;   // the CONNECT user name, unique
  std::string tenant;     // "" = the default tenant
  std::string apikey;     // the service group's apikey
  std::string device_id;  // "" = any device of the group
  Instant created_at;
};

// The principal a device authenticated with `credential` acts as: role kDevice, scoped to the
// credential's tenant, apikey and device. Its id in audit records and rate-limit buckets is
// "device:<username>".
Principal device_principal(const DeviceCredential& credential);

// "username:password" split at its last ':' (passwords never hold one, user names may): the
// form HTTP Basic authentication (RFC 7617) and CoAP's `key=` carry a device credential in.
// nullopt without a ':'.
std::optional<std::pair<std::string_view, std::string_view>> split_device_login(
    std::string_view login);

struct DeviceCredentialSpec {
  std::string tenant;
  std::string apikey;
  std::string device_id;
  // "" picks the device id, or the apikey for a group credential.
  std::string username;
};

struct CreatedDeviceCredential {
  DeviceCredential credential;
  std::string password;  // "dp_" + 32 base64url characters; shown once, never logged
};

// Kept as documents of the store (namespace "security.device_credentials", one per user
// name). Thread-safe (the store is).
class DeviceCredentialService {
 public:
  DeviceCredentialService(store::EntityStore& store, const Clock& clock)
      : store_(store), clock_(clock) {}

  // kBadRequestData for a missing apikey or a bad name; kAlreadyExists for a taken user name.
  Result<CreatedDeviceCredential> create(const DeviceCredentialSpec& spec);
  // The credentials of `tenant`, by user name.
  Result<std::vector<DeviceCredential>> list(std::string_view tenant) const;
  // kResourceNotFound when `username` has no credential in `tenant`.
  Status remove(std::string_view tenant, std::string_view username);
  // Whether `username` has a credential at all (a CONNECT naming one must present it).
  Result<bool> exists(std::string_view username) const;
  // The credential of `username`, without checking a password: for a device whose verified
  // client certificate names it (docs/mqtt.md, "Client certificates"). nullopt when none.
  Result<std::optional<DeviceCredential>> find(std::string_view username) const;
  // The credential `username` and `password` stand for, or kUnauthorized (the detail does
  // not tell an unknown user from a wrong password).
  Result<DeviceCredential> authenticate(std::string_view username, std::string_view password) const;

 private:
  store::EntityStore& store_;
  const Clock& clock_;
};

}  // namespace citytwin::security
