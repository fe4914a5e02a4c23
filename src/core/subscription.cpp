// Subscription payloads (GS CIM 009 V1.8.1 clause 5.2.12 Subscription, 5.2.14
// NotificationParams, 5.2.15 Endpoint): validation, compilation for matching, and the name
// translation and merge that GET and PATCH (clauses 5.8.2, 5.8.3) need.
#include "citytwin/core/subscription.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/core/mqtt_endpoint.hpp"
#include "citytwin/model/core_contexts.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/ngsi_names.hpp"

namespace citytwin::core {
namespace json = boost::json;
namespace {

constexpr std::array<std::pair<std::string_view, Trigger>, 6> kTriggers{{
    {"entityCreated", Trigger::kEntityCreated},
    {"entityUpdated", Trigger::kEntityUpdated},
    {"entityDeleted", Trigger::kEntityDeleted},
    {"attributeCreated", Trigger::kAttributeCreated},
    {"attributeUpdated", Trigger::kAttributeUpdated},
    {"attributeDeleted", Trigger::kAttributeDeleted},
}};

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

// A member that, when present, must be a string.
Result<std::optional<std::string_view>> optional_string(const json::object& object,
                                                        std::string_view name,
                                                        std::string_view where) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return std::optional<std::string_view>{};
  if (!value->is_string()) return bad(std::string(where) + std::string(name) + " must be a string");
  return std::optional<std::string_view>(value->as_string());
}

Result<bool> optional_bool(const json::object& object, std::string_view name, bool fallback,
                           std::string_view where) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) return bad(std::string(where) + std::string(name) + " must be a boolean");
  return value->as_bool();
}

// throttling and timeInterval: positive numbers of seconds (clause 5.2.12), fractions allowed
// (the OpenAPI schema's minimum of 1 is not enforced). 0 when absent.
Result<double> positive_seconds(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return 0.0;
  if (!value->is_number()) return bad(std::string(name) + " must be a number of seconds");
  double seconds = value->to_number<double>();
  if (!std::isfinite(seconds) || seconds <= 0) {
    return bad(std::string(name) + " must be a positive number of seconds");
  }
  return seconds;
}

// A non-empty array of strings, expanded with `terms`.
Result<std::set<std::string, std::less<>>> expanded_names(const json::value& value,
                                                          std::string_view name,
                                                          const jsonld::TermMapper& terms) {
  const auto* array = value.if_array();
  if (array == nullptr || array->empty())
    return bad(std::string(name) + " must be a non-empty array of strings");
  std::set<std::string, std::less<>> names;
  for (const auto& item : *array) {
    if (!item.is_string() || item.as_string().empty()) {
      return bad(std::string(name) + " must hold non-empty strings");
    }
    names.insert(terms.expand(item.as_string()));
  }
  return names;
}

Result<EntitySelector> selector_from(const json::value& value, const jsonld::TermMapper& terms) {
  const auto* object = value.if_object();
  if (object == nullptr) return bad("entities[] items must be objects");
  EntitySelector selector;
  auto id = optional_string(*object, "id", "entities[].");
  if (!id) return std::move(id).error();
  if (*id) {
    if (!model::is_valid_uri(**id)) return bad("entities[].id must be a URI");
    selector.ids.emplace_back(**id);
  }
  auto pattern = optional_string(*object, "idPattern", "entities[].");
  if (!pattern) return std::move(pattern).error();
  if (*pattern) selector.id_pattern = std::string(**pattern);
  // Clause 5.2.33 EntitySelector: type is mandatory.
  auto type = optional_string(*object, "type", "entities[].");
  if (!type) return std::move(type).error();
  if (!*type || (*type)->empty()) return bad("entities[].type is required");
  auto types = parse_type_expression(**type, terms);
  if (!types) return std::move(types).error();
  selector.types = std::move(*types);
  return selector;
}

