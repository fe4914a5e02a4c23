#pragma once

#include <functional>
#include <string_view>

#include <cstddef>
#include <string>

#include "citytwin/core/data_policies.hpp"
#include "citytwin/core/discovery.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/retention_service.hpp"
#include "citytwin/core/subscription_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/http/rendered_entity_cache.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"

namespace citytwin::http {

struct NgsiApiOptions {
  // Entities per page when the client gives no `limit`. Default 20 (GS CIM 009 clause 5.5.9).
  std::size_t default_limit = 20;
  // Largest `limit` accepted; above it the answer is 403 TooManyResults. Default 1000.
  std::size_t max_limit = 1000;
  // Most entities in one batch operation. Default 10000.
  std::size_t max_batch_entities = 10000;
  // Most instances of one attribute in one temporal answer; more are paged with 206 and
  // Content-Range (clause 6.3.10). Default 10000.
  std::size_t temporal_page_size = 10000;
  // "http://host:port" for URLs handed out (hosted @contexts) when a request has no usable
  // Host header; the server sets the address it is bound to. Default "http://localhost:1026".
  std::string base_url = "http://localhost:1026";
};

// What the NGSI-LD handlers need; owned by the server wiring.
struct NgsiApi {
  core::EntityService& entities;
  core::Discovery& discovery;
  core::TemporalService& temporal;
  core::SubscriptionService& subscriptions;
  jsonld::ContextResolver& resolver;
  jsonld::ContextRegistry& registry;
  jsonld::ContextLoader& loader;
  NgsiApiOptions options;
  // History retention rules (/citytwin/v1/retention); the routes are left out without it.
  core::RetentionService* retention = nullptr;
  // The outbound (SSRF) policy's check of a notification endpoint URL, without DNS
  // (http::OutboundPolicy::check_url); empty: endpoints are judged at delivery only.
  std::function<Status(std::string_view url)> check_outbound_url = nullptr;
  // Open data and personal data per tenant (/citytwin/v1/open-data, /citytwin/v1/personal-data;
  // docs/security.md); the routes are left out without it, and anonymous requests refused.
  core::DataPolicies* data_policies = nullptr;
  // Rendered bodies of GET by id (docs/storage.md, "Rendered-entity cache"); null: none.
  RenderedEntityCache* rendered = nullptr;
};

// Registers every /ngsi-ld/v1/ route.
void add_ngsi_routes(Router& router, NgsiApi& api);

}  // namespace citytwin::http
