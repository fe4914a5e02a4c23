// /ngsi-ld/v1/subscriptions and /ngsi-ld/v1/subscriptions/{subscriptionId} (GS CIM 009 V1.8.1
// clauses 5.8 and 6.10, 6.11).
#include <charconv>

#include "citytwin/model/core_contexts.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"

namespace citytwin::http::ngsi {
namespace {

std::string location_of(std::string_view id) {
  std::string encoded;
  for (char c : id) {
    if (c == '/' || c == '?' || c == '#' || c == '%' || c == ' ') {
      static const char* kHex = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      encoded += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      encoded += c;
    }
  }
  return "/ngsi-ld/v1/subscriptions/" + encoded;
}

Result<std::string> subscription_id_param(const Request& request) {
  std::string id(request.path_param("subscriptionId"));
  if (!model::is_valid_uri(id)) {
    return make_error(ErrorKind::kBadRequestData, "subscription id '" + id + "' is not a URI");
  }
  return id;
}

Result<std::size_t> count_param(const Request& request, std::string_view name,
                                std::size_t fallback) {
  auto text = request.param(name);
  if (!text) return fallback;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) {
    return make_error(ErrorKind::kBadRequestData,
                      std::string(name) + " must be a non-negative integer");
  }
  return value;
}

// application/ld+json answers carry the request's @context in each subscription.
boost::json::object with_context(boost::json::object subscription, const RequestEnv& env,
                                 NgsiApi& api) {
  if (env.response_type == MediaType::kJsonLd) {
    subscription["@context"] = context_for_body(env, api);
  }
  return subscription;
}

// SSRF protection (docs/security.md): an endpoint the outbound policy refuses is refused when
// the subscription is made or changed, where the client sees why, instead of failing every
// notification later. Host names are judged when resolved, at delivery.
Status check_endpoint(const boost::json::object& body, const NgsiApi& api) {
  if (!api.check_outbound_url) return ok_status();
  const auto* notification = body.if_contains("notification");
  const auto* endpoint = notification && notification->is_object()
                             ? notification->as_object().if_contains("endpoint")
                             : nullptr;
  const auto* uri =
      endpoint && endpoint->is_object() ? endpoint->as_object().if_contains("uri") : nullptr;
  if (uri == nullptr || !uri->is_string()) return ok_status();  // validated by the service
  auto allowed = api.check_outbound_url(std::string_view(uri->as_string()));
  if (!allowed.ok()) {
    return make_error(ErrorKind::kBadRequestData,
                      "notification.endpoint.uri: " + allowed.error().detail);
  }
  return ok_status();
}

}  // namespace

Response create_subscription(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api);
  if (!write) return fail(write.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  CT_RETURN_IF_ERROR_RESPONSE(check_endpoint(**body, api));
  // An inline @context is kept as an ImplicitlyCreated /jsonldContexts entry (clause 5.13) and
  // the subscription refers to it by URL, so notifications in application/json can name it
  // in their Link header.
  boost::json::value context = write->env.context_value;
  if (context.is_object() || context.is_array()) {
    std::string url = link_url(write->env, api);
    // The core URL means the entry could not be stored: keep the inline context then.
    if (url != jsonld::kDefaultCoreContextUrl) context = boost::json::string(url);
  }
  auto id = api.subscriptions.create(write->env.tenant, **body, context);
  if (!id) return fail(id.error());
  return Response::empty(201).header("Location", location_of(*id));
}

Response query_subscriptions(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto limit = count_param(request, "limit", api.options.default_limit);
  if (!limit) return fail(limit.error());
  if (*limit > api.options.max_limit) {
    return fail(make_error(ErrorKind::kTooManyResults,
                           "limit may be at most " + std::to_string(api.options.max_limit)));
  }
  auto offset = count_param(request, "offset", 0);
  if (!offset) return fail(offset.error());
  auto count = request.param("count");
  if (count && *count != "true" && *count != "false") {
    return fail(make_error(ErrorKind::kBadRequestData, "count must be true or false"));
  }
  if (*limit == 0 && count != "true") {
    return fail(make_error(ErrorKind::kBadRequestData, "limit=0 is only allowed with count=true"));
  }
  auto page = api.subscriptions.list(env->tenant, *limit, *offset, *env->context);
  if (!page) return fail(page.error());
  boost::json::array items;
  for (auto& item : page->items) items.emplace_back(with_context(std::move(item), *env, api));
  Response response = json_response(200, items, *env, api);
  if (count == "true") response.header("NGSILD-Results-Count", std::to_string(page->total));
  return response;
}

Response retrieve_subscription(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return fail(env.error());
  auto id = subscription_id_param(request);
  if (!id) return fail(id.error());
  auto subscription = api.subscriptions.get(env->tenant, *id, *env->context);
  if (!subscription) return fail(subscription.error());
  return json_response(200, with_context(std::move(*subscription), *env, api), *env, api);
}

Response update_subscription(Request& request, NgsiApi& api) {
  auto write = prepare_write(request, api, true);
  if (!write) return fail(write.error());
  auto id = subscription_id_param(request);
  if (!id) return fail(id.error());
  auto body = body_object(*write);
  if (!body) return fail(body.error());
  CT_RETURN_IF_ERROR_RESPONSE(check_endpoint(**body, api));
  CT_RETURN_IF_ERROR_RESPONSE(
      api.subscriptions.update(write->env.tenant, *id, **body, *write->env.context));
  return Response::empty(204);
}

Response delete_subscription(Request& request, NgsiApi& api) {
  auto tenant = tenant_of(request);
  if (!tenant) return fail(tenant.error());
  auto id = subscription_id_param(request);
  if (!id) return fail(id.error());
  CT_RETURN_IF_ERROR_RESPONSE(api.subscriptions.remove(*tenant, *id));
  return Response::empty(204);
}

}  // namespace citytwin::http::ngsi
