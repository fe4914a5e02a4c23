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

// Limits, trust store and outbound policy of the downloads (http_getter.hpp); Accept is set
// to JSON-LD by the loader.
using HttpContextLoaderOptions = HttpGetOptions;

class HttpContextLoader final : public jsonld::ContextLoader {
 public:
  explicit HttpContextLoader(HttpContextLoaderOptions options = {});
  ~HttpContextLoader() override;

  Result<std::string> load(std::string_view url) override;

 private:
  HttpGetter getter_;
};

}  // namespace citytwin::http
