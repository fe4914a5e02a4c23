#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// What a write hook adds to one entity write.
struct WriteAmendment {
  // Put in the same atomic store write as the entity: durable exactly when the entity is.
  std::vector<store::DocumentWrite> documents;
  // Called once the write is durable (true) or lost (false); may run on the store's commit
  // thread, so it must be quick. Empty: nothing to call.
  std::function<void(bool durable)> after;
};

// Sees every entity write that keeps the entity (create, update, batch) under the entity's
// lock, before it is written, and may change what is written. Device commands use it
// (docs/ingest.md, "Commands"): a PATCH of a command attribute gets `<cmd>_status` PENDING
// and the queued command record in the same durable write, so the PATCH is acknowledged only
// once the command is durably queued, whichever NGSI-LD operation changed the attribute.
class EntityWriteHook {
 public:
  virtual ~EntityWriteHook() = default;
  // `before` is null for a new entity. `entity` (stored form) may be changed; its history is
  // recorded after this call. Must be quick and must not write entities itself. An error
  // rejects the write.
  virtual Result<WriteAmendment> amend(std::string_view tenant, const boost::json::object* before,
                                       boost::json::object& entity, Instant now) = 0;
};

}  // namespace citytwin::core
