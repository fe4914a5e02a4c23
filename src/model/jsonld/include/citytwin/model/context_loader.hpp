#pragma once

// Fetches a remote @context document by URL (JSON-LD 1.1 processing clause 9.4 "Remote
// Document and Context Retrieval"). The HTTP(S) implementation is http::HttpContextLoader
// (src/http/client); tests use fakes. Implementations must be safe to call from several
// threads at once.

#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"

namespace citytwin::jsonld {

class ContextLoader {
 public:
  virtual ~ContextLoader() = default;

  // The document text at `url`. Errors: kLdContextNotAvailable (with a detail saying why:
  // unreachable, timeout, HTTP status, too large) for any failure to obtain the document.
  virtual Result<std::string> load(std::string_view url) = 0;
};

}  // namespace citytwin::jsonld
