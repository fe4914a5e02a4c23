#pragma once

#include <vector>

#include "citytwin/mqtt/broker.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::server {

// The built-in broker's persistent sessions kept in the store between runs (docs/mqtt.md,
// "Sessions"): one document per client id in namespace "mqtt.sessions", written when the
// broker stops and read when it starts. Payloads are hex-encoded (they are binary).
class StoreSessionPersistence : public mqtt::SessionPersistence {
 public:
  explicit StoreSessionPersistence(store::EntityStore& store) : store_(store) {}

  Result<std::vector<mqtt::SavedSession>> load() override;
  Status save(const std::vector<mqtt::SavedSession>& sessions) override;

 private:
  store::EntityStore& store_;
};

}  // namespace citytwin::server
