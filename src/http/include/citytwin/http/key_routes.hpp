#pragma once

#include "citytwin/http/router.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::http {

// CityTwin's own API (not NGSI-LD) for API keys, for admins of every tenant:
//   POST   /citytwin/v1/keys          {"role", "tenant", "name", "expiresAt"} -> 201, the key once
//   GET    /citytwin/v1/keys          every key, without secrets
//   GET    /citytwin/v1/keys/{keyId}
//   DELETE /citytwin/v1/keys/{keyId}  revokes it (effective at once on this node) -> 204
void add_key_routes(Router& router, security::KeyService& keys);

}  // namespace citytwin::http
