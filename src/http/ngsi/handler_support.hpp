#pragma once

#include <boost/json.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/model/mutation/attribute_outcome.hpp"
#include "citytwin/model/parse_options.hpp"
#include "request_env.hpp"

namespace citytwin::http::ngsi {

// Parser settings shared by every write: geometries and scopes are validated.
model::ParseOptions parse_options(bool require_id, bool require_type, bool allow_null = false);

// `datasetId` (clause 6.7.3.2): a URI; absent means the default instance.
Result<std::optional<std::string>> dataset_id_param(const Request& request);

// A boolean query parameter (`deleteAll`): "true" or "false"; anything else is 400 rather
// than silently false, which would delete only the default instance.
Result<bool> boolean_param(const Request& request, std::string_view name);

// DELETE .../attrs/{attrId} (clause 6.7.3.2, and its temporal twin): which attribute
// instances, by `datasetId` and `deleteAll`; the name expanded with the request's @context.
struct AttributeDeletion {
  RequestEnv env;
  std::string id;
  std::string name;
  std::optional<std::string> dataset_id;
  bool all = false;
};
Result<AttributeDeletion> attribute_deletion(const Request& request, NgsiApi& api);

// A Location header value: `collection` ("/ngsi-ld/v1/entities/") and the id, with the
// characters that would end a path segment percent-encoded.
std::string location_of(std::string_view collection, std::string_view id);

// Members of an entity body that are not attributes.
bool is_entity_member(std::string_view name);

// The {entityId} path parameter, checked to be a URI (400 otherwise).
Result<std::string> entity_id_param(const Request& request);

// A body that must be a JSON object.
Result<const boost::json::object*> body_object(const WriteRequest& write);

// 204 when every attribute was updated, else 207 with the UpdateResult (clause 5.2.18).
Response attribute_outcome_response(const mutation::AttributeOutcome& outcome,
                                    const RequestEnv& env);

}  // namespace citytwin::http::ngsi
