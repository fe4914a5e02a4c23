#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// One entity as it was before and after a write, in the stored form (entity_form.hpp).
// before empty: the entity was created; after empty: it was deleted.
struct EntityChange {
  EntityChange() = default;
  EntityChange(std::optional<boost::json::object> before_state,
               std::optional<boost::json::object> after_state)
      : before(std::move(before_state)), after(std::move(after_state)) {}

  std::optional<boost::json::object> before;
  std::optional<boost::json::object> after;
  // The same states as stored JSON text, when the writer has them at hand (empty: not known).
  // The change record is then made by copying them, not by serializing the objects again:
  // serializing was most of what a record cost the write path in bench/subscriptions.
  std::string before_text;
  std::string after_text;
};

// Told about entity writes once they are durable, so that what it does (notifications) never
// reports a change a crash could still take back. The EntityService calls it; the subscription
// service implements it.
//
// Ordering: sequence numbers come from next_sequence(), called under the written entity's lock,
// so for one entity they increase in write order. committed() may arrive out of sequence order
// (it runs on whichever thread learns of durability); the implementation restores the order.
// Every sequence number handed out is reported exactly once, with durable = false when the
// write was lost, so that the implementation never waits for it.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Whether changes in the tenant are wanted at all (false: the service skips the copies).
  virtual bool wants(std::string_view tenant) const = 0;
  virtual std::uint64_t next_sequence() = 0;
  // A record of the changes, written in the same atomic store write as they are (nullopt:
  // none), so that what was durably written but not yet handled at a crash can be handled
  // after the restart.
  virtual std::optional<store::DocumentWrite> record(std::uint64_t sequence,
                                                     std::string_view tenant,
                                                     const std::vector<EntityChange>& changes,
                                                     Instant at) = 0;
  // Must be quick: it may run on the store's commit thread.
  virtual void committed(std::uint64_t sequence, std::string tenant,
                         std::vector<EntityChange> changes, Instant at, bool durable) = 0;
};

}  // namespace citytwin::core
