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
  // Reading one entity or writing one reads the local store only and never waits for the
  // disk (writes are acknowledged through the server's write barrier), so these run on the
  // event loop unless they need a remote @context not cached yet: a download must not stall
  // the loop. Queries and batches may take long; they run on worker threads.
  auto local = [&api](const Request& request) { return ngsi::contexts_are_local(request, api); };
  router.add("POST", base + "/entities", bind(create_entity), local);
  router.add("GET", base + "/entities", bind(query_entities));
  router.add("GET", base + "/entities/{entityId}", bind(retrieve_entity), local);
  router.add("DELETE", base + "/entities/{entityId}", bind(delete_entity), local);
  router.add("PUT", base + "/entities/{entityId}", bind(replace_entity), local);
  router.add("PATCH", base + "/entities/{entityId}", bind(merge_entity), local);
  router.add("POST", base + "/entities/{entityId}/attrs", bind(append_attributes), local);
  router.add("PATCH", base + "/entities/{entityId}/attrs", bind(update_attributes), local);
  router.add("PATCH", base + "/entities/{entityId}/attrs/{attrId}", bind(patch_attribute), local);
  router.add("PUT", base + "/entities/{entityId}/attrs/{attrId}", bind(replace_attribute), local);
  router.add("DELETE", base + "/entities/{entityId}/attrs/{attrId}", bind(delete_attribute), local);

  for (const char* operation : {"create", "upsert", "update", "delete", "merge"}) {
    router.add(
        "POST", base + "/entityOperations/" + operation,
        [&api, operation](Request& request) { return batch_operation(request, api, operation); });
  }
  router.add("POST", base + "/entityOperations/query", bind(query_post));

  router.add("GET", base + "/temporal/entities/{entityId}", bind(retrieve_temporal_entity));

  router.add("GET", base + "/types", bind(list_types));
  router.add("GET", base + "/types/{type}", bind(type_info));
  router.add("GET", base + "/attributes", bind(list_attributes));
  router.add("GET", base + "/attributes/{attrId}", bind(attribute_info));

  // Subscriptions write a small document synchronously (and may download a jsonldContext):
  // worker threads, not the event loop.
  router.add("POST", base + "/subscriptions", bind(create_subscription));
  router.add("GET", base + "/subscriptions", bind(query_subscriptions));
  router.add("GET", base + "/subscriptions/{subscriptionId}", bind(retrieve_subscription));
  router.add("PATCH", base + "/subscriptions/{subscriptionId}", bind(update_subscription));
  router.add("DELETE", base + "/subscriptions/{subscriptionId}", bind(delete_subscription));

  router.add("GET", base + "/jsonldContexts", bind(list_contexts));
  router.add("POST", base + "/jsonldContexts", bind(add_context));
  router.add("GET", base + "/jsonldContexts/{contextId}", bind(serve_context));
  router.add("DELETE", base + "/jsonldContexts/{contextId}", bind(delete_context));
}

}  // namespace citytwin::http