Result<model::RepresentationFormat> format_of(std::string_view text) {
  if (text == "normalized") return model::RepresentationFormat::kNormalized;
  if (text == "keyValues" || text == "simplified") return model::RepresentationFormat::kSimplified;
  if (text == "concise") return model::RepresentationFormat::kConcise;
  return bad("notification.format must be normalized, keyValues or concise, got '" +
             std::string(text) + "'");
}

// Headers that frame the HTTP message or that the notifier owns (clause 5.3: Content-Type and
// Link follow endpoint.accept); a receiverInfo pair may not replace them.
bool is_reserved_header(std::string_view name) {
  constexpr std::array<std::string_view, 7> kReserved{
      "host",         "content-length", "transfer-encoding", "connection",
      "content-type", "link",           "ngsild-tenant"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kReserved.begin(), kReserved.end(), lower) != kReserved.end();
}

Status parse_endpoint(const json::value& value, NotificationParams& out) {
  const auto* endpoint = value.if_object();
  if (endpoint == nullptr) return bad("notification.endpoint must be an object");
  auto uri = optional_string(*endpoint, "uri", "notification.endpoint.");
  if (!uri) return std::move(uri).error();
  if (!*uri) return bad("notification.endpoint.uri is required");
  if (!model::is_valid_uri(**uri)) return bad("notification.endpoint.uri must be a URI");
  // Clause 5.2.15 allows any scheme the broker supports; CityTwin delivers over HTTP(S) and
  // MQTT(S) (clause 7.2), so anything else is refused up front rather than failing every
  // notification.
  std::string_view text = **uri;
  bool http = text.substr(0, 7) == "http://" && text.size() > 7;
  bool https = text.substr(0, 8) == "https://" && text.size() > 8;
  bool mqtt = is_mqtt_uri(text);
  if (!http && !https && !mqtt) {
    return bad(
        "notification.endpoint.uri: only http://, https://, mqtt:// and mqtts:// endpoints are "
        "supported, got '" +
        std::string(text) + "'");
  }
  if (mqtt) {
    auto endpoint = parse_mqtt_endpoint(text);
    if (!endpoint) return std::move(endpoint).error();
  }
  out.uri = std::string(**uri);
  auto accept = optional_string(*endpoint, "accept", "notification.endpoint.");
  if (!accept) return std::move(accept).error();
  if (*accept) {
    if (**accept != "application/json" && **accept != "application/ld+json") {
      return bad("notification.endpoint.accept must be application/json or application/ld+json");
    }
    out.accept = std::string(**accept);
  }
  for (std::string_view member : {"receiverInfo", "notifierInfo"}) {
    const auto* info = endpoint->if_contains(member);
    if (info == nullptr) continue;
    const auto* array = info->if_array();
    if (array == nullptr)
      return bad("notification.endpoint." + std::string(member) + " must be an array");
    for (const auto& item : *array) {
      const auto* pair = item.if_object();
      const auto* key = pair ? pair->if_contains("key") : nullptr;
      const auto* val = pair ? pair->if_contains("value") : nullptr;
      if (key == nullptr || val == nullptr || !key->is_string() || !val->is_string() ||
          key->as_string().empty()) {
        return bad("notification.endpoint." + std::string(member) +
                   " items must be {\"key\": string, \"value\": string} (clause 5.2.22)");
      }
      // receiverInfo becomes HTTP headers of each notification (or MQTT metadata, clause
      // 7.2); notifierInfo configures the notifier (MQTT-QoS, MQTT-Version).
      if (member == "notifierInfo") {
        out.notifier_info.emplace_back(std::string(key->as_string()),
                                       std::string(val->as_string()));
      } else {
        std::string_view header = key->as_string();
        bool token = std::all_of(header.begin(), header.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
        std::string_view text = val->as_string();
        if (!token || text.find_first_of("\r\n") != std::string_view::npos) {
          return bad("notification.endpoint.receiverInfo must name valid HTTP headers");
        }
        if (is_reserved_header(header)) {
          return bad("notification.endpoint.receiverInfo cannot set " + std::string(header) +
                     ": the notifier sets it");
        }
        out.receiver_info.emplace_back(std::string(header), std::string(text));
      }
    }
  }
  // MQTT-QoS and MQTT-Version are checked whatever the scheme, so that a subscription later
  // PATCHed to an mqtt:// endpoint cannot carry a value the MQTT notifier would refuse.
  auto mqtt_options = parse_mqtt_notifier_info(out.notifier_info);
  if (!mqtt_options) return std::move(mqtt_options).error();
  return ok_status();
}

Status parse_notification(const json::value& value, const jsonld::TermMapper& terms,
                          NotificationParams& out) {
  const auto* notification = value.if_object();
  if (notification == nullptr) return bad("notification must be an object");
  if (const auto* attributes = notification->if_contains("attributes")) {
    auto names = expanded_names(*attributes, "notification.attributes", terms);
    if (!names) return std::move(names).error();
    out.attributes = std::move(*names);
  }
  auto format = optional_string(*notification, "format", "notification.");
  if (!format) return std::move(format).error();
  if (*format) {
    auto parsed = format_of(**format);
    if (!parsed) return std::move(parsed).error();
    out.format = *parsed;
  }
  auto sys_attrs = optional_bool(*notification, "sysAttrs", false, "notification.");
  if (!sys_attrs) return std::move(sys_attrs).error();
  out.sys_attrs = *sys_attrs;
  auto show_changes = optional_bool(*notification, "showChanges", false, "notification.");
  if (!show_changes) return std::move(show_changes).error();
  out.show_changes = *show_changes;
  const auto* endpoint = notification->if_contains("endpoint");
  if (endpoint == nullptr) return bad("notification.endpoint is required");
  return parse_endpoint(*endpoint, out);
}

Status parse_filters(const json::object& payload, const jsonld::TermMapper& terms,
                     Subscription& out) {
  EntityQuery query;
  if (const auto* entities = payload.if_contains("entities")) {
    const auto* array = entities->if_array();
    if (array == nullptr || array->empty()) return bad("entities must be a non-empty array");
    for (const auto& item : *array) {
      auto selector = selector_from(item, terms);
      if (!selector) return std::move(selector).error();
      query.selectors.push_back(std::move(*selector));
    }
  }
  if (const auto* watched = payload.if_contains("watchedAttributes")) {
    auto names = expanded_names(*watched, "watchedAttributes", terms);
    if (!names) return std::move(names).error();
    out.watched = std::move(*names);
  }
  // Clause 5.2.12: "entities" and "watchedAttributes" cannot both be absent.
  if (query.selectors.empty() && out.watched.empty()) {
    return bad("a subscription needs entities or watchedAttributes (clause 5.2.12)");
  }
  auto q = optional_string(payload, "q", "");
  if (!q) return std::move(q).error();
  if (*q) {
    auto filter = query::QueryFilter::parse(**q, terms);
    if (!filter) return std::move(filter).error();
    query.q = std::move(*filter);
  }
  auto scope = optional_string(payload, "scopeQ", "");
  if (!scope) return std::move(scope).error();
  if (*scope) {
    auto filter = query::ScopeFilter::parse(**scope);
    if (!filter) return std::move(filter).error();
    query.scope = std::move(*filter);
  }
  if (const auto* geo_q = payload.if_contains("geoQ")) {
    auto geo = geo::GeoQuery::from_json(*geo_q);
    if (!geo) return std::move(geo).error();
    const std::string& name = geo->geoproperty();
    query.geoproperty_iri = name.empty() || name == "location"
                                ? std::string(model::form::kLocationIri)
                                : terms.expand(name);
    query.geo = std::move(*geo);
  }
  auto matcher = EntityMatcher::create(std::move(query));
  if (!matcher) return std::move(matcher).error();
  out.matcher = std::move(*matcher);
  return ok_status();
}

Status parse_triggers(const json::object& payload, Subscription& out) {
  const auto* triggers = payload.if_contains("notificationTrigger");
  if (triggers == nullptr) {
    // Clause 5.2.12: "If not present, the default is the combination attributeCreated and
    // attributeUpdated".
    out.triggers = static_cast<unsigned>(Trigger::kAttributeCreated) |
                   static_cast<unsigned>(Trigger::kAttributeUpdated);
    return ok_status();
  }
  const auto* array = triggers->if_array();
  if (array == nullptr || array->empty()) {
    return bad("notificationTrigger must be a non-empty array");
  }
  for (const auto& item : *array) {
    auto trigger = item.is_string() ? parse_trigger(item.as_string()) : std::nullopt;
    if (!trigger) {
      return bad("notificationTrigger: unknown trigger " + json::serialize(item) +
                 " (entityCreated, entityUpdated, entityDeleted, attributeCreated, "
                 "attributeUpdated or attributeDeleted)");
    }
    out.triggers |= static_cast<unsigned>(*trigger);
  }
  return ok_status();
}

Status parse_timing(const json::object& payload, Instant now, Subscription& out) {
  auto active = optional_bool(payload, "isActive", true, "");
  if (!active) return std::move(active).error();
  out.active = *active;
  auto expires = optional_string(payload, "expiresAt", "");
  if (!expires) return std::move(expires).error();
  if (*expires) {
    auto instant = parse_date_time(**expires);
    if (!instant) return bad("expiresAt must be a DateTime");
    if (*instant <= now) return bad("expiresAt is in the past");
    out.expires_at = *instant;
  }
  auto throttling = positive_seconds(payload, "throttling");
  if (!throttling) return std::move(throttling).error();
  auto interval = positive_seconds(payload, "timeInterval");
  if (!interval) return std::move(interval).error();
  // Clause 5.2.12: throttling applies to change notifications only; timeInterval makes a
  // periodic subscription. Both at once is contradictory.
  if (*throttling > 0 && *interval > 0) {
    return bad("throttling and timeInterval cannot both be given (clause 5.2.12)");
  }
  // The OpenAPI schema of V1.6+ makes a subscription either Subscription.OnChange (with
  // watchedAttributes and throttling) or Subscription.Periodic (with timeInterval).
  if (*interval > 0 && payload.contains("watchedAttributes")) {
    return bad("watchedAttributes cannot be combined with timeInterval (clause 5.2.12)");
  }
  out.throttling_seconds = *throttling;
  out.time_interval_seconds = *interval;
  return ok_status();
}

// Every name in a type expression (clause 4.17), mapped with `fn`; operators, parentheses and
// spaces kept.
std::string map_type_names(std::string_view text,
                           const std::function<std::string(std::string_view)>& fn) {
  std::string out;
  std::size_t start = 0;
  auto flush = [&](std::size_t end) {
    if (end > start) out += fn(text.substr(start, end - start));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ',' || c == '|' || c == ';' || c == '(' || c == ')' || c == ' ') {
      flush(i);
      out += c;
      start = i + 1;
    }
  }
  flush(text.size());
  return out;
}

