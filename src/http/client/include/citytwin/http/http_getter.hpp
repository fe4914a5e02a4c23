#pragma once

// HTTP and HTTPS GET of a document at a URL the server was given (remote @context documents,
// an identity provider's JWKS). Synchronous for the caller: each get() runs its own
// short-lived event loop bounded by the timeout, so concurrent calls from server threads do
// not share state. HTTPS verifies the server certificate against the system CA store (or
// ca_file) and the host name, and sends SNI. Every destination, redirects included, passes
// the outbound (SSRF) policy before a connection is opened.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/http/outbound_policy.hpp"

namespace citytwin::http {

struct HttpGetOptions {
  // Time allowed for one request (resolve, connect, TLS handshake, write, read), per
  // redirect hop. Default 5 s.
  std::chrono::milliseconds timeout{5000};
  // Largest response body accepted, in bytes. Default 1 MiB.
  std::size_t max_body_bytes = 1024 * 1024;
  // Redirects (301, 302, 303, 307, 308) followed before giving up. Default 3.
  int max_redirects = 3;
  // PEM file of trusted CA certificates; empty means the system default store.
  std::string ca_file;
  // Sent as User-Agent. Default "CityTwin".
  std::string user_agent = "CityTwin";
  // Sent as Accept. Default "application/json".
  std::string accept = "application/json";
  // Only https URLs (redirects included) are fetched. Default false.
  bool https_only = false;
  // Which destinations may be fetched from (SSRF protection, outbound_policy.hpp). Default:
  // public addresses only; redirects are checked like the first request.
  OutboundPolicy outbound;
};

// A 2xx answer.
struct HttpDocument {
  std::string body;
  // The Cache-Control header as sent (RFC 9111 clause 5.2), empty when absent.
  std::string cache_control;
};

class HttpGetter {
 public:
  explicit HttpGetter(HttpGetOptions options = {});
  ~HttpGetter();
  HttpGetter(const HttpGetter&) = delete;
  HttpGetter& operator=(const HttpGetter&) = delete;

  // The document at `url`, following redirects (RFC 9110 clause 15.4). Fails with
  // kServiceUnavailable and a detail saying why (bad URL, refused destination, DNS, connect or
  // TLS error, timeout, HTTP status, too large, too many redirects); the detail does not
  // repeat the URL.
  Result<HttpDocument> get(std::string_view url) const;

 private:
  struct Tls;  // the OpenSSL client context, shared by all gets
  HttpGetOptions options_;
  std::unique_ptr<Tls> tls_;
};

// The max-age directive of a Cache-Control header value (RFC 9111 clause 5.2.2.1), or -1 when
// absent or malformed; 0 for no-store and no-cache (clauses 5.2.2.4, 5.2.2.5).
long long cache_max_age(std::string_view cache_control);

}  // namespace citytwin::http
