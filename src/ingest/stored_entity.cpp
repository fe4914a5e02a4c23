#include "stored_entity.hpp"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "citytwin/common/instant.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/geo/validation.hpp"
#include "citytwin/model/member_names.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "citytwin/model/query/scope_filter.hpp"

namespace citytwin::ingest {
namespace {

namespace json = boost::json;
namespace form = model::form;

json::string_view to_json(std::string_view text) {
  return {text.data(), text.size()};
}

// The observedAt texts of one entity that parse_entity would store unchanged (it stores
// format_date_time of what it parses). A measure's attributes share one or two timestamps,
// so each is checked once rather than once per attribute.
class CanonicalTimes {
 public:
  bool is_canonical(const json::value& time) {
    if (!time.is_string()) return false;
    const std::string_view text = time.get_string();
    for (const std::string& known : known_) {
      if (known == text) return true;
    }
    const auto instant = parse_date_time(text);
    if (!instant || format_date_time(*instant) != text) return false;
    known_.emplace_back(text);
    return true;
  }

 private:
  std::vector<std::string> known_;
};

// The value of a metadata entry as the mapping writes it, {"type": "Property", "value": v}
// with v not null (parse_entity stores such a sub-attribute as {"type", "value"}); nullptr
// for any other shape.
const json::value* plain_property_value(const json::value& sub) {
  const json::object* object = sub.if_object();
  if (object == nullptr || object->size() != 2) return nullptr;
  const json::value* type = object->if_contains(form::kType);
  const json::value* value = object->if_contains(form::kValue);
  if (type == nullptr || value == nullptr || value->is_null() || !type->is_string()) {
    return nullptr;
  }
  return std::string_view(type->get_string()) == form::kProperty ? value : nullptr;
}

// The member holding the value of a Property, or of a Relationship to one URI; empty for
// any other instance.
std::string_view value_member(const json::object& instance, std::string_view type) {
  if (type == form::kProperty) {
    const json::value* value = instance.if_contains(form::kValue);
    return value != nullptr && !value->is_null() ? form::kValue : std::string_view();
  }
  if (type == form::kRelationship) {
    const json::value* object = instance.if_contains(form::kObject);
    bool uri =
        object != nullptr && object->is_string() && model::is_valid_uri(object->get_string());
    return uri ? form::kObject : std::string_view();
  }
  return {};
}

// What parse_entity stores for one normalized instance the mapping wrote, in its member
// order: type, value member, observedAt, unitCode, sub (expanded names). nullopt for any
// other shape.
std::optional<json::object> stored_instance(const json::object& instance,
                                            const jsonld::TermMapper& terms,
                                            CanonicalTimes& times) {
  const json::value* type = instance.if_contains(form::kType);
  if (type == nullptr || !type->is_string()) return std::nullopt;
  const std::string_view kind = type->get_string();
  const std::string_view member = value_member(instance, kind);
  if (member.empty()) return std::nullopt;
  const json::value* observed_at = nullptr;
  const json::value* unit_code = nullptr;
  json::object subs;
  for (const auto& entry : instance) {
    const std::string_view name = entry.key();
    const json::value& value = entry.value();
    if (name == form::kType || name == member) continue;
    if (name == form::kObservedAt) {
      if (!times.is_canonical(value)) return std::nullopt;
      observed_at = &value;
      continue;
    }
    if (name == form::kUnitCode) {
      if (!value.is_string() || value.get_string().empty()) return std::nullopt;
      unit_code = &value;
      continue;
    }
    const json::value* sub_value = plain_property_value(value);
    if (sub_value == nullptr || model::is_attribute_instance_member(name) ||
        !model::is_valid_name(name)) {
      return std::nullopt;
    }
    std::string iri = terms.expand(name);
    if (subs.contains(iri)) return std::nullopt;
    subs[iri] = json::object{{form::kType, to_json(form::kProperty)}, {form::kValue, *sub_value}};
  }
  json::object stored;
  stored[form::kType] = to_json(kind);
  stored[member] = instance.at(member);
  if (observed_at != nullptr) stored[form::kObservedAt] = *observed_at;
  if (unit_code != nullptr) stored[form::kUnitCode] = *unit_code;
  if (!subs.empty()) stored[form::kSub] = std::move(subs);
  return stored;
}

// The stored "attrs" of an entity: expanded name -> [instance].
std::optional<json::object> stored_attrs(const json::object& attrs,
                                         const jsonld::TermMapper& terms) {
  CanonicalTimes times;
  json::object stored;
  for (const auto& entry : attrs) {
    const std::string_view name = entry.key();
    if (model::is_entity_member(name) || !model::is_valid_name(name)) return std::nullopt;
    if (!entry.value().is_object()) return std::nullopt;
    std::string iri = terms.expand(name);
    if (stored.contains(iri)) return std::nullopt;
    auto instance = stored_instance(entry.value().get_object(), terms, times);
    if (!instance) return std::nullopt;
    stored[iri] = json::array{std::move(*instance)};
  }
  return stored;
}

bool is_valid_scope(std::string_view servicepath, const model::ParseOptions& options) {
  if (servicepath.empty()) return false;
  return !options.validate_scope || options.validate_scope(servicepath).ok();
}

}  // namespace

model::ParseOptions measure_parse_options() {
  model::ParseOptions options;
  options.validate_geometry = [](const json::value& geometry) {
    return geo::validate_geometry(geometry);
  };
  options.validate_scope = [](std::string_view scope) -> Status {
    if (query::ScopeFilter::is_valid_scope(scope)) return ok_status();
    return make_error(ErrorKind::kBadRequestData, "invalid scope " + std::string(scope));
  };
  return options;
}

std::optional<json::object> stored_entity(const MappedEntity& entity, std::string_view servicepath,
                                          const jsonld::TermMapper& terms,
                                          const model::ParseOptions& options) {
  // Null markers only mean something in a merge; a measure never carries them.
  if (options.allow_null) return std::nullopt;
  if (!model::is_valid_uri(entity.id) || !model::is_valid_name(entity.type)) return std::nullopt;
  json::object stored;
  stored[form::kId] = to_json(entity.id);
  stored[form::kType] = json::array{json::string(terms.expand(entity.type))};
  if (servicepath != "/") {
    if (!is_valid_scope(servicepath, options)) return std::nullopt;
    stored[form::kScope] = json::array{to_json(servicepath)};
  }
  auto attrs = stored_attrs(entity.attrs, terms);
  if (!attrs) return std::nullopt;
  stored[form::kAttrs] = std::move(*attrs);
  return stored;
}

}  // namespace citytwin::ingest
