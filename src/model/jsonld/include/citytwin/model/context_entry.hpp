#pragma once

// One @context document stored by the broker (GS CIM 009 clause 5.13 "JSON-LD @context
// management": Add, List, Serve, Delete/Reload).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "citytwin/common/instant.hpp"

namespace citytwin::jsonld {

// Clause 5.13.3: how the broker came to store the document.
enum class ContextKind {
  kHosted,             // added by a client (POST /jsonldContexts), served by the broker
  kCached,             // downloaded from its original URL (or pre-seeded from a local file)
  kImplicitlyCreated,  // an inline context the broker stored to refer to it by URL
};

// "Hosted", "Cached", "ImplicitlyCreated".
std::string_view context_kind_name(ContextKind kind);
std::optional<ContextKind> parse_context_kind(std::string_view name);

struct ContextEntry {
  // Original URL (Cached), or the relative "/ngsi-ld/v1/jsonldContexts/{id}" (Hosted,
  // ImplicitlyCreated; made absolute per request by the HTTP layer).
  std::string url;
  ContextKind kind = ContextKind::kCached;
  std::string local_id;  // the broker's identifier, the {contextId} path segment
  Instant created_at;
  std::optional<Instant> last_usage;
  std::uint64_t number_of_hits = 0;
  std::string document;  // JSON text whose root object has "@context"
  bool core = false;     // an embedded NGSI-LD core context: never removed, reloaded or saved
};

// The metadata object of clauses 5.13.3.5 / 5.13.4.5 (List and Serve with details=true):
// URL, localId, kind, createdAt, lastUsage (when used), numberOfHits.
boost::json::object context_entry_details(const ContextEntry& entry);

}  // namespace citytwin::jsonld
