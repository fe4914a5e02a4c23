#pragma once

#include "citytwin/http/live_events.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/security/stream_tickets.hpp"

namespace citytwin::http {

// The console's live updates (docs/console.md, docs/security.md):
//   POST /citytwin/v1/events/tickets   a one-time ticket for the request's tenant (viewer)
//   GET  /citytwin/v1/events?ticket=&type=&id=   Server-Sent Events of that tenant's changes
// EventSource cannot send headers, so the stream route is public for the dispatcher and
// checks its ticket itself; with `auth_required` false no ticket is needed and the tenant is
// NGSILD-Tenant or the `tenant` parameter.
void add_live_routes(Router& router, LiveEvents& events, security::StreamTickets& tickets,
                     bool auth_required);

}  // namespace citytwin::http
