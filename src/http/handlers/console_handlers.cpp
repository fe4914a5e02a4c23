#include <algorithm>
#include <cctype>
#include <string>

#include "citytwin/http/console_routes.hpp"
#include "citytwin/http/problem.hpp"

namespace citytwin::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls `visit` with each element of a comma-separated header list (RFC 9110 section 5.6.1).
template <typename Visit>
void for_each_list_element(std::string_view list, Visit visit) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Accept-Encoding (RFC 9110 section 12.5.3): gzip (or x-gzip, or *) with a weight above 0.
bool accepts_gzip(const Request& request) {
  auto header = request.header("accept-encoding");
  if (!header) return false;
  bool accepted = false;
  for_each_list_element(*header, [&accepted](std::string_view element) {
    std::size_t semicolon = element.find(';');
    std::string_view coding = trim(element.substr(0, semicolon));
    if (!iequals(coding, "gzip") && !iequals(coding, "x-gzip") && coding != "*") return;
    bool refused = false;
    if (semicolon != std::string_view::npos) {
      std::string_view weight = trim(element.substr(semicolon + 1));
      if (weight.size() >= 2 && (weight[0] == 'q' || weight[0] == 'Q') && weight[1] == '=') {
        weight.remove_prefix(2);
        refused = !weight.empty() && std::all_of(weight.begin(), weight.end(),
                                                 [](char c) { return c == '0' || c == '.'; });
      }
    }
    if (!refused) accepted = true;
  });
  return accepted;
}

// If-None-Match (RFC 9110 section 13.1.2): weak comparison, so a W/ prefix still matches.
bool etag_matches(const Request& request, std::string_view etag) {
  auto header = request.header("if-none-match");
  if (!header) return false;
  bool matched = false;
  for_each_list_element(*header, [&](std::string_view element) {
    if (element == "*") matched = true;
    if (element.starts_with("W/")) element.remove_prefix(2);
    if (element == etag) matched = true;
  });
  return matched;
}

const StaticAsset* find_asset(std::span<const StaticAsset> assets, std::string_view path) {
  auto it = std::find_if(assets.begin(), assets.end(),
                         [path](const StaticAsset& asset) { return asset.path == path; });
  return it == assets.end() ? nullptr : &*it;
}

// Scripts come only from the console's own files. Map tiles may come from the tile server
// the user names in the settings (a city's own may be plain http on its network), hence
// http: and https: for images and connections. MapLibre runs its worker from a blob: URL
// and sets inline styles on its controls.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: http: https:; connect-src 'self' http: https:; "
    "worker-src 'self' blob:; child-src blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

}  // namespace

Response serve_asset(const Request& request, const StaticAsset& asset) {
  const bool compressed = !asset.gzip_body.empty() && accepts_gzip(request);
  Response response;
  if (etag_matches(request, asset.etag)) {
    response.status = 304;
  } else {
    response = Response::with_body(200, std::string(asset.content_type),
                                   std::string(compressed ? asset.gzip_body : asset.body));
    if (compressed) response.header("Content-Encoding", "gzip");
  }
  response.header("ETag", std::string(asset.etag));
  // Hashed names never change content; index.html must be revalidated so a new build shows.
  response.header("Cache-Control",
                  asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (!asset.gzip_body.empty()) response.header("Vary", "Accept-Encoding");
  response.header("X-Content-Type-Options", "nosniff");
  if (asset.content_type.starts_with("text/html")) {
    response.header("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.header("Referrer-Policy", "no-referrer");
  }
  return response;
}

void add_console_routes(Router& router, std::span<const StaticAsset> assets) {
  const StaticAsset* index = find_asset(assets, "index.html");
  if (index == nullptr) return;
  auto shell = [index](Request& request) { return serve_asset(request, *index); };
  router.add("GET", "/", Permission::kPublic, shell, always_inline);
  for (std::string_view route : kConsoleClientRoutes) {
    router.add("GET", std::string(route), Permission::kPublic, shell, always_inline);
  }
  router.add(
      "GET", "/assets/{file}", Permission::kPublic,
      [assets](Request& request) {
        const StaticAsset* asset =
            find_asset(assets, "assets/" + std::string(request.path_param("file")));
        if (asset == nullptr) {
          return problem_response(
              make_error(ErrorKind::kResourceNotFound, "no console file at " + request.path));
        }
        return serve_asset(request, *asset);
      },
      always_inline);
}

}  // namespace citytwin::http
