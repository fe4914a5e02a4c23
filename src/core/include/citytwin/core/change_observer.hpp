#pragma once

#include <string_view>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/change_listener.hpp"

namespace citytwin::core {

// Watches durable entity changes without taking part in their durability (live views such as
// the console's event stream, docs/console.md). Unlike a ChangeListener it records nothing in
// the store: what it misses across a restart is simply not seen, and its clients resync.
//
// The SubscriptionService calls it from its dispatcher thread, in write order, after the
// change's notifications are queued; observe() must be quick (it holds up notifications).
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // Whether changes in the tenant are wanted now (false: writers skip the copies).
  virtual bool wants(std::string_view tenant) const = 0;
  virtual void observe(std::string_view tenant, const std::vector<EntityChange>& changes,
                       Instant at) = 0;
};

}  // namespace citytwin::core
