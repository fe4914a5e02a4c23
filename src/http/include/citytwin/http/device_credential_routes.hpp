#pragma once

#include "citytwin/http/router.hpp"
#include "citytwin/security/device_credentials.hpp"

namespace citytwin::http {

// MQTT device credentials of the built-in broker (docs/security.md, "Device credentials"),
// in the tenant named by Fiware-Service / NGSILD-Tenant; admin of that tenant:
//   POST /iot/credentials {"apikey", "device_id"?, "username"?}  -> 201 with the password,
//                                                                   shown this once
//   GET /iot/credentials                                        -> the tenant's credentials
//   DELETE /iot/credentials/{username}                          -> 204
void add_device_credential_routes(Router& router, security::DeviceCredentialService& credentials);

}  // namespace citytwin::http