void translate_array(json::object& object, std::string_view member,
                     const std::function<std::string(std::string_view)>& fn) {
  auto* value = object.if_contains(member);
  if (value == nullptr || !value->is_array()) return;
  for (auto& item : value->as_array()) {
    if (item.is_string()) item = json::string(fn(item.as_string()));
  }
}

}  // namespace

std::string_view trigger_name(Trigger trigger) {
  for (const auto& [name, value] : kTriggers) {
    if (value == trigger) return name;
  }
  return "";
}

std::optional<Trigger> parse_trigger(std::string_view name) {
  for (const auto& [text, value] : kTriggers) {
    if (text == name) return value;
  }
  return std::nullopt;
}

Result<Subscription> compile_subscription(std::string id, std::string tenant, json::object payload,
                                          json::value context, const ContextResolveFn& resolve,
                                          Instant now) {
  Subscription out;
  out.id = std::move(id);
  out.tenant = std::move(tenant);
  const auto* type = payload.if_contains("type");
  if (type == nullptr || !type->is_string() || type->as_string() != "Subscription") {
    return bad("type must be \"Subscription\"");
  }
  auto terms = resolve(context);
  if (!terms) return std::move(terms).error();
  out.terms = *terms;
  CT_RETURN_IF_ERROR(parse_filters(payload, *out.terms, out));
  CT_RETURN_IF_ERROR(parse_triggers(payload, out));
  CT_RETURN_IF_ERROR(parse_timing(payload, now, out));
  for (std::string_view member : {"subscriptionName", "description", "csf", "lang"}) {
    auto text = optional_string(payload, member, "");
    if (!text) return std::move(text).error();
  }
  if (const auto* lang = payload.if_contains("lang")) out.lang = std::string(lang->as_string());
  const auto* notification = payload.if_contains("notification");
  if (notification == nullptr) return bad("notification is required");
  CT_RETURN_IF_ERROR(parse_notification(*notification, *out.terms, out.notification));

  // jsonldContext (clause 5.2.12, V1.5+): the context notifications are compacted with,
  // instead of the one the subscription was created with.
  out.notification_terms = out.terms;
  out.notification_context =
      context.is_null() ? json::value(json::string(jsonld::kDefaultCoreContextUrl)) : context;
  auto jsonld_context = optional_string(payload, "jsonldContext", "");
  if (!jsonld_context) return std::move(jsonld_context).error();
  if (*jsonld_context) {
    if (!model::is_valid_uri(**jsonld_context)) return bad("jsonldContext must be a URI");
    json::value url = json::string(**jsonld_context);
    auto notification_terms = resolve(url);
    if (!notification_terms) return std::move(notification_terms).error();
    out.notification_terms = *notification_terms;
    out.notification_context = std::move(url);
  }
  out.payload = std::move(payload);
  out.context = std::move(context);
  out.created_at = now;
  out.modified_at = now;
  return out;
}

