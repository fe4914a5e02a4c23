#pragma once

// The broker's store of @context documents, behind the NGSI-LD /jsonldContexts endpoints
// (GS CIM 009 V1.8.1 clause 5.13: 5.13.2 Add, 5.13.3 List, 5.13.4 Serve, 5.13.5 Delete and
// Reload) and the document cache ContextResolver reads before going to the network.
//
// The embedded core contexts are always present as Cached entries marked `core`: they are
// listed, cannot be removed or reloaded, and are never persisted. Thread-safe.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/model/context_entry.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_persistence.hpp"

namespace citytwin::jsonld {

// Hosted and ImplicitlyCreated entries are stored under the relative URL kHostedContextPath +
// local id (clause 6.30 resource path), not under an absolute URL: the host and port a client
// reaches the broker by are only known per request and change across restarts, so the HTTP
// layer makes the URL absolute when it answers. An absolute URL with this path, through any
// host, finds the entry (see locate()).
inline constexpr std::string_view kHostedContextPath = "/ngsi-ld/v1/jsonldContexts/";

struct ContextRegistryOptions {
  // Largest document accepted, in bytes. Default 1 MiB.
  std::size_t max_document_bytes = 1024 * 1024;
  // Most entries kept, core contexts not counted. When full, the least recently used Cached
  // entry is evicted; Hosted and ImplicitlyCreated entries are never evicted. Default 1000.
  std::size_t max_entries = 1000;
};

class ContextRegistry {
 public:
  // `clock` and `persistence` (may be null: nothing is saved) must outlive the registry.
  ContextRegistry(ContextRegistryOptions options, const Clock& clock,
                  ContextPersistence* persistence = nullptr);

  // Loads the persisted entries (start-up). Entries for core URLs are skipped; Hosted and
  // ImplicitlyCreated entries saved under an absolute URL (before kHostedContextPath) are
  // saved again under their relative URL.
  Status restore();

  // Clause 5.13.2: stores a client's document {"@context": ...} as a Hosted entry with a new
  // local id. Errors: kInvalidRequest (not JSON), kBadRequestData (not an object with
  // "@context"), kPayloadTooLarge, kServiceUnavailable (full), persistence errors.
  Result<ContextEntry> add_hosted(std::string_view document);
  // Like add_hosted, for an inline context the broker decided to store (ImplicitlyCreated).
  // The same document gives the same entry, so repeating a request does not add entries.
  Result<ContextEntry> add_implicit(std::string_view document);
  // Stores (or replaces) a document downloaded from `url` as a Cached entry.
  // Errors as add_hosted; kAlreadyExists when `url` is a Hosted entry or a core context.
  Result<ContextEntry> add_cached(std::string_view url, std::string_view document);

  // Clause 5.13.4: the entry with this local id or URL, counting a hit (numberOfHits,
  // lastUsage). A Hosted or ImplicitlyCreated entry is also found by any absolute URL whose
  // path is kHostedContextPath + its id. Errors: kResourceNotFound.
  Result<ContextEntry> get(std::string_view id_or_url);
  // The same without counting a hit.
  std::optional<ContextEntry> peek(std::string_view id_or_url) const;
  // The document stored under this URL (or hosted under its path), counting a hit; used by
  // ContextResolver.
  std::optional<std::string> document_for(std::string_view url);

  // Clause 5.13.3: all entries, or those of one kind, oldest first.
  std::vector<ContextEntry> list(std::optional<ContextKind> kind = std::nullopt) const;

  // Clause 5.13.5: removes an entry by local id or URL. Errors: kResourceNotFound,
  // kBadRequestData for a core context, persistence errors.
  Status remove(std::string_view id_or_url);
  // Clause 5.13.5 with reload=true: downloads a Cached entry again. On failure the old copy
  // is kept. Errors: kResourceNotFound, kBadRequestData (not Cached, or core), loader errors.
  Result<ContextEntry> reload(std::string_view id_or_url, ContextLoader& loader);

  // Changes whenever an entry is removed, reloaded or replaced, so caches built from
  // documents (ContextResolver) know to drop what they derived.
  std::uint64_t generation() const { return generation_.load(); }

  const ContextRegistryOptions& options() const { return options_; }

 private:
  Status validate(std::string_view document) const;
  Result<ContextEntry> add_local(ContextKind kind, std::string_view document);
  Status insert(ContextEntry entry);
  Status make_room();
  ContextEntry* locate(std::string_view id_or_url);
  const ContextEntry* locate(std::string_view id_or_url) const;
  const ContextEntry* locate_hosted(std::string_view url) const;
  const ContextEntry* find_implicit(std::string_view document) const;
  Status rebase_legacy_url(ContextEntry& entry);
  std::string new_local_id();
  std::size_t user_entry_count() const;
  void add_core_entries();

  ContextRegistryOptions options_;
  const Clock& clock_;
  ContextPersistence* persistence_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ContextEntry> by_url_;    // guarded by mutex_
  std::unordered_map<std::string, std::string> url_by_id_;  // guarded by mutex_
  std::mt19937_64 random_;                                  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace citytwin::jsonld
