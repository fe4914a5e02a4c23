#pragma once

// Downloads remote @context documents over HTTP and HTTPS (JSON-LD 1.1 processing clause 9.4
// "Remote Document and Context Retrieval"; GS CIM 009 clause 5.5.7). Synchronous for the
// caller: each load() runs its own short-lived event loop, so concurrent calls from server
// threads do not share state. HTTPS verifies the server certificate against the system CA
// store (or ca_file) and the host name, and sends SNI.
//
// Every failure is kLdContextNotAvailable (GS CIM 009 clause 5.5.2: 503) with a detail that
// says why: bad URL, DNS/connect/TLS error, timeout, HTTP status, too large, too many redirects.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/http/http_getter.hpp"
#include "citytwin/http/outbound_policy.hpp"
#include "citytwin/model/context_loader.hpp"

namespace citytwin::http {

struct HttpContextLoaderOptions {
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
  // Which destinations may be fetched from (SSRF protection, outbound_policy.hpp). Default:
  // public addresses only; redirects are checked like the first request.
  OutboundPolicy outbound;
};

class HttpContextLoader final : public jsonld::ContextLoader {
 public:
  explicit HttpContextLoader(HttpContextLoaderOptions options = {});
  ~HttpContextLoader() override;

  Result<std::string> load(std::string_view url) override;

 private:
  HttpGetter getter_;
};

}  // namespace citytwin::http
