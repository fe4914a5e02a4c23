#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/core/change_listener.hpp"
#include "citytwin/core/subscription.hpp"

namespace citytwin::core {

// The trigger a change fires for a subscription, or nullopt (GS CIM 009 V1.8.1 clause
// 5.2.12, notificationTrigger and watchedAttributes; clause 5.11 Notification behaviour):
// - a new entity fires entityCreated, else attributeCreated when it has an attribute of
//   interest (a watched one, or any when watchedAttributes is absent);
// - a deleted entity fires entityDeleted;
// - an update compares the attributes of interest (every instance member, system attributes
//   included, so rewriting a value counts as an update): attributeCreated / attributeUpdated
//   / attributeDeleted for the kind of change, entityUpdated for any of them.
// The entity (after the change; before it for a deletion) must also satisfy entities, q,
// scopeQ and geoQ. isActive, expiresAt and throttling are the caller's business.
std::optional<Trigger> match_change(const Subscription& subscription, const EntityChange& change);

// match_change() for the subscriptions one change is tested against, one after another: the
// attribute comparison of an update is reused for each next subscription that watches the same
// attributes (bench/write_notify_bench: five per change, each comparing the same attribute
// values again). Lives while one change is dispatched; `change` must outlive it.
class ChangeMatcher {
 public:
  explicit ChangeMatcher(const EntityChange& change);
  std::optional<Trigger> match(const Subscription& subscription);

  // What an update changed among a subscription's attributes of interest.
  struct Changed {
    bool created = false;
    bool updated = false;
    bool deleted = false;
  };

 private:
  const EntityChange& change_;
  // The entity the subscriptions' entity filters are tried on (after, else before), read once.
  std::optional<EntityMatcher::Entity> entity_;
  // The watchedAttributes of the last subscription the update was compared for (it outlives
  // this object), and what changed among them.
  const std::set<std::string, std::less<>>* compared_ = nullptr;
  Changed changed_;
};

// The Notification (clause 5.3.1) for one change: {"id", "type": "Notification",
// "subscriptionId", "notifiedAt", "triggerReason", "data": [entity]} with the entity rendered
// in notification.format with notification.attributes and sysAttrs, compacted with the
// notification context; "@context" added for application/ld+json. showChanges (normalized
// format) adds previousValue / previousObject / ... to updated single-instance attributes
// (clause 4.5.x "previous" members). A deleted entity is reported as its id and type.
boost::json::object make_notification(const Subscription& subscription, const EntityChange& change,
                                      Trigger trigger, Instant now,
                                      const std::string& notification_id);

// The text of make_notification() (to_json_text of it, byte for byte) for one change, with
// the `data` entity rendered once per distinct rendering (format, attributes, sysAttrs, lang,
// showChanges, @context) however many subscriptions ask for it: in bench/subscriptions every
// change is notified to five subscriptions that render it alike. Lives while one change is
// dispatched; `change` must outlive it. Not thread-safe.
class NotificationRenderer {
 public:
  explicit NotificationRenderer(const EntityChange& change) : change_(change) {}
  std::string text(const Subscription& subscription, Trigger trigger, Instant now,
                   const std::string& notification_id) {
    return render(subscription, trigger, now, notification_id).body;
  }
  // The text, and where the entity sits in it: [data_begin, data_end) is the one item of
  // `data` (both 0 for a deletion, whose text is rendered whole). `notification_id` is written
  // without escaping: it must hold no character that JSON escapes (NotificationIds' ids hold
  // none).
  struct Text {
    std::string body;
    std::size_t data_begin = 0;
    std::size_t data_end = 0;
  };
  Text render(const Subscription& subscription, Trigger trigger, Instant now,
              const std::string& notification_id);

 private:
  struct Rendered {
    const Subscription* like;  // a subscription that renders this way
    std::string data;          // the entity as JSON text
  };
  const EntityChange& change_;
  std::vector<Rendered> rendered_;
  // notifiedAt as text, formatted once for all the notifications of the change made at the
  // same instant.
  std::optional<Instant> formatted_at_;
  std::string formatted_;
};

// The Notification of a periodic subscription (timeInterval, clause 5.2.12): every entity
// that matches now, in "data", rendered as for make_notification; no triggerReason.
boost::json::object make_periodic_notification(const Subscription& subscription,
                                               const std::vector<boost::json::object>& entities,
                                               Instant now, const std::string& notification_id);

}  // namespace citytwin::core
