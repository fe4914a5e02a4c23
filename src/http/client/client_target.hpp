#pragma once

#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::http {

// Where one outgoing request goes (remote @context, JWKS, notification endpoint).
struct ClientTarget {
  bool https = false;
  std::string host;         // for DNS and certificate checks (no brackets)
  std::string port;         // explicit or the scheme default
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // origin-form request target
};

// The target of an absolute http(s) URL; `https_only` refuses http. A bad URL is
// kServiceUnavailable (what it points to cannot be reached), saying what is wrong.
Result<ClientTarget> parse_client_target(std::string_view url, bool https_only = false);

// Whether `host` is an IP address literal (RFC 6066 clause 3: no SNI for those).
bool is_ip_literal(const std::string& host);

}  // namespace citytwin::http
