#include "citytwin/http/live_routes.hpp"

#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/http/problem.hpp"
#include "ngsi/request_env.hpp"

namespace citytwin::http {
namespace {

constexpr std::string_view kEvents = "/citytwin/v1/events";

// Values of a parameter given repeated and/or comma-separated.
std::vector<std::string> list_param(const Request& request, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view value : request.params(name)) {
    while (!value.empty()) {
      auto comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return out;
}

Response mint_ticket(Request& request, security::StreamTickets& tickets) {
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return problem_response(tenant.error());
  auto ticket = tickets.mint({std::move(*tenant), request.principal});
  if (!ticket) return problem_response(ticket.error());
  boost::json::object body{{"ticket", *ticket}, {"expiresIn", tickets.lifetime().count()}};
  return Response::with_body(201, "application/json", to_json_text(body))
      .header("Cache-Control", "no-store");
}

// The tenant a stream request may watch: its ticket's (which must be there when
// authentication is on), else NGSILD-Tenant or ?tenant=. A tenant named beside a ticket
// must be the ticket's, so a ticket never widens to another tenant.
Result<std::string> stream_tenant(const Request& request, security::StreamTickets& tickets,
                                  bool auth_required) {
  std::optional<std::string> named;
  if (auto param = request.param("tenant")) {
    if (!security::valid_tenant_scope(*param)) {
      return make_error(ErrorKind::kBadRequestData, "invalid tenant name");
    }
    named = std::string(*param);
  } else if (request.header("ngsild-tenant") || request.header("fiware-service")) {
    auto header = ngsi::tenant_of(request);
    if (!header) return std::move(header).error();
    named = std::move(*header);
  }
  auto ticket = request.param("ticket");
  if (!ticket) {
    if (auth_required) {
      return make_error(ErrorKind::kUnauthorized,
                        "a stream ticket is required: POST /citytwin/v1/events/tickets first");
    }
    return named.value_or("");
  }
  auto grant = tickets.redeem(*ticket);
  if (!grant) return std::move(grant).error();
  if (named && *named != grant->tenant) {
    return make_error(ErrorKind::kForbidden, "the ticket was issued for another tenant");
  }
  return std::move(grant->tenant);
}

Response open_stream(Request& request, LiveEvents& events, security::StreamTickets& tickets,
                     bool auth_required) {
  auto tenant = stream_tenant(request, tickets, auth_required);
  if (!tenant) return problem_response(tenant.error());
  LiveFilter filter;
  for (const auto& type : list_param(request, "type")) {
    filter.types.insert(events.terms().expand(type));
  }
  for (auto& id : list_param(request, "id")) filter.ids.insert(std::move(id));
  auto stream = events.open(std::move(*tenant), std::move(filter));
  if (!stream) return problem_response(stream.error()).header("Retry-After", "5");
  Response response;
  response.status = 200;
  response.header("Content-Type", "text/event-stream")
      .header("Cache-Control", "no-store")
      .header("X-Accel-Buffering", "no");  // reverse proxies: do not buffer the stream
  response.stream = std::move(*stream);
  return response;
}

}  // namespace

void add_live_routes(Router& router, LiveEvents& events, security::StreamTickets& tickets,
                     bool auth_required) {
  router.add(
      "POST", std::string(kEvents) + "/tickets", Permission::kRead,
      [&tickets](Request& request) { return mint_ticket(request, tickets); }, always_inline);
  router.add(
      "GET", std::string(kEvents), Permission::kPublic,
      [&events, &tickets, auth_required](Request& request) {
        return open_stream(request, events, tickets, auth_required);
      },
      always_inline);
}

}  // namespace citytwin::http
