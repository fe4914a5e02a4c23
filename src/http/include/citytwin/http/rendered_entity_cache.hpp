#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citytwin::http {

// Response bodies of GET /ngsi-ld/v1/entities/{id}, as rendered from a stored entity document
// for one representation (docs/storage.md, "Rendered-entity cache"). Parsing the stored
// document, rendering it (compaction, format, projections) and serializing the result was
// about a fifth of such a GET's server CPU (4.5 + 10.4 + 3.3 % of a profile, 2026-12-06); a
// hit here is a hash probe and a comparison.
//
// Consistency without invalidation: an entry remembers the exact stored document it was
// rendered from, and find() answers only when the caller's current document (read from the
// store as for any GET, so as fresh as any read) is byte for byte that one. A write changes
// the document, so the entry simply stops matching; a late store() of a body rendered from an
// older document can only make later lookups miss. The key names everything else the body
// depends on (tenant, id, representation, @context); `pin` keeps alive what the key names by
// address (the resolved @context), so the address cannot be reused by another while the entry
// lives.
//
// Bounded by `capacity_bytes` (keys, documents, bodies and a fixed per-entry overhead), least
// recently used entries evicted per shard. Capacity 0 disables the cache.
class RenderedEntityCache {
 public:
  explicit RenderedEntityCache(std::size_t capacity_bytes);
  RenderedEntityCache(const RenderedEntityCache&) = delete;
  RenderedEntityCache& operator=(const RenderedEntityCache&) = delete;

  // The body rendered for `key` from exactly `document`, or nullopt.
  std::optional<std::string> find(std::string_view key, std::string_view document);
  // Remembers `body` as rendered for `key` from `document`, replacing what `key` had.
  void store(std::string key, std::string document, std::string body,
             std::shared_ptr<const void> pin);

  bool enabled() const { return capacity_per_shard_ != 0; }
  std::size_t bytes() const;
  std::size_t entries() const;
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 16;
  // Node, hash-table slot, string headers and allocator rounding, roughly.
  static constexpr std::size_t kEntryOverhead = 160;

  struct Entry {
    std::string key;
    std::string document;
    std::string body;
    std::shared_ptr<const void> pin;
  };
  using Recency = std::list<Entry>;  // most recently used first

  struct Shard {
    mutable std::mutex mutex;
    Recency recency;
    std::unordered_map<std::string_view, Recency::iterator> entries;  // views into recency
    std::size_t bytes = 0;
  };

  Shard& shard_of(std::string_view key);
  static std::size_t charge(const Entry& entry);
  static void erase(Shard& shard, Recency::iterator entry);

  const std::size_t capacity_per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace citytwin::http
