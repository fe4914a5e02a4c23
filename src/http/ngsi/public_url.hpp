#pragma once

// Absolute URLs of resources the broker hands out (hosted @contexts, GS CIM 009 V1.8.1 clause
// 5.13), made per request: the host and port a client reaches the broker by are only known
// from its request, and change when the broker restarts on another port or behind another
// name, so they are never stored (see ContextRegistry, kHostedContextPath).

#include <string>
#include <string_view>

#include "citytwin/http/request.hpp"

namespace citytwin::http::ngsi {

// "http://" + the request's Host header (RFC 9110 clause 7.2) when it is a plausible
// host[:port]; else `fallback` (the address the server is bound to).
std::string request_base_url(const Request& request, std::string_view fallback);

// A registry URL as a client must see it: a relative one ("/ngsi-ld/v1/jsonldContexts/{id}")
// prefixed with `base_url`; an absolute one (a Cached entry's origin) unchanged.
std::string public_context_url(std::string_view url, std::string_view base_url);

}  // namespace citytwin::http::ngsi
