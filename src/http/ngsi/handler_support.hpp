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

// The {entityId} path parameter, checked to be a URI (400 otherwise).
Result<std::string> entity_id_param(const Request& request);

// A body that must be a JSON object.
Result<const boost::json::object*> body_object(const WriteRequest& write);

// 204 when every attribute was updated, else 207 with the UpdateResult (clause 5.2.18).
Response attribute_outcome_response(const mutation::AttributeOutcome& outcome,
                                    const RequestEnv& env);

}  // namespace citytwin::http::ngsi
