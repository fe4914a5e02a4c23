#include "citytwin/model/entity_parser.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>

#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/member_names.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "citytwin/model/null_marker.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;

// Entity members that are not attributes. The system attributes are set by core, so client
// values are ignored (clause 4.8).
constexpr std::array<std::string_view, 7> kEntityMembers{
    form::kId,        form::kType,       form::kScope,     "@context",
    form::kCreatedAt, form::kModifiedAt, form::kDeletedAt,
};

const json::string_view kNgsiLdNullJson(kNgsiLdNull.data(), kNgsiLdNull.size());

Error invalid_request(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, std::move(detail));
}

Error bad_data(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

// Clause 4.5.1: the entity id is a URI.
Result<json::value> parse_id(const json::value& id) {
  if (!id.is_string()) return invalid_request("entity 'id' must be a string");
  if (!is_valid_uri(id.get_string())) {
    return bad_data("entity 'id' " + json::serialize(id) + " is not a valid URI");
  }
  return id;
}

// Clause 4.5.1 / 5.2.4: "type" is a name or a non-empty array of names (multi-typing,
// clause 4.16); stored expanded, sorted and unique so that equal type sets compare equal.
Result<json::value> parse_types(const json::value& type, const jsonld::TermMapper& terms) {
  std::vector<std::string_view> names;
  if (type.is_string()) {
    names.push_back(type.get_string());
  } else if (type.is_array()) {
    for (const json::value& element : type.get_array()) {
      if (!element.is_string()) return invalid_request("entity 'type' must hold strings");
      names.push_back(element.get_string());
    }
    if (names.empty()) return bad_data("entity 'type' must not be an empty array");
  } else {
    return invalid_request("entity 'type' must be a string or an array of strings");
  }
  std::vector<std::string> iris;
  for (std::string_view name : names) {
    if (!is_valid_name(name)) return bad_data("invalid entity type '" + std::string(name) + "'");
    iris.push_back(terms.expand(name));
  }
  std::sort(iris.begin(), iris.end());
  iris.erase(std::unique(iris.begin(), iris.end()), iris.end());
  json::array stored;
  for (std::string& iri : iris) stored.emplace_back(json::string(iri));
  return json::value(std::move(stored));
}

Status check_scope(std::string_view scope, const ParseOptions& options) {
  if (scope.empty()) return bad_data("entity 'scope' must not be empty");
  if (!options.validate_scope) return ok_status();
  Status status = options.validate_scope(scope);
  if (!status.ok()) return bad_data("invalid entity 'scope': " + status.error().detail);
  return ok_status();
}

// Clause 4.18: "scope" is a string or an array of strings; stored as an array. With allow_null,
// null or "urn:ngsi-ld:null" is kept as ["urn:ngsi-ld:null"] (merge removes the scope).
Result<json::value> parse_scope(const json::value& scope, const ParseOptions& options) {
  if (options.allow_null && (scope.is_null() || scope == json::value(kNgsiLdNullJson))) {
    return json::value(json::array{kNgsiLdNullJson});
  }
  json::array scopes;
  if (scope.is_string()) {
    scopes.push_back(scope);
  } else if (scope.is_array()) {
    scopes = scope.get_array();
  } else {
    return invalid_request("entity 'scope' must be a string or an array of strings");
  }
  for (const json::value& element : scopes) {
    if (!element.is_string()) return invalid_request("entity 'scope' must hold strings");
    CT_RETURN_IF_ERROR(check_scope(element.get_string(), options));
  }
  return json::value(std::move(scopes));
}

Status parse_identity(const json::object& payload, const jsonld::TermMapper& terms,
                      const ParseOptions& options, json::object& entity) {
  if (const json::value* id = payload.if_contains(form::kId)) {
    auto parsed = parse_id(*id);
    if (!parsed.ok()) return std::move(parsed).error();
    entity[form::kId] = std::move(*parsed);
  } else if (options.require_id) {
    return bad_data("entity 'id' is missing");
  }
  if (const json::value* type = payload.if_contains(form::kType)) {
    auto parsed = parse_types(*type, terms);
    if (!parsed.ok()) return std::move(parsed).error();
    entity[form::kType] = std::move(*parsed);
  } else if (options.require_type) {
    return bad_data("entity 'type' is missing");
  }
  if (const json::value* scope = payload.if_contains(form::kScope)) {
    auto parsed = parse_scope(*scope, options);
    if (!parsed.ok()) return std::move(parsed).error();
    entity[form::kScope] = std::move(*parsed);
  }
  return ok_status();
}

Result<json::object> parse_attribute_members(const json::object& payload,
                                             const jsonld::TermMapper& terms,
                                             const ParseOptions& options) {
  json::object attrs;
  for (const auto& member : payload) {
    const std::string_view name = member.key();
    if (is_entity_member(name)) continue;
    if (!is_valid_name(name)) return bad_data("invalid attribute name '" + std::string(name) + "'");
    std::string iri = terms.expand(name);
    if (attrs.contains(iri)) {
      return bad_data("attribute '" + std::string(name) + "' expands to the name of another one");
    }
    auto instances = parse_attribute_value(name, member.value(), terms, options);
    if (!instances.ok()) return std::move(instances).error();
    attrs[iri] = std::move(*instances);
  }
  return attrs;
}

}  // namespace

bool is_entity_member(std::string_view name) {
  return std::find(kEntityMembers.begin(), kEntityMembers.end(), name) != kEntityMembers.end();
}

Result<json::object> parse_entity(const json::object& payload, const jsonld::TermMapper& terms,
                                  const ParseOptions& options) {
  json::object entity;
  CT_RETURN_IF_ERROR(parse_identity(payload, terms, options, entity));
  auto attrs = parse_attribute_members(payload, terms, options);
  if (!attrs.ok()) return std::move(attrs).error();
  entity[form::kAttrs] = std::move(*attrs);
  return entity;
}

Result<json::object> parse_attributes(const json::object& fragment, const jsonld::TermMapper& terms,
                                      const ParseOptions& options) {
  ParseOptions fragment_options = options;
  fragment_options.require_id = false;
  fragment_options.require_type = false;
  auto entity = parse_entity(fragment, terms, fragment_options);
  if (!entity.ok()) return std::move(entity).error();
  return std::move(entity->at(form::kAttrs).as_object());
}

}  // namespace citytwin::model
