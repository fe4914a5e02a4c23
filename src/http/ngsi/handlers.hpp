#pragma once

#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"

// Returns the ProblemDetails response of a failed Status from a handler.
#define CT_RETURN_IF_ERROR_RESPONSE(expr)                                          \
  do {                                                                             \
    auto&& ct_status_ = (expr);                                                    \
    if (!ct_status_.ok()) return ::citytwin::http::ngsi::fail(ct_status_.error()); \
  } while (false)

namespace citytwin::http::ngsi {

Response create_entity(Request& request, NgsiApi& api);
Response query_entities(Request& request, NgsiApi& api);
Response retrieve_entity(Request& request, NgsiApi& api);
Response delete_entity(Request& request, NgsiApi& api);
Response replace_entity(Request& request, NgsiApi& api);
Response merge_entity(Request& request, NgsiApi& api);

Response append_attributes(Request& request, NgsiApi& api);
Response update_attributes(Request& request, NgsiApi& api);
Response patch_attribute(Request& request, NgsiApi& api);
Response replace_attribute(Request& request, NgsiApi& api);
Response delete_attribute(Request& request, NgsiApi& api);

Response batch_operation(Request& request, NgsiApi& api, std::string_view operation);
Response query_post(Request& request, NgsiApi& api);

Response list_types(Request& request, NgsiApi& api);
Response type_info(Request& request, NgsiApi& api);
Response list_attributes(Request& request, NgsiApi& api);
Response attribute_info(Request& request, NgsiApi& api);

Response retrieve_temporal_entity(Request& request, NgsiApi& api);
Response query_temporal_entities(Request& request, NgsiApi& api);
Response query_temporal_post(Request& request, NgsiApi& api);
Response create_temporal_entity(Request& request, NgsiApi& api);
Response export_history(Request& request, NgsiApi& api);
Response import_entities(Request& request, NgsiApi& api);
Response retrieve_retention(Request& request, NgsiApi& api);
Response replace_retention(Request& request, NgsiApi& api);
Response run_retention_pass(Request& request, NgsiApi& api);
Response retrieve_open_data(Request& request, NgsiApi& api);
Response replace_open_data(Request& request, NgsiApi& api);
Response retrieve_personal_data(Request& request, NgsiApi& api);
Response replace_personal_data(Request& request, NgsiApi& api);
Response append_temporal_attributes(Request& request, NgsiApi& api);
Response delete_temporal_entity(Request& request, NgsiApi& api);
Response delete_temporal_attribute(Request& request, NgsiApi& api);
Response modify_temporal_instance(Request& request, NgsiApi& api);
Response delete_temporal_instance(Request& request, NgsiApi& api);

Response create_subscription(Request& request, NgsiApi& api);
Response query_subscriptions(Request& request, NgsiApi& api);
Response retrieve_subscription(Request& request, NgsiApi& api);
Response update_subscription(Request& request, NgsiApi& api);
Response delete_subscription(Request& request, NgsiApi& api);

Response list_contexts(Request& request, NgsiApi& api);
Response serve_context(Request& request, NgsiApi& api);
Response add_context(Request& request, NgsiApi& api);
Response delete_context(Request& request, NgsiApi& api);

}  // namespace citytwin::http::ngsi
