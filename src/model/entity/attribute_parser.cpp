#include "citytwin/model/attribute_parser.hpp"

#include <cctype>
#include <string>
#include <utility>

#include <boost/json/serialize.hpp>

#include "attribute_kind.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "citytwin/model/null_marker.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;
using detail::AttributeKind;

json::string_view to_json(std::string_view text) {
  return {text.data(), text.size()};
}

Error bad_data(std::string_view path, std::string_view what) {
  std::string detail = "attribute '";
  detail.append(path).append("': ").append(what);
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

std::string member_path(std::string_view path, std::string_view name) {
  std::string result(path);
  return result.append(".").append(name);
}

std::string element_path(std::string_view path, std::size_t index) {
  std::string result(path);
  return result.append("[").append(std::to_string(index)).append("]");
}

bool is_null_string(const json::value& value) {
  return value.is_string() && value.get_string() == to_json(kNgsiLdNull);
}

// Reads attributes and their instances with one TermMapper and one set of options.
class InstanceParser {
 public:
  InstanceParser(const jsonld::TermMapper& terms, const ParseOptions& options)
      : terms_(terms), options_(options) {}

  Result<json::array> parse_attribute(std::string_view path, const json::value& body) const {
    if (!detail::is_instance_array(body)) {
      auto instance = parse_instance(path, body);
      if (!instance.ok()) return std::move(instance).error();
      return json::array{std::move(*instance)};
    }
    json::array instances;
    const json::array& elements = body.get_array();
    for (std::size_t i = 0; i < elements.size(); ++i) {
      auto instance = parse_instance(element_path(path, i), elements[i]);
      if (!instance.ok()) return std::move(instance).error();
      instances.push_back(std::move(*instance));
    }
    CT_RETURN_IF_ERROR(check_dataset_ids(path, instances));
    return instances;
  }

  // Clause 5.6.4 (Partial Attribute Update): the body is an Attribute fragment, so every member
  // is optional. An object without a value member changes only metadata ("observedAt",
  // "unitCode", ...) or sub-attributes; reading it as a concise Property whose value is the
  // whole object would silently overwrite the stored value.
  Result<json::object> parse_fragment(std::string_view path, const json::value& body) const {
    if (!body.is_object() || has_value_member(body.get_object())) {
      return parse_instance(path, body);
    }
    const json::object& object = body.get_object();
    const auto inference = detail::infer_instance(body);
    if (!inference) return ambiguity_error(path, object);
    const bool typed = object.contains(form::kType);
    if (typed && inference->whole_is_value) {
      return parse_instance(path, body);  // no attribute type: a geometry or structured value
    }
    json::object instance;
    if (typed) instance[form::kType] = to_json(detail::type_name(inference->kind));
    // Untyped, the kind is the stored attribute's: objectType is checked against it later.
    const AttributeKind kind = typed ? inference->kind : AttributeKind::kRelationship;
    CT_RETURN_IF_ERROR(parse_metadata(path, kind, object, instance));
    CT_RETURN_IF_ERROR(parse_sub_attributes(path, object, instance));
    return instance;
  }

 private:
  static bool has_value_member(const json::object& object) {
    for (const auto& member : object) {
      if (detail::kind_from_value_member(member.key())) return true;
    }
    return false;
  }

  // Clause 4.5.5: datasetIds of one attribute are unique, and at most one instance (the
  // default instance) has none.
  static Status check_dataset_ids(std::string_view path, const json::array& instances) {
    bool has_default = false;
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const json::value* id = instances[i].get_object().if_contains(form::kDatasetId);
      if (id == nullptr) {
        if (has_default) return bad_data(path, "more than one instance without datasetId");
        has_default = true;
        continue;
      }
      for (std::size_t j = 0; j < i; ++j) {
        const json::value* other = instances[j].get_object().if_contains(form::kDatasetId);
        if (other != nullptr && *other == *id) {
          return bad_data(path, "duplicate datasetId " + json::serialize(*id));
        }
      }
    }
    return ok_status();
  }

  Result<json::object> parse_instance(std::string_view path, const json::value& body) const {
    if (body.is_null()) {
      if (!options_.allow_null) return bad_data(path, "null is not a valid attribute value");
      return marker_instance(AttributeKind::kProperty);
    }
    const auto inference = detail::infer_instance(body);
    if (!inference) return ambiguity_error(path, body.get_object());
    if (inference->whole_is_value) return whole_value_instance(path, inference->kind, body);
    return parse_object_instance(path, inference->kind, body.get_object());
  }

  static Error ambiguity_error(std::string_view path, const json::object& body) {
    const json::value* type = body.if_contains(form::kType);
    if (type != nullptr && !(type->is_string() && detail::is_geometry_type(type->get_string()))) {
      return bad_data(path, "unknown attribute type " + json::serialize(*type));
    }
    return bad_data(path,
                    "more than one of value, object, languageMap, vocab, valueList, "
                    "objectList, json");
  }

  static json::object marker_instance(AttributeKind kind) {
    const std::string_view type = detail::type_name(kind);
    return json::object{{form::kType, to_json(type)},
                        {detail::value_member(kind), null_marker_value(type)}};
  }

  // A concise attribute given as its bare value: a Property value or a GeoJSON geometry.
  Result<json::object> whole_value_instance(std::string_view path, AttributeKind kind,
                                            const json::value& body) const {
    if (body.is_object() && body.get_object().contains(form::kDatasetId)) {
      return bad_data(path, "an instance with datasetId needs a value member");
    }
    auto value = parse_value_member(path, kind, body);
    if (!value.ok()) return std::move(value).error();
    return json::object{{form::kType, to_json(detail::type_name(kind))},
                        {form::kValue, std::move(*value)}};
  }

  Result<json::object> parse_object_instance(std::string_view path, AttributeKind kind,
                                             const json::object& body) const {
    CT_RETURN_IF_ERROR(check_value_members(path, kind, body));
    json::object instance;
    instance[form::kType] = to_json(detail::type_name(kind));
    const std::string_view member = detail::value_member(kind);
    auto value = parse_value_member(path, kind, body.at(member));
    if (!value.ok()) return std::move(value).error();
    instance[member] = std::move(*value);
    CT_RETURN_IF_ERROR(parse_metadata(path, kind, body, instance));
    CT_RETURN_IF_ERROR(parse_sub_attributes(path, body, instance));
    return instance;
  }

  // The value member of `kind` must be present, and no value member of another kind.
  static Status check_value_members(std::string_view path, AttributeKind kind,
                                    const json::object& body) {
    const std::string_view expected = detail::value_member(kind);
    if (!body.contains(expected)) {
      std::string what(detail::type_name(kind));
      return bad_data(path, what.append(" requires member '").append(expected).append("'"));
    }
    for (const auto& member : body) {
      const std::string_view name = member.key();
      if (name != expected && detail::kind_from_value_member(name)) {
        std::string what = "member '";
        what.append(name).append("' is not allowed in a ").append(detail::type_name(kind));
        return bad_data(path, what);
      }
    }
    return ok_status();
  }

  Result<json::value> parse_value_member(std::string_view path, AttributeKind kind,
                                         const json::value& value) const {
    if (value.is_null() || (options_.allow_null && is_null_string(value))) {
      if (!options_.allow_null) return bad_data(path, "null is not a valid attribute value");
      return null_marker_value(detail::type_name(kind));
    }
    switch (kind) {
      case AttributeKind::kProperty:
        return property_value(value);
      case AttributeKind::kGeoProperty:
        return parse_geometry(path, value);
      case AttributeKind::kRelationship:
        return parse_object(path, value);
      case AttributeKind::kLanguageProperty:
        return parse_language_map(path, value);
      case AttributeKind::kVocabProperty:
        return parse_vocab(path, value);
      case AttributeKind::kListProperty:
        return parse_value_list(path, value);
      case AttributeKind::kListRelationship:
        return parse_object_list(path, value);
      case AttributeKind::kJsonProperty:
        return value;  // never interpreted (clause 4.5.24)
    }
    return value;
  }

  // With allow_null, nulls in members of a JSON object value become "urn:ngsi-ld:null": a merge
  // applies the value as a JSON Merge Patch (RFC 7396) and deletes those members.
  json::value property_value(const json::value& value) const {
    if (!options_.allow_null || !value.is_object()) return value;
    json::object patched;
    for (const auto& member : value.get_object()) {
      patched[member.key()] = member.value().is_null() ? json::value(to_json(kNgsiLdNull))
                                                       : property_value(member.value());
    }
    return patched;
  }

  // Clause 4.7: a GeoProperty value is a GeoJSON geometry.
  Result<json::value> parse_geometry(std::string_view path, const json::value& value) const {
    if (!detail::looks_like_geometry(value)) {
      return bad_data(path, "GeoProperty value must be a GeoJSON geometry");
    }
    if (options_.validate_geometry) {
      Status status = options_.validate_geometry(value);
      if (!status.ok()) return bad_data(path, status.error().detail);
    }
    return value;
  }

  // Clause 4.5.3: "object" is a URI, or an array of URIs.
  static Result<json::value> parse_object(std::string_view path, const json::value& value) {
    if (value.is_string()) {
      if (!is_valid_uri(value.get_string())) return bad_data(path, "object must be a URI");
      return value;
    }
    if (!value.is_array() || value.get_array().empty()) {
      return bad_data(path, "object must be a URI or a non-empty array of URIs");
    }
    for (const json::value& element : value.get_array()) {
      if (!element.is_string() || !is_valid_uri(element.get_string())) {
        return bad_data(path, "object must be a URI or a non-empty array of URIs");
      }
    }
    return value;
  }

  // Clause 4.15: {"<BCP 47 tag>" | "@none": string | [string, ...]}.
  // With allow_null, a null entry becomes "urn:ngsi-ld:null": merge deletes that language.
  Result<json::value> parse_language_map(std::string_view path, const json::value& value) const {
    if (!value.is_object()) return bad_data(path, "languageMap must be an object");
    json::object map;
    for (const auto& entry : value.get_object()) {
      if (!is_language_key(entry.key())) {
        return bad_data(path, "invalid language tag '" + std::string(entry.key()) + "'");
      }
      if (options_.allow_null && entry.value().is_null()) {
        map[entry.key()] = to_json(kNgsiLdNull);
        continue;
      }
      if (!is_string_or_strings(entry.value())) {
        return bad_data(path, "languageMap values must be strings or arrays of strings");
      }
      map[entry.key()] = entry.value();
    }
    return json::value(std::move(map));
  }

  // BCP 47 shape only: letters, digits and '-', starting with a letter; or "@none".
  static bool is_language_key(std::string_view key) {
    if (key == "@none") return true;
    if (key.empty() || !std::isalpha(static_cast<unsigned char>(key.front()))) return false;
    for (char c : key) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    return true;
  }

  static bool is_string_or_strings(const json::value& value) {
    if (value.is_string()) return true;
    if (!value.is_array()) return false;
    for (const json::value& element : value.get_array()) {
      if (!element.is_string()) return false;
    }
    return true;
  }

  // Clause 4.5.20: vocab values are names, stored expanded.
  Result<json::value> parse_vocab(std::string_view path, const json::value& value) const {
    if (value.is_string()) return expand_vocab(path, value.get_string());
    if (!value.is_array() || value.get_array().empty() || !is_string_or_strings(value)) {
      return bad_data(path, "vocab must be a string or a non-empty array of strings");
    }
    json::array expanded;
    for (const json::value& element : value.get_array()) {
      auto iri = expand_vocab(path, element.get_string());
      if (!iri.ok()) return std::move(iri).error();
      expanded.push_back(std::move(*iri));
    }
    return json::value(std::move(expanded));
  }

  Result<json::value> expand_vocab(std::string_view path, std::string_view name) const {
    if (!is_valid_name(name))
      return bad_data(path, "invalid vocab value '" + std::string(name) + "'");
    return json::value(to_json(terms_.expand(name)));
  }

  static Result<json::value> parse_value_list(std::string_view path, const json::value& value) {
    if (!value.is_array()) return bad_data(path, "valueList must be an array");
    return value;
  }

  // Clause 4.5.22: objectList holds URIs, or {"object": URI} items; stored as plain URIs.
  static Result<json::value> parse_object_list(std::string_view path, const json::value& value) {
    if (!value.is_array()) return bad_data(path, "objectList must be an array");
    json::array uris;
    for (const json::value& element : value.get_array()) {
      const json::value* uri = &element;
      if (element.is_object() && element.get_object().size() == 1) {
        uri = element.get_object().if_contains(form::kObject);
        if (uri == nullptr) uri = &element;
      }
      if (!uri->is_string() || !is_valid_uri(uri->get_string())) {
        return bad_data(path, "objectList items must be URIs or {\"object\": URI}");
      }
      uris.push_back(*uri);
    }
    return json::value(std::move(uris));
  }

  // With allow_null, a metadata member given as null or "urn:ngsi-ld:null" is kept as the
  // marker (merge deletes it, null_marker.hpp).
  bool keep_null_metadata(const json::object& body, std::string_view key,
                          json::object& instance) const {
    const json::value* member = body.if_contains(key);
    if (!options_.allow_null || member == nullptr) return false;
    if (!member->is_null() && !is_null_string(*member)) return false;
    instance[key] = to_json(kNgsiLdNull);
    return true;
  }

  Status parse_metadata(std::string_view path, AttributeKind kind, const json::object& body,
                        json::object& instance) const {
    if (body.contains("lang")) {
      return bad_data(path, "'lang' is an output member; send a LanguageProperty instead");
    }
    if (!keep_null_metadata(body, form::kObjectType, instance)) {
      if (const json::value* type = body.if_contains(form::kObjectType)) {
        CT_RETURN_IF_ERROR(parse_object_type(path, kind, *type, instance));
      }
    }
    if (!keep_null_metadata(body, form::kObservedAt, instance)) {
      CT_RETURN_IF_ERROR(parse_observed_at(path, body, instance));
    }
    if (!keep_null_metadata(body, form::kUnitCode, instance)) {
      CT_RETURN_IF_ERROR(parse_unit_code(path, body, instance));
    }
    if (const json::value* dataset = body.if_contains(form::kDatasetId)) {
      if (!dataset->is_string() || !is_valid_uri(dataset->get_string())) {
        return bad_data(path, "datasetId must be a URI");
      }
      instance[form::kDatasetId] = *dataset;
    }
    return ok_status();
  }

  // Stored normalized to UTC (entity_parser.hpp) so that stored times compare as strings.
  static Status parse_observed_at(std::string_view path, const json::object& body,
                                  json::object& instance) {
    const json::value* observed = body.if_contains(form::kObservedAt);
    if (observed == nullptr) return ok_status();
    const auto instant = observed->is_string()
                             ? parse_date_time(std::string_view(observed->get_string()))
                             : std::nullopt;
    if (!instant) return bad_data(path, "observedAt must be an ISO 8601 date-time");
    instance[form::kObservedAt] = format_date_time(*instant);
    return ok_status();
  }

  static Status parse_unit_code(std::string_view path, const json::object& body,
                                json::object& instance) {
    const json::value* unit = body.if_contains(form::kUnitCode);
    if (unit == nullptr) return ok_status();
    if (!unit->is_string() || unit->get_string().empty()) {
      return bad_data(path, "unitCode must be a non-empty string");
    }
    instance[form::kUnitCode] = *unit;
    return ok_status();
  }

  // Clause 4.5.3 (V1.8): objectType names the target entity type(s); stored expanded.
  Status parse_object_type(std::string_view path, AttributeKind kind, const json::value& type,
                           json::object& instance) const {
    if (kind != AttributeKind::kRelationship && kind != AttributeKind::kListRelationship) {
      return bad_data(path, "objectType is only allowed in a Relationship or ListRelationship");
    }
    if (type.is_string() && is_valid_name(type.get_string())) {
      instance[form::kObjectType] = terms_.expand(type.get_string());
      return ok_status();
    }
    if (!type.is_array() || type.get_array().empty() || !is_string_or_strings(type)) {
      return bad_data(path, "objectType must be a type name or an array of type names");
    }
    json::array expanded;
    for (const json::value& element : type.get_array()) {
      if (!is_valid_name(element.get_string())) return bad_data(path, "invalid objectType");
      expanded.push_back(to_json(terms_.expand(element.get_string())));
    }
    instance[form::kObjectType] = std::move(expanded);
    return ok_status();
  }

  // Every member that is not an instance member is a sub-attribute (clause 4.5.1: properties
  // of properties), stored under "sub" with its name expanded. Sub-attributes are single
  // instances.
  Status parse_sub_attributes(std::string_view path, const json::object& body,
                              json::object& instance) const {
    json::object subs;
    for (const auto& member : body) {
      const std::string_view name = member.key();
      if (detail::is_instance_member(name)) continue;
      const std::string sub_path = member_path(path, name);
      if (!is_valid_name(name)) return bad_data(sub_path, "invalid sub-attribute name");
      if (detail::is_instance_array(member.value())) {
        return bad_data(sub_path, "a sub-attribute cannot have several instances");
      }
      const std::string iri = terms_.expand(name);
      if (subs.contains(iri)) return bad_data(sub_path, "expands to the name of another member");
      auto sub = parse_instance(sub_path, member.value());
      if (!sub.ok()) return std::move(sub).error();
      subs[iri] = std::move(*sub);
    }
    if (!subs.empty()) instance[form::kSub] = std::move(subs);
    return ok_status();
  }

  const jsonld::TermMapper& terms_;
  const ParseOptions& options_;
};

}  // namespace

