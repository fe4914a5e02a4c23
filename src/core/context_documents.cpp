#include "citytwin/core/context_documents.hpp"
#include "citytwin/common/json_parse.hpp"

#include <boost/json.hpp>

namespace citytwin::core {
namespace {

constexpr std::string_view kNamespace = "jsonld-contexts";

std::string encode(const jsonld::ContextEntry& entry) {
  boost::json::object object{{"url", entry.url},
                             {"kind", jsonld::context_kind_name(entry.kind)},
                             {"localId", entry.local_id},
                             {"createdAt", entry.created_at.micros},
                             {"hits", entry.number_of_hits},
                             {"document", entry.document}};
  if (entry.last_usage) object["lastUsage"] = entry.last_usage->micros;
  return boost::json::serialize(object);
}

std::optional<jsonld::ContextEntry> decode(std::string_view text) {
  boost::system::error_code ec;
  auto value = citytwin::parse_json(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.as_object();
  try {
    jsonld::ContextEntry entry;
    entry.url = std::string(object.at("url").as_string());
    auto kind = jsonld::parse_context_kind(object.at("kind").as_string());
    if (!kind) return std::nullopt;
    entry.kind = *kind;
    entry.local_id = std::string(object.at("localId").as_string());
    entry.created_at = Instant{object.at("createdAt").to_number<std::int64_t>()};
    entry.number_of_hits = object.at("hits").to_number<std::uint64_t>();
    entry.document = std::string(object.at("document").as_string());
    if (const auto* last = object.if_contains("lastUsage")) {
      entry.last_usage = Instant{last->to_number<std::int64_t>()};
    }
    return entry;
  } catch (const std::exception&) {
    return std::nullopt;  // a record written by another version: skipped, not fatal
  }
}

}  // namespace

Status StoreContextPersistence::save(const jsonld::ContextEntry& entry) {
  return store_.put_document(kNamespace, entry.url, encode(entry));
}

Status StoreContextPersistence::remove(std::string_view url) {
  return store_.delete_document(kNamespace, url);
}

Result<std::vector<jsonld::ContextEntry>> StoreContextPersistence::load_all() {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<jsonld::ContextEntry> entries;
  for (const auto& [url, text] : *documents) {
    if (auto entry = decode(text)) entries.push_back(std::move(*entry));
  }
  return entries;
}

}  // namespace citytwin::core
