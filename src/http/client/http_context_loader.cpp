#include "citytwin/http/http_context_loader.hpp"

namespace citytwin::http {
namespace {

HttpGetOptions get_options(const HttpContextLoaderOptions& options) {
  HttpGetOptions get;
  get.timeout = options.timeout;
  get.max_body_bytes = options.max_body_bytes;
  get.max_redirects = options.max_redirects;
  get.ca_file = options.ca_file;
  get.user_agent = options.user_agent;
  get.accept = "application/ld+json, application/json";
  get.outbound = options.outbound;
  return get;
}

}  // namespace

HttpContextLoader::HttpContextLoader(HttpContextLoaderOptions options)
    : getter_(get_options(options)) {}

HttpContextLoader::~HttpContextLoader() = default;

Result<std::string> HttpContextLoader::load(std::string_view url) {
  auto document = getter_.get(url);
  if (!document) {
    return make_error(
        ErrorKind::kLdContextNotAvailable,
        "cannot load @context \"" + std::string(url) + "\": " + document.error().detail);
  }
  return std::move(document->body);
}

}  // namespace citytwin::http
