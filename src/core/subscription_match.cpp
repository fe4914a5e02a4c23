#include "citytwin/core/subscription_match.hpp"

#include <algorithm>
#include <array>

#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace json = boost::json;
namespace form = model::form;
namespace {

const json::object* attrs_of(const json::object& entity) {
  const auto* attrs = entity.if_contains(form::kAttrs);
  return attrs != nullptr && attrs->is_object() ? &attrs->as_object() : nullptr;
}

bool of_interest(const Subscription& subscription, std::string_view name) {
  const auto& watched = subscription.watched;
  if (watched.empty()) return true;
  // A few names (the usual watchedAttributes) are tested for equality, which looks at the
  // lengths first; the set's ordered search compared long IRIs sharing their prefix twice per
  // name (bench/subscriptions: 5% of the dispatcher's CPU).
  constexpr std::size_t kFew = 4;
  if (watched.size() <= kFew) {
    return std::any_of(watched.begin(), watched.end(),
                       [name](const std::string& watched_name) { return watched_name == name; });
  }
  return watched.contains(name);
}

using AttributeDiff = ChangeMatcher::Changed;

AttributeDiff diff(const Subscription& subscription, const json::object& before,
                   const json::object& after) {
  static const json::object kNone;
  const json::object& old_attrs = attrs_of(before) ? *attrs_of(before) : kNone;
  const json::object& new_attrs = attrs_of(after) ? *attrs_of(after) : kNone;
  AttributeDiff out;
  for (const auto& [name, instances] : new_attrs) {
    if (!of_interest(subscription, name)) continue;
    const auto* old = old_attrs.if_contains(name);
    if (old == nullptr) {
      out.created = true;
    } else if (*old != instances) {
      out.updated = true;
    }
  }
  for (const auto& [name, instances] : old_attrs) {
    if (of_interest(subscription, name) && !new_attrs.contains(name)) out.deleted = true;
  }
  return out;
}

bool has_attribute_of_interest(const Subscription& subscription, const json::object& entity) {
  const auto* attrs = attrs_of(entity);
  if (attrs == nullptr) return false;
  for (const auto& [name, instances] : *attrs) {
    if (of_interest(subscription, name)) return true;
  }
  return false;
}

// The trigger an entity's creation or deletion fires.
std::optional<Trigger> fired_by_creation_or_deletion(const Subscription& s,
                                                     const EntityChange& change) {
  if (!change.before && change.after) {
    if (s.has(Trigger::kEntityCreated)) return Trigger::kEntityCreated;
    if (s.has(Trigger::kAttributeCreated) && has_attribute_of_interest(s, *change.after)) {
      return Trigger::kAttributeCreated;
    }
    return std::nullopt;
  }
  if (change.before && !change.after) {
    if (s.has(Trigger::kEntityDeleted)) return Trigger::kEntityDeleted;
    return std::nullopt;
  }
  return std::nullopt;
}

// The trigger an update fires, given what changed among the subscription's attributes of
// interest.
std::optional<Trigger> fired_by_update(const Subscription& s, const AttributeDiff& d) {
  if (d.created && s.has(Trigger::kAttributeCreated)) return Trigger::kAttributeCreated;
  if (d.updated && s.has(Trigger::kAttributeUpdated)) return Trigger::kAttributeUpdated;
  if (d.deleted && s.has(Trigger::kAttributeDeleted)) return Trigger::kAttributeDeleted;
  if ((d.created || d.updated || d.deleted) && s.has(Trigger::kEntityUpdated)) {
    return Trigger::kEntityUpdated;
  }
  return std::nullopt;
}

// The value member of a normalized attribute and its "previous" counterpart (clause 4.5:
// previousValue, previousObject, previousLanguageMap, previousVocab, previousValueList,
// previousObjectList, previousJson).
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPreviousMembers{{
    {"value", "previousValue"},
    {"object", "previousObject"},
    {"languageMap", "previousLanguageMap"},
    {"vocab", "previousVocab"},
    {"valueList", "previousValueList"},
    {"objectList", "previousObjectList"},
    {"json", "previousJson"},
}};

void add_previous_values(json::object& rendered, const json::object& rendered_before) {
  for (auto& [name, attribute] : rendered) {
    auto* now = attribute.if_object();
    const auto* old_value = rendered_before.if_contains(name);
    const auto* old = old_value ? old_value->if_object() : nullptr;
    if (now == nullptr || old == nullptr || !now->contains("type")) continue;
    for (const auto& [member, previous] : kPreviousMembers) {
      if (const auto* value = old->if_contains(member)) {
        (*now)[previous] = *value;
        break;
      }
    }
  }
}

}  // namespace

std::optional<Trigger> match_change(const Subscription& subscription, const EntityChange& change) {
  return ChangeMatcher(change).match(subscription);
}

ChangeMatcher::ChangeMatcher(const EntityChange& change) : change_(change) {
  if (change.after || change.before) entity_.emplace(change.after ? *change.after : *change.before);
}

std::optional<Trigger> ChangeMatcher::match(const Subscription& subscription) {
  if (!entity_) return std::nullopt;
  // The entity filter first: with many subscriptions most are for other entities or types,
  // and their id/type test is far cheaper than the attribute diff below
  // (bench/subscriptions: 1,000 subscriptions, each change compared against all of them).
  if (subscription.matcher && !subscription.matcher->matches(*entity_)) return std::nullopt;
  if (!change_.before || !change_.after) {
    return fired_by_creation_or_deletion(subscription, change_);
  }
  // The diff depends on the subscription only through its watched attributes.
  if (compared_ == nullptr || *compared_ != subscription.watched) {
    changed_ = diff(subscription, *change_.before, *change_.after);
    compared_ = &subscription.watched;
  }
  return fired_by_update(subscription, changed_);
}