Result<json::array> parse_attribute_value(std::string_view path, const json::value& body,
                                          const jsonld::TermMapper& terms,
                                          const ParseOptions& options) {
  return InstanceParser(terms, options).parse_attribute(path, body);
}

namespace {

json::value without_context(const json::value& body) {
  json::value copy = body;
  if (copy.is_object()) copy.get_object().erase("@context");
  return copy;
}

}  // namespace

Result<json::object> parse_attribute(std::string_view name, const json::value& body,
                                     const jsonld::TermMapper& terms, const ParseOptions& options) {
  if (!is_valid_name(name)) return bad_data(name, "invalid attribute name");
  auto instances = parse_attribute_value(name, without_context(body), terms, options);
  if (!instances.ok()) return std::move(instances).error();
  json::object attrs;
  attrs[terms.expand(name)] = std::move(*instances);
  return attrs;
}

Result<json::object> parse_attribute_fragment(std::string_view name, const json::value& body,
                                              const jsonld::TermMapper& terms,
                                              const ParseOptions& options) {
  if (!is_valid_name(name)) return bad_data(name, "invalid attribute name");
  if (body.is_array()) return bad_data(name, "a partial update takes one attribute instance");
  auto instance = InstanceParser(terms, options).parse_fragment(name, without_context(body));
  if (!instance.ok()) return std::move(instance).error();
  json::object attrs;
  attrs[terms.expand(name)] = json::array{std::move(*instance)};
  return attrs;
}

}  // namespace citytwin::model