json::object translate_names(const json::object& payload, const jsonld::TermMapper& from,
                             const jsonld::TermMapper& to) {
  auto fn = [&](std::string_view name) { return to.compact(from.expand(name)); };
  json::object out = payload;
  if (auto* entities = out.if_contains("entities"); entities && entities->is_array()) {
    for (auto& item : entities->as_array()) {
      auto* selector = item.if_object();
      auto* type = selector ? selector->if_contains("type") : nullptr;
      if (type != nullptr && type->is_string()) {
        *type = json::string(map_type_names(type->as_string(), fn));
      }
    }
  }
  translate_array(out, "watchedAttributes", fn);
  if (auto* notification = out.if_contains("notification");
      notification && notification->is_object()) {
    translate_array(notification->as_object(), "attributes", fn);
  }
  if (auto* geo_q = out.if_contains("geoQ"); geo_q && geo_q->is_object()) {
    auto* property = geo_q->as_object().if_contains("geoproperty");
    if (property != nullptr && property->is_string() && property->as_string() != "location") {
      *property = json::string(fn(property->as_string()));
    }
  }
  return out;
}

json::object patch_payload(const json::object& payload, const json::object& fragment) {
  json::object out = payload;
  for (const auto& [key, value] : fragment) {
    if (key == "id" || key == "type") continue;
    if (value.is_null()) {
      out.erase(key);
    } else if (key == "notification" && value.is_object() && out.contains("notification") &&
               out.at("notification").is_object()) {
      auto& notification = out.at("notification").as_object();
      for (const auto& [member, inner] : value.as_object()) {
        if (inner.is_null()) {
          notification.erase(member);
        } else {
          notification[member] = inner;
        }
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

}  // namespace citytwin::core
