#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/http/ops_routes.hpp"

namespace citytwin::http {

void add_ops_routes(Router& router, OpsInfo info) {
  router.add(
      "GET", "/health", Permission::kPublic,
      [ready = info.ready](Request&) {
        bool is_ready = ready ? ready() : true;
        boost::json::object body{
            {"status", is_ready ? "ok" : "unavailable"}, {"live", true}, {"ready", is_ready}};
        return Response::with_body(is_ready ? 200 : 503, "application/json", to_json_text(body));
      },
      always_inline);
  router.add(
      "GET", "/version", Permission::kPublic,
      [version = info.version](Request&) {
        boost::json::object body{
            {"citytwin", version}, {"ngsi-ld", "1.8.1"}, {"compiler", __VERSION__}};
        return Response::with_body(200, "application/json", to_json_text(body));
      },
      always_inline);
  // Metrics name every tenant and count its entities: only for admins of every tenant.
  router.add("GET", "/metrics", Permission::kGlobalAdmin, [metrics = info.metrics](Request&) {
    return Response::with_body(200, "text/plain; version=0.0.4; charset=utf-8",
                               metrics != nullptr ? metrics->render() : std::string());
  });
}

}  // namespace citytwin::http
