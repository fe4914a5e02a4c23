#pragma once

#include <span>
#include <string_view>

#include "citytwin/http/router.hpp"

namespace citytwin::http {

// One file of the built web console, embedded in the binary (src/web generates the table at
// build time from the Vite output, docs/console.md).
struct StaticAsset {
  std::string_view path;          // relative to the console root: "index.html", "assets/x.js"
  std::string_view content_type;  // the Content-Type header value
  std::string_view etag;          // strong validator, quoted (RFC 9110 section 8.8.3)
  std::string_view body;          // the file as built
  std::string_view gzip_body;     // gzip-compressed body; empty when compression does not pay
  bool immutable = false;         // the name carries a content hash: cacheable forever
};

// The console's paths that the browser may open directly (bookmarks, reloads): each serves
// index.html and the console's own router shows the view (the single-page-app fallback).
// Listed one by one instead of a catch-all so the console can never shadow an API path
// (/ngsi-ld/, /health, /metrics, /version, /citytwin/, /iot/, /kpi/).
inline constexpr std::string_view kConsoleClientRoutes[] = {
    "/map",  "/entities", "/entities/{entityId}", "/subscriptions", "/settings", "/devices",
    "/kpis", "/import"};

// GET / and the client routes (index.html), GET /assets/{file}. Public: the shell holds no
// data; the console then calls the API with the user's key. Adds nothing when `assets` has
// no index.html (a build without the console).
void add_console_routes(Router& router, std::span<const StaticAsset> assets);

// The response for one asset: gzip when the client accepts it and a compressed variant
// exists, 304 when If-None-Match names its ETag. Exposed for the unit test.
Response serve_asset(const Request& request, const StaticAsset& asset);

}  // namespace citytwin::http
