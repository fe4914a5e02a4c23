#include "handler_support.hpp"
#include "citytwin/common/json_text.hpp"

#include "citytwin/model/geo/validation.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "citytwin/model/query/scope_filter.hpp"

namespace citytwin::http::ngsi {

model::ParseOptions parse_options(bool require_id, bool require_type, bool allow_null) {
  model::ParseOptions options;
  options.require_id = require_id;
  options.require_type = require_type;
  options.allow_null = allow_null;
  options.validate_geometry = [](const boost::json::value& geometry) {
    return geo::validate_geometry(geometry);
  };
  options.validate_scope = [](std::string_view scope) -> Status {
    if (query::ScopeFilter::is_valid_scope(scope)) return ok_status();
    return make_error(ErrorKind::kBadRequestData,
                      "invalid scope '" + std::string(scope) + "' (expected /level/level...)");
  };
  return options;
}

Result<std::string> entity_id_param(const Request& request) {
  std::string id(request.path_param("entityId"));
  if (!model::is_valid_uri(id)) {
    return make_error(ErrorKind::kBadRequestData, "entity id '" + id + "' is not a URI");
  }
  return id;
}

Result<const boost::json::object*> body_object(const WriteRequest& write) {
  const auto* object = write.body.if_object();
  if (object == nullptr)
    return make_error(ErrorKind::kBadRequestData, "request body must be a JSON object");
  return object;
}

Response attribute_outcome_response(const mutation::AttributeOutcome& outcome,
                                    const RequestEnv& env) {
  if (outcome.not_updated.empty()) return Response::empty(204);
  boost::json::array updated;
  for (const auto& name : outcome.updated) updated.emplace_back(env.context->compact(name));
  boost::json::array not_updated;
  for (const auto& item : outcome.not_updated) {
    not_updated.push_back(boost::json::object{{"attributeName", env.context->compact(item.name)},
                                              {"reason", item.reason}});
  }
  boost::json::object body{{"updated", std::move(updated)}, {"notUpdated", std::move(not_updated)}};
  return Response::with_body(207, "application/json", to_json_text(body));
}

// Clause 6.7.3.2 `datasetId`: the instance to delete, a URI (clause 4.5.5). Absent: the default
// instance.
Result<std::optional<std::string>> dataset_id_param(const Request& request) {
  auto value = request.param("datasetId");
  if (!value) return std::optional<std::string>();
  if (!model::is_valid_uri(*value)) {
    return make_error(ErrorKind::kBadRequestData,
                      "datasetId '" + std::string(*value) + "' is not a URI");
  }
  return std::optional<std::string>(std::string(*value));
}

// A boolean query parameter (`deleteAll`): "true" or "false"; anything else is 400 rather
// than silently false, which would delete only the default instance.
Result<bool> boolean_param(const Request& request, std::string_view name) {
  auto value = request.param(name);
  if (!value || *value == "false") return false;
  if (*value == "true") return true;
  return make_error(
      ErrorKind::kBadRequestData,
      std::string(name) + " must be true or false, got '" + std::string(*value) + "'");
}

std::string location_of(std::string_view collection, std::string_view id) {
  std::string location(collection);
  for (char c : id) {
    if (c == '/' || c == '?' || c == '#' || c == '%' || c == ' ') {
      static const char* kHex = "0123456789ABCDEF";
      location += '%';
      location += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      location += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      location += c;
    }
  }
  return location;
}

bool is_entity_member(std::string_view name) {
  return name == "id" || name == "type" || name == "scope" || name == "@context" ||
         name == "createdAt" || name == "modifiedAt" || name == "deletedAt";
}

Result<AttributeDeletion> attribute_deletion(const Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return std::move(env).error();
  auto id = entity_id_param(request);
  if (!id) return std::move(id).error();
  auto dataset_id = dataset_id_param(request);
  if (!dataset_id) return std::move(dataset_id).error();
  auto delete_all = boolean_param(request, "deleteAll");
  if (!delete_all) return std::move(delete_all).error();
  std::string name = env->context->expand(request.path_param("attrId"));
  return AttributeDeletion{std::move(*env), std::move(*id), std::move(name), std::move(*dataset_id),
                           *delete_all};
}

}  // namespace citytwin::http::ngsi
