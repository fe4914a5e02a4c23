#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/security/access.hpp"

namespace citytwin::http {

// A parsed HTTP request as handlers see it: no Beast types, so handlers stay testable.
struct Request {
  std::string method;  // upper case: GET, POST, ...
  std::string path;    // percent-decoded path, no query
  std::string raw_target;
  std::multimap<std::string, std::string> query;             // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by the router, decoded
  // The key that authenticated the request; set by the dispatcher when authentication is on
  // and the route is not public.
  std::optional<security::Principal> principal;

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  // First query parameter with this name.
  std::optional<std::string_view> param(std::string_view name) const;
  // Every occurrence of a query parameter (repeated keys).
  std::vector<std::string_view> params(std::string_view name) const;
  std::string_view path_param(std::string_view name) const;
};

// Fills request.path, raw_target and query from an origin-form request target
// ("/path?query"; a '#fragment' is dropped). The path stays percent-encoded (the router
// decodes each segment); query keys and values are decoded. False when the target does not
// start with '/' or holds a malformed %-escape.
bool parse_request_target(std::string_view target, Request& request);

// The credential of a request: "Authorization: Bearer <key or token>" (RFC 6750 section
// 2.1) or "X-API-Key: <key>" (an API-gateway convention, for clients that cannot set
// Authorization). When both are sent, a Bearer Authorization wins.
std::optional<std::string_view> presented_credential(const Request& request);

// The "username:password" of "Authorization: Basic <base64>" (RFC 7617): how devices present
// a device credential over HTTP (docs/security.md, "Device credentials"). nullopt without a
// Basic Authorization header; "" when its value is not base64 or holds no ':'.
std::optional<std::string> basic_credentials(const Request& request);

// The value of cookie `name` in the request's Cookie header (RFC 6265 section 5.4), or
// nullopt.
std::optional<std::string_view> request_cookie(const Request& request, std::string_view name);

}  // namespace citytwin::http
