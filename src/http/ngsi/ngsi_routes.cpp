#include "citytwin/http/ngsi_routes.hpp"

#include "handlers.hpp"
#include "request_env.hpp"

namespace citytwin::http {

void add_ngsi_routes(Router& router, NgsiApi& api) {
  using namespace ngsi;
  auto bind = [&api](Response (*handler)(Request&, NgsiApi&)) {
    return [handler, &api](Request& request) { return handler(request, api); };
  };
  const std::string base = "/ngsi-ld/v1";
  router.add("POST", base + "/entities", bind(create_entity));
  router.add("GET", base + "/entities", bind(query_entities));
  // Retrieving one entity reads the local store only, unless it needs a remote @context
  // that is not cached yet (a download must not stall the event loop).
  router.add("GET", base + "/entities/{entityId}", bind(retrieve_entity),
             [&api](const Request& request) { return ngsi::contexts_are_local(request, api); });
  router.add("DELETE", base + "/entities/{entityId}", bind(delete_entity));
  router.add("PUT", base + "/entities/{entityId}", bind(replace_entity));
  router.add("PATCH", base + "/entities/{entityId}", bind(merge_entity));
  router.add("POST", base + "/entities/{entityId}/attrs", bind(append_attributes));
  router.add("PATCH", base + "/entities/{entityId}/attrs", bind(update_attributes));
  router.add("PATCH", base + "/entities/{entityId}/attrs/{attrId}", bind(patch_attribute));
  router.add("PUT", base + "/entities/{entityId}/attrs/{attrId}", bind(replace_attribute));
  router.add("DELETE", base + "/entities/{entityId}/attrs/{attrId}", bind(delete_attribute));

  for (const char* operation : {"create", "upsert", "update", "delete", "merge"}) {
    router.add(
        "POST", base + "/entityOperations/" + operation,
        [&api, operation](Request& request) { return batch_operation(request, api, operation); });
  }
  router.add("POST", base + "/entityOperations/query", bind(query_post));

  router.add("GET", base + "/types", bind(list_types));
  router.add("GET", base + "/types/{type}", bind(type_info));
  router.add("GET", base + "/attributes", bind(list_attributes));
  router.add("GET", base + "/attributes/{attrId}", bind(attribute_info));

  router.add("GET", base + "/jsonldContexts", bind(list_contexts));
  router.add("POST", base + "/jsonldContexts", bind(add_context));
  router.add("GET", base + "/jsonldContexts/{contextId}", bind(serve_context));
  router.add("DELETE", base + "/jsonldContexts/{contextId}", bind(delete_context));
}

}  // namespace citytwin::http
