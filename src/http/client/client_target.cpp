#include "client_target.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace citytwin::http {
namespace {

Error unreachable(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

}  // namespace

Result<ClientTarget> parse_client_target(std::string_view url, bool https_only) {
  namespace urls = boost::urls;
  auto parsed = urls::parse_uri(url);
  if (!parsed) return unreachable("not an absolute URL: " + std::string(url));
  const urls::url_view& view = *parsed;
  ClientTarget target;
  if (view.scheme_id() == urls::scheme::https) {
    target.https = true;
  } else if (view.scheme_id() != urls::scheme::http) {
    return unreachable("only http and https URLs are supported: " + std::string(url));
  }
  if (https_only && !target.https) {
    return unreachable("only https URLs are accepted: " + std::string(url));
  }
  if (!view.has_authority() || view.encoded_host().empty()) {
    return unreachable("the URL has no host: " + std::string(url));
  }
  target.host = view.host_address();
  target.port = view.has_port() ? std::string(view.port()) : (target.https ? "443" : "80");
  target.host_header = std::string(view.encoded_host_and_port());
  target.path = std::string(view.encoded_target());
  if (target.path.empty() || target.path.front() != '/') target.path.insert(0, "/");
  return target;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace citytwin::http
