#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace citytwin::store::kv {

// The durable documents of recently read entities, by entity key, in front of RocksDB's
// point lookups (docs/storage.md, "Entity read cache"). A lookup that RocksDB answers from a
// large memtable walks a skip list of every recent write (about 4 µs, 12 % of a GET by id's
// CPU); a hit here is one hash probe.
//
// Consistency: reads through the cache are as fresh as reads of the database, and as
// monotonic. A writer calls begin_write() for each key before its batch is queued and
// end_write() once the batch is in the database. In between, the key has no entry and none
// can be filled, so readers go to the database. A reader that missed fills the entry only if
// no write ended in the key's shard between its miss (taken before it read the database) and
// its fill, so a value read before a write can never land after that write. Only successful
// reads of existing entities are cached. A write that ends with no other write of its key under
// way may leave the value it wrote: the database holds exactly that value then.
//
// Several keys at once: a batch writes several entities atomically, and a reader must see
// all of its documents or none (EntityStore::multi_get). So a reader of several keys mixes
// cached documents with documents read from the database only when no entity write began or
// ended during the whole read (quiet()); otherwise it reads them all from one snapshot.
//
// Bounded by `capacity_bytes` (keys, values and a fixed per-entry overhead); least recently
// used entries are evicted per shard. Capacity 0 disables the cache.
class EntityReadCache {
 public:
  explicit EntityReadCache(std::size_t capacity_bytes);
  EntityReadCache(const EntityReadCache&) = delete;
  EntityReadCache& operator=(const EntityReadCache&) = delete;

  // What a lookup found: the value on a hit; on a miss, the ticket to hand to fill().
  struct Lookup {
    std::optional<std::string> value;
    std::uint64_t ticket = 0;
  };

  Lookup find(std::string_view key);
  // Brackets a read of several keys: quiet(since()) is true when no entity write was under
  // way at since() or has begun since.
  struct Epoch {
    std::uint64_t writes_begun = 0;
    bool idle = false;
  };
  Epoch since() const;
  bool quiet(const Epoch& epoch) const;
  // The ticket for a database read of `key` that no lookup preceded.
  std::uint64_t ticket(std::string_view key);
  // Caches `value` as the durable document of `key` unless a write touched its shard since
  // the lookup that gave `ticket`.
  void fill(std::string_view key, std::string_view value, std::uint64_t ticket);
  // A write of `key` (put or delete) is on its way to the database / is in it now. Every
  // begin_write() needs its end_write(); a key whose write never ends is simply not cached.
  // `written`: the value a put wrote. It is cached at once (write-through) when no other write
  // of the key is still under way, so a key that is written again and again (PATCH of a
  // sensor's value) is read from here, not from the memtable, by the next read-modify-write.
  void begin_write(std::string_view key);
  void end_write(std::string_view key, std::optional<std::string_view> written = std::nullopt);

  bool enabled() const { return capacity_per_shard_ != 0; }
  std::size_t bytes() const;
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 32;
  // Node, hash-table slot and allocator rounding, roughly: entries are charged this on top of
  // their key and value so that many small entities cannot exceed the budget.
  static constexpr std::size_t kEntryOverhead = 96;

  struct Entry {
    std::string key;
    std::string value;
  };
  using Recency = std::list<Entry>;  // most recently used first

  struct Shard {
    mutable std::mutex mutex;
    Recency recency;
    std::unordered_map<std::string_view, Recency::iterator> entries;  // views into recency
    std::unordered_map<std::string, int> writing;  // keys with writes not in the database yet
    std::size_t bytes = 0;
    std::uint64_t generation = 0;  // bumped by every write of this shard that ends
  };

  Shard& shard_of(std::string_view key);
  static std::size_t charge(const Entry& entry);
  void evict_to(Shard& shard, std::size_t limit);
  void erase(Shard& shard, Recency::iterator entry);
  void erase(Shard& shard, std::string_view key);
  void insert(Shard& shard, std::string_view key, std::string_view value);

  const std::size_t capacity_per_shard_;
  std::array<Shard, kShards> shards_;
  // Over all shards: writes begun, and writes begun but not ended (for quiet()).
  std::atomic<std::uint64_t> writes_begun_{0};
  std::atomic<std::int64_t> writes_in_flight_{0};
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace citytwin::store::kv
