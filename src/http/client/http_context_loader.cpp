#include "citytwin/http/http_context_loader.hpp"

namespace citytwin::http {
namespace {

HttpGetOptions get_options(HttpContextLoaderOptions options) {
  options.accept = "application/ld+json, application/json";
  return options;
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
