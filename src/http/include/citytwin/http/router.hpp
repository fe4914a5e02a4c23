#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/security/access.hpp"

namespace citytwin::http {

using Handler = std::function<Response(Request&)>;
using security::Permission;

// Says whether a matched request may run on the network event loop instead of a worker
// thread: only handlers that never wait on the network or an fsync qualify (reading the
// local store is fine). Running there saves two thread hand-offs per request.
using InlinePredicate = std::function<bool(const Request&)>;

// For routes whose handler is always cheap and non-blocking.
inline bool always_inline(const Request&) {
  return true;
}

// A declarative route table: "METHOD /path/{param}/..." -> permission and handler. The
// permission is declared with the route and enforced once, by the dispatcher, before the
// handler runs (docs/security.md); handlers never check it. Matching splits the raw
// (still percent-encoded) path on '/', so an encoded '/' inside an entity id stays in its
// segment; each parameter is decoded after matching.
class Router {
 public:
  static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    std::string route;                 // the pattern, used as the metrics label
    std::size_t index = kNoRoute;      // the matched route's position, below route_count()
    bool path_known = false;  // path matched some route (when no handler: not with this method)
    // Methods allowed for the path (for 405 Allow); filled only when no handler matched.
    std::vector<std::string> allowed;
    bool run_inline = false;  // the route's InlinePredicate accepted the request
    Permission permission = Permission::kGlobalAdmin;  // what the matched route requires
  };

  // A route as declared, for tests that review the whole table.
  struct RouteInfo {
    std::string method;
    std::string pattern;
    Permission permission;
  };

  // Without `may_run_inline`, the handler always runs on a worker thread.
  void add(std::string method, std::string pattern, Permission permission, Handler handler,
           InlinePredicate may_run_inline = {});

  std::vector<RouteInfo> routes() const;
  std::size_t route_count() const { return routes_.size(); }

  // Finds the handler for request.method and request.path and fills request.path_params.
  Match match(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    std::vector<bool> parameter;        // per segment: whether it is a parameter
    Permission permission;
    Handler handler;
    InlinePredicate may_run_inline;
  };
  // Whether `segments` matches the route's literal segments, with a non-empty segment for
  // each parameter; cheap, so that parameters are decoded only for routes that fit.
  static bool literals_match(const Route& route, const std::vector<std::string_view>& segments);
  // Decodes the route's parameters from `segments`; false on a malformed percent escape.
  static bool decode_parameters(const Route& route, const std::vector<std::string_view>& segments,
                                std::map<std::string, std::string>& params);

  std::vector<Route> routes_;
  // Positions in routes_ by segment count, in declaration order: a path is compared only
  // with routes of its own length (a sixth of the table for the NGSI-LD routes).
  std::vector<std::vector<std::size_t>> routes_by_length_;
};

// Decodes %XX escapes; returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace citytwin::http
