#include "public_url.hpp"

#include <algorithm>
#include <cctype>

namespace citytwin::http::ngsi {
namespace {

// RFC 3986 host (reg-name, IPv4, bracketed IPv6) and port characters only: the value is
// copied into Location and Link headers, where '<', '>', '"', ';' or ',' would change their
// meaning.
bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

std::string request_base_url(const Request& request, std::string_view fallback) {
  auto host = request.header("host");
  if (host && plausible_host(*host)) return "http://" + std::string(*host);
  return std::string(fallback);
}

std::string public_context_url(std::string_view url, std::string_view base_url) {
  if (!url.starts_with('/')) return std::string(url);
  return std::string(base_url) + std::string(url);
}

}  // namespace citytwin::http::ngsi
