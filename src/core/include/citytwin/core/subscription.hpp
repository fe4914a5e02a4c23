#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_matcher.hpp"
#include "citytwin/core/notification_sender.hpp"
#include "citytwin/model/context.hpp"
#include "citytwin/model/entity_renderer.hpp"

namespace citytwin::core {

// What kind of change fires a notification (GS CIM 009 V1.8.1 clause 5.2.12
// notificationTrigger). Bit flags so a subscription holds a set of them.
enum class Trigger : unsigned {
  kEntityCreated = 1u << 0,
  kEntityUpdated = 1u << 1,
  kEntityDeleted = 1u << 2,
  kAttributeCreated = 1u << 3,
  kAttributeUpdated = 1u << 4,
  kAttributeDeleted = 1u << 5,
};

// "entityCreated", ...; the names of clause 5.2.12 (also the Notification triggerReason).
std::string_view trigger_name(Trigger trigger);
std::optional<Trigger> parse_trigger(std::string_view name);

// The `notification` member (clause 5.2.14 NotificationParams) once validated.
struct NotificationParams {
  std::set<std::string, std::less<>> attributes;  // expanded names; empty: every attribute
  model::RepresentationFormat format = model::RepresentationFormat::kNormalized;
  bool sys_attrs = false;
  bool show_changes = false;
  std::string uri;  // endpoint.uri: http, https, mqtt or mqtts (clauses 5.2.15, 7.2)
  std::string accept = "application/json";                         // or application/ld+json
  std::vector<std::pair<std::string, std::string>> receiver_info;  // extra HTTP headers
  std::vector<std::pair<std::string, std::string>> notifier_info;  // MQTT-QoS, MQTT-Version
};

// What the service keeps for one subscription id across its versions (subscription_service.hpp).
struct DeliverySlot;

// A validated subscription, ready for matching (clause 5.2.12). The client's own members are
// kept in `payload` (compact names, as sent, status members stripped) so that GET and PATCH
// work on what the client wrote; everything else is derived from it and `context`.
struct Subscription {
  std::string id;
  std::string tenant;
  boost::json::object payload;
  // The @context the subscription was created with (null: the core context only). Names in
  // `payload` are expanded with it; notifications are compacted with it unless the payload
  // names a jsonldContext.
  boost::json::value context;
  std::shared_ptr<const jsonld::Context> terms;               // `context`, resolved
  std::shared_ptr<const jsonld::Context> notification_terms;  // for notification bodies
  boost::json::value notification_context;  // "@context" of notifications (URL or value)

  std::optional<EntityMatcher> matcher;        // entities (id/idPattern/type), q, scopeQ, geoQ
  std::set<std::string, std::less<>> watched;  // expanded watchedAttributes; empty: any
  unsigned triggers = 0;                       // Trigger bits
  bool active = true;                          // isActive
  std::optional<Instant> expires_at;           // expiresAt
  double throttling_seconds = 0;               // throttling; 0: none
  // timeInterval: a periodic subscription, notified every so many seconds with every matching
  // entity instead of on changes. 0: notified on changes.
  double time_interval_seconds = 0;
  std::string lang;  // lang (clause 4.15)
  NotificationParams notification;
  Instant created_at;
  Instant modified_at;
  // Filled in by SubscriptionService when it files the subscription, so that each
  // notification shares them instead of building them: where its notifications go (uri,
  // headers, notifierInfo), and its slot (its notifier queue and throttling state, kept by an
  // update). Null in a subscription that was only compiled.
  std::shared_ptr<const NotificationEndpoint> endpoint;
  std::shared_ptr<DeliverySlot> slot;
  // `id` as a JSON string (quoted and escaped) for the notification bodies: written once
  // instead of escaped in every notification. Empty in a subscription that was only compiled.
  std::string id_json;

  bool periodic() const { return time_interval_seconds > 0; }
  bool has(Trigger trigger) const { return (triggers & static_cast<unsigned>(trigger)) != 0; }
};

// Resolves an @context value (a URL, an object or an array) to an active context.
using ContextResolveFn =
    std::function<Result<std::shared_ptr<const jsonld::Context>>(const boost::json::value&)>;

// Validates a subscription payload (without "@context") and compiles it. Errors are
// kBadRequestData / kInvalidRequest (400) with a detail naming the member, or those of the
// @context resolution for jsonldContext. `now` rejects an expiresAt in the past.
Result<Subscription> compile_subscription(std::string id, std::string tenant,
                                          boost::json::object payload, boost::json::value context,
                                          const ContextResolveFn& resolve, Instant now);

// Rewrites the names a subscription payload carries (entities[].type expressions,
// watchedAttributes, notification.attributes, geoQ.geoproperty) from one context to another:
// each is expanded with `from` and compacted with `to`.
boost::json::object translate_names(const boost::json::object& payload,
                                    const jsonld::TermMapper& from, const jsonld::TermMapper& to);

// The payload after a PATCH fragment (clause 5.8.2): top-level members are replaced, members
// of "notification" are replaced one by one, a null removes a member. The fragment's names
// must already be in the subscription's context (translate_names).
boost::json::object patch_payload(const boost::json::object& payload,
                                  const boost::json::object& fragment);

}  // namespace citytwin::core