namespace {

model::RenderOptions render_options(const Subscription& subscription) {
  model::RenderOptions render;
  render.format = subscription.notification.format;
  render.sys_attrs = subscription.notification.sys_attrs;
  render.attrs = subscription.notification.attributes;
  render.lang = subscription.lang;
  return render;
}

json::object envelope(const Subscription& subscription, json::array data, Instant now,
                      const std::string& notification_id) {
  json::object notification;
  notification["id"] = notification_id;
  notification["type"] = "Notification";
  notification["subscriptionId"] = subscription.id;
  notification["notifiedAt"] = format_date_time(now);
  notification["data"] = std::move(data);
  if (subscription.notification.accept == "application/ld+json") {
    notification["@context"] = subscription.notification_context;
  }
  return notification;
}

// The one entity of a change notification's `data`.
json::object notified_entity(const Subscription& subscription, const EntityChange& change,
                             Instant now) {
  const jsonld::TermMapper& terms = *subscription.notification_terms;
  model::RenderOptions render = render_options(subscription);

  json::object entity;
  if (change.after) {
    entity = model::render_entity(*change.after, terms, render);
    if (subscription.notification.show_changes && change.before &&
        render.format == model::RepresentationFormat::kNormalized) {
      add_previous_values(entity, model::render_entity(*change.before, terms, render));
    }
  } else if (change.before) {
    // Clause 5.11: a deleted entity is notified by its id and type only.
    model::RenderOptions minimal;
    minimal.pick = {std::string(form::kId), std::string(form::kType)};
    entity = model::render_entity(*change.before, terms, minimal);
    entity["deletedAt"] = format_date_time(now);
  }
  return entity;
}

}  // namespace

json::object make_notification(const Subscription& subscription, const EntityChange& change,
                               Trigger trigger, Instant now, const std::string& notification_id) {
  json::array data;
  data.emplace_back(notified_entity(subscription, change, now));
  json::object notification = envelope(subscription, std::move(data), now, notification_id);
  notification["triggerReason"] = trigger_name(trigger);
  return notification;
}

namespace {

// Whether two subscriptions render an entity alike (what make_notification reads to render
// `data`).
bool renders_alike(const Subscription& a, const Subscription& b) {
  return a.notification_terms == b.notification_terms &&
         a.notification.format == b.notification.format &&
         a.notification.sys_attrs == b.notification.sys_attrs &&
         a.notification.show_changes == b.notification.show_changes && a.lang == b.lang &&
         a.notification.attributes == b.notification.attributes;
}

}  // namespace

NotificationRenderer::Text NotificationRenderer::render(const Subscription& subscription,
                                                        Trigger trigger, Instant now,
                                                        const std::string& notification_id) {
  // A deletion is notified with its time ("deletedAt", clause 5.11): rendered each time.
  if (!change_.after) {
    return Text{
        to_json_text(make_notification(subscription, change_, trigger, now, notification_id))};
  }
  auto found = std::find_if(rendered_.begin(), rendered_.end(), [&](const Rendered& entry) {
    return renders_alike(*entry.like, subscription);
  });
  if (found == rendered_.end()) {
    // The entity alone: the envelope around it is written below as text.
    rendered_.push_back(
        Rendered{&subscription, to_json_text(notified_entity(subscription, change_, now))});
    found = rendered_.end() - 1;
  }
  // The member order of envelope(): id, type, subscriptionId, notifiedAt, data, @context,
  // triggerReason.
  if (formatted_at_ != now) {
    formatted_ = format_date_time(now);
    formatted_at_ = now;
  }
  std::string out;
  out.reserve(found->data.size() + 192);
  // The notification id is written as it is: made by NotificationIds, it holds nothing JSON
  // escapes.
  out += "{\"id\":\"";
  out += notification_id;
  out += "\",\"type\":\"Notification\",\"subscriptionId\":";
  if (subscription.id_json.empty()) {
    append_json_string(out, subscription.id);
  } else {
    out += subscription.id_json;
  }
  // A date and a trigger name are never escaped: written as they are.
  out += ",\"notifiedAt\":\"";
  out += formatted_;
  out += "\",\"data\":[";
  const std::size_t data_begin = out.size();
  out += found->data;
  const std::size_t data_end = out.size();
  out += ']';
  if (std::string_view(subscription.notification.accept) == "application/ld+json") {
    out += ",\"@context\":";
    append_json_text(out, subscription.notification_context);
  }
  out += ",\"triggerReason\":\"";
  out += trigger_name(trigger);
  out += "\"}";
  return Text{std::move(out), data_begin, data_end};
}

json::object make_periodic_notification(const Subscription& subscription,
                                        const std::vector<json::object>& entities, Instant now,
                                        const std::string& notification_id) {
  const jsonld::TermMapper& terms = *subscription.notification_terms;
  model::RenderOptions render = render_options(subscription);
  json::array data;
  data.reserve(entities.size());
  for (const auto& entity : entities)
    data.emplace_back(model::render_entity(entity, terms, render));
  return envelope(subscription, std::move(data), now, notification_id);
}

}  // namespace citytwin::core
