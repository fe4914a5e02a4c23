#include "citytwin/http/ngsi_routes.hpp"

#include "handlers.hpp"
#include "request_env.hpp"
#include "temporal_params.hpp"

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
  router.add("POST", base + "/entities", Permission::kWrite, bind(create_entity), local);
  router.add("GET", base + "/entities", Permission::kOpenRead, bind(query_entities));
  router.add("GET", base + "/entities/{entityId}", Permission::kOpenRead, bind(retrieve_entity),
             local);
  router.add("DELETE", base + "/entities/{entityId}", Permission::kWrite, bind(delete_entity),
             local);
  router.add("PUT", base + "/entities/{entityId}", Permission::kWrite, bind(replace_entity), local);
  router.add("PATCH", base + "/entities/{entityId}", Permission::kWrite, bind(merge_entity), local);
  router.add("POST", base + "/entities/{entityId}/attrs", Permission::kWrite,
             bind(append_attributes), local);
  router.add("PATCH", base + "/entities/{entityId}/attrs", Permission::kWrite,
             bind(update_attributes), local);
  router.add("PATCH", base + "/entities/{entityId}/attrs/{attrId}", Permission::kWrite,
             bind(patch_attribute), local);
  router.add("PUT", base + "/entities/{entityId}/attrs/{attrId}", Permission::kWrite,
             bind(replace_attribute), local);
  router.add("DELETE", base + "/entities/{entityId}/attrs/{attrId}", Permission::kWrite,
             bind(delete_attribute), local);

  for (const char* operation : {"create", "upsert", "update", "delete", "merge"}) {
    router.add(
        "POST", base + "/entityOperations/" + operation, Permission::kWrite,
        [&api, operation](Request& request) { return batch_operation(request, api, operation); });
  }
  router.add("POST", base + "/entityOperations/query", Permission::kOpenRead, bind(query_post));

  router.add("GET", base + "/temporal/entities", Permission::kOpenRead,
             bind(query_temporal_entities));
  // One entity's newest instances or aggregation over a short window: about as cheap as
  // reading the entity, and the way to a worker thread and back cost 0.15-0.2 ms of a
  // 1.2-1.4 ms answer (docs/performance.md).
  router.add("GET", base + "/temporal/entities/{entityId}", Permission::kOpenRead,
             bind(retrieve_temporal_entity), [local](const Request& request) {
               return ngsi::reads_little_history(request) && local(request);
             });
  router.add("POST", base + "/temporal/entityOperations/query", Permission::kOpenRead,
             bind(query_temporal_post));
  // CityTwin's own API (not NGSI-LD): bulk export of recorded history.
  router.add("GET", "/citytwin/v1/export", Permission::kRead, bind(export_history));
  // Entities from a CSV file, row by row (the console's Import view).
  router.add("POST", "/citytwin/v1/import/entities", Permission::kWrite, bind(import_entities));
  // History retention rules of the request's tenant; a pass now covers every tenant.
  if (api.retention != nullptr) {
    router.add("GET", "/citytwin/v1/retention", Permission::kAdmin, bind(retrieve_retention));
    router.add("PUT", "/citytwin/v1/retention", Permission::kAdmin, bind(replace_retention));
    router.add("POST", "/citytwin/v1/retention/passes", Permission::kGlobalAdmin,
               bind(run_retention_pass));
  }
  // Open data and personal data of the request's tenant (docs/security.md).
  if (api.data_policies != nullptr) {
    router.add("GET", "/citytwin/v1/open-data", Permission::kAdmin, bind(retrieve_open_data));
    router.add("PUT", "/citytwin/v1/open-data", Permission::kAdmin, bind(replace_open_data));
    router.add("GET", "/citytwin/v1/personal-data", Permission::kAdmin,
               bind(retrieve_personal_data));
    router.add("PUT", "/citytwin/v1/personal-data", Permission::kAdmin,
               bind(replace_personal_data));
  }
  const std::string temporal = base + "/temporal/entities";
  router.add("POST", temporal, Permission::kWrite, bind(create_temporal_entity));
  router.add("DELETE", temporal + "/{entityId}", Permission::kWrite, bind(delete_temporal_entity));
  router.add("POST", temporal + "/{entityId}/attrs", Permission::kWrite,
             bind(append_temporal_attributes));
  router.add("DELETE", temporal + "/{entityId}/attrs/{attrId}", Permission::kWrite,
             bind(delete_temporal_attribute));
  router.add("PATCH", temporal + "/{entityId}/attrs/{attrId}/{instanceId}", Permission::kWrite,
             bind(modify_temporal_instance));
  router.add("DELETE", temporal + "/{entityId}/attrs/{attrId}/{instanceId}", Permission::kWrite,
             bind(delete_temporal_instance));

  router.add("GET", base + "/types", Permission::kOpenRead, bind(list_types));
  router.add("GET", base + "/types/{type}", Permission::kOpenRead, bind(type_info));
  router.add("GET", base + "/attributes", Permission::kRead, bind(list_attributes));
  router.add("GET", base + "/attributes/{attrId}", Permission::kRead, bind(attribute_info));

  // Subscriptions write a small document synchronously (and may download a jsonldContext):
  // worker threads, not the event loop. Creating one is a write: it makes the broker send
  // the tenant's data to the endpoint it names.
  router.add("POST", base + "/subscriptions", Permission::kWrite, bind(create_subscription));
  router.add("GET", base + "/subscriptions", Permission::kRead, bind(query_subscriptions));
  router.add("GET", base + "/subscriptions/{subscriptionId}", Permission::kRead,
             bind(retrieve_subscription));
  router.add("PATCH", base + "/subscriptions/{subscriptionId}", Permission::kWrite,
             bind(update_subscription));
  router.add("DELETE", base + "/subscriptions/{subscriptionId}", Permission::kWrite,
             bind(delete_subscription));

  router.add("GET", base + "/jsonldContexts", Permission::kRead, bind(list_contexts));
  router.add("POST", base + "/jsonldContexts", Permission::kWrite, bind(add_context));
  router.add("GET", base + "/jsonldContexts/{contextId}", Permission::kRead, bind(serve_context));
  router.add("DELETE", base + "/jsonldContexts/{contextId}", Permission::kGlobalAdmin,
             bind(delete_context));
}

}  // namespace citytwin::http
