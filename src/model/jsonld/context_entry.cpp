#include "citytwin/model/context_entry.hpp"

namespace citytwin::jsonld {

std::string_view context_kind_name(ContextKind kind) {
  switch (kind) {
    case ContextKind::kHosted:
      return "Hosted";
    case ContextKind::kCached:
      return "Cached";
    case ContextKind::kImplicitlyCreated:
      return "ImplicitlyCreated";
  }
  return "Cached";
}

std::optional<ContextKind> parse_context_kind(std::string_view name) {
  for (ContextKind kind :
       {ContextKind::kHosted, ContextKind::kCached, ContextKind::kImplicitlyCreated}) {
    if (context_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

boost::json::object context_entry_details(const ContextEntry& entry) {
  boost::json::object out;
  out["URL"] = entry.url;
  out["localId"] = entry.local_id;
  out["kind"] = context_kind_name(entry.kind);
  out["createdAt"] = format_date_time(entry.created_at);
  if (entry.last_usage) out["lastUsage"] = format_date_time(*entry.last_usage);
  out["numberOfHits"] = entry.number_of_hits;
  return out;
}

}  // namespace citytwin::jsonld
