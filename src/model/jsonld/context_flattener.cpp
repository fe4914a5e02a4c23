#include "context_flattener.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/core_contexts.hpp"
#include "iri.hpp"

namespace citytwin::jsonld {
namespace {

namespace json = boost::json;

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Error invalid(std::string detail) {
  return make_error(ErrorKind::kInvalidRequest, "Invalid JSON-LD @context: " + std::move(detail));
}

// Resolves a relative context reference against the URL of the document that contains it
// (JSON-LD 1.1 processing clause 4.1 step 5.2.1). Dot segments are not normalized.
std::string resolve_reference(std::string_view reference, std::string_view base) {
  std::size_t scheme_end = base.find("://");
  std::size_t path_start =
      scheme_end == std::string_view::npos ? base.size() : base.find('/', scheme_end + 3);
  if (path_start == std::string_view::npos) path_start = base.size();
  if (reference.starts_with("//")) {
    return std::string(base.substr(0, base.find(':') + 1)) + std::string(reference);
  }
  if (reference.starts_with("/")) {
    return std::string(base.substr(0, path_start)) + std::string(reference);
  }
  std::size_t last_slash = base.rfind('/');
  if (last_slash == std::string_view::npos || last_slash < path_start) {
    return std::string(base.substr(0, path_start)) + "/" + std::string(reference);
  }
  return std::string(base.substr(0, last_slash + 1)) + std::string(reference);
}

}  // namespace

Result<std::vector<json::value>> ContextFlattener::flatten(const json::value& context) {
  std::vector<json::value> out;
  CT_RETURN_IF_ERROR(visit(context, 0, out));
  return out;
}

Status ContextFlattener::visit(const json::value& context, int depth,
                               std::vector<json::value>& out) {
  switch (context.kind()) {
    case json::kind::null:
      out.emplace_back(nullptr);
      return ok_status();
    case json::kind::string: {
      std::string url(context.get_string());
      if (!has_scheme(url)) {
        if (stack_.empty()) return invalid("relative @context URL " + quoted(url));
        url = resolve_reference(url, stack_.back());
      }
      return visit_url(url, depth, out);
    }
    case json::kind::object: {
      const json::object& local = context.get_object();
      if (!local.contains("@import")) {
        out.emplace_back(local);
        return ok_status();
      }
      auto merged = merge_import(local);
      if (!merged) return std::move(merged).error();
      out.emplace_back(std::move(*merged));
      return ok_status();
    }
    case json::kind::array:
      // Nested arrays are not valid JSON-LD, but splicing them is harmless and lenient.
      for (const json::value& item : context.get_array()) {
        CT_RETURN_IF_ERROR(visit(item, depth, out));
      }
      return ok_status();
    default:
      return invalid("a @context entry must be a URL, an object, an array or null, found " +
                     json::serialize(context));
  }
}

// A remote context (JSON-LD 1.1 processing clause 4.1 step 5.2). Core context URLs mean the
// core context, which Context::create applies in any case (GS CIM 009 clause 5.5.7).
Status ContextFlattener::visit_url(const std::string& url, int depth,
                                   std::vector<json::value>& out) {
  if (find_core_context(url) != nullptr) return ok_status();
  if (depth >= limits_.max_depth) {
    return invalid("@context nesting deeper than " + std::to_string(limits_.max_depth) + " at " +
                   quoted(url));
  }
  if (std::find(stack_.begin(), stack_.end(), url) != stack_.end()) {
    return invalid("recursive @context inclusion of " + quoted(url));
  }
  auto context = fetch_context(url);
  if (!context) return std::move(context).error();
  stack_.push_back(url);
  Status status = visit(*context, depth + 1, out);
  stack_.pop_back();
  return status;
}

// @import (JSON-LD 1.1 processing clause 4.1 step 5.6): the imported context must be a single
// object without its own @import; the importing object's entries take precedence.
Result<json::object> ContextFlattener::merge_import(const json::object& local) {
  const json::value& import = local.at("@import");
  if (!import.is_string()) return invalid("@import must be a URL string");
  std::string url(import.get_string());
  if (!has_scheme(url)) {
    if (stack_.empty()) return invalid("relative @import URL " + quoted(url));
    url = resolve_reference(url, stack_.back());
  }
  auto imported = fetch_context(url);
  if (!imported) return std::move(imported).error();
  if (!imported->is_object() || imported->get_object().contains("@import")) {
    return invalid("the @context imported from " + quoted(url) +
                   " must be a single object without @import");
  }
  json::object merged = std::move(imported->get_object());
  for (const auto& [key, value] : local) {
    if (key != "@import") merged[key] = value;
  }
  return merged;
}

// The "@context" member of the document at `url`, from the registry or downloaded; a valid
// download is stored in the registry as Cached (GS CIM 009 clause 5.13). Storing is best
// effort: a full registry does not fail the request.
Result<json::value> ContextFlattener::fetch_context(const std::string& url) {
  bool downloaded = false;
  auto text = registry_.document_for(url);
  if (!text) {
    auto loaded = fetch_document(url);
    if (!loaded) return std::move(loaded).error();
    text = std::move(*loaded);
    downloaded = true;
  }
  boost::system::error_code ec;
  json::value document = citytwin::parse_json(*text, ec);
  if (ec) return invalid("the document at " + quoted(url) + " is not JSON: " + ec.message());
  json::object* object = document.if_object();
  if (object == nullptr || !object->contains("@context")) {
    return invalid("the document at " + quoted(url) +
                   " is not a JSON-LD context (no \"@context\" member)");
  }
  if (downloaded) (void)registry_.add_cached(url, *text);
  return std::move(object->at("@context"));
}

namespace {

// Only http(s) documents can be dereferenced (GS CIM 009 clause 5.5.7: an @context is "a URI
// that can be dereferenced"). Any other scheme ("urn:", "ftp:") is the client's mistake, so it
// is a 400 InvalidRequest, not a 503 LdContextNotAvailable that invites a retry. Registry
// entries (hosted, cached, --context-dir) were looked up before and may use any URL.
bool is_dereferenceable(std::string_view url) {
  auto lower_starts_with = [url](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  return lower_starts_with("http://") || lower_starts_with("https://");
}

}  // namespace

Result<std::string> ContextFlattener::fetch_document(const std::string& url) {
  if (!is_dereferenceable(url)) {
    return invalid("@context " + quoted(url) + " is neither a known context nor an http(s) URL");
  }
  if (++remote_loads_ > limits_.max_remote_loads) {
    return invalid("more than " + std::to_string(limits_.max_remote_loads) +
                   " remote @contexts in one request");
  }
  auto text = loader_.load(url);
  if (text) return text;
  Error error = std::move(text).error();
  if (error.kind != ErrorKind::kLdContextNotAvailable) {
    error = make_error(ErrorKind::kLdContextNotAvailable,
                       "cannot load @context " + quoted(url) + ": " + error.detail);
  }
  return error;
}

}  // namespace citytwin::jsonld
