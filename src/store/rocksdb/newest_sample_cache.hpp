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

#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history.hpp"

namespace citytwin::store::kv {

// What one write does to the newest samples of the attributes it touches (the store's part
// of NewestSampleCache::apply): the candidates it appends, and whether it also edits or
// erases history, after which the newest sample can only be found again by a walk.
struct NewestUpdate {
  std::string entity_key;  // NewestSampleCache::entity_key(tenant, id)
  // Drop the entity's entries: the write erases or overwrites samples of the entity, or the
  // cache held nothing of it when the write was planned (a reader may fill an entry before
  // the write ends, from a database without it).
  bool invalidate = false;
  // Per attribute and order, the newest sample the write appends (sequence 0: the write's
  // sequence number, known only once it is queued). Several appends with one identity
  // (datasetId, modifiedAt) in one write keep only the last in the database; the attribute
  // is then forgotten (`ambiguous`) rather than guessed.
  struct Candidate {
    std::string attribute;
    NewestOrder order = NewestOrder::kObservedAt;
    HistorySample sample;
    bool ambiguous = false;
  };
  std::vector<Candidate> candidates;
};

// The newest sample of each recently read (entity, attribute), in both orders lastN=1 uses
// (observedAt, else modifiedAt; and modifiedAt), in front of the history walk that finds it
// (docs/storage.md, "Newest-sample cache"). The walk peeks at every chunk's statistics and
// decodes the newest chunk: tens of µs per sensor; a hit here is one hash probe.
//
// Consistency, as EntityReadCache: a reader that missed fills its entry only if no write of
// the entity's shard ended between its miss (taken before it read the database) and its
// fill. Every write's apply() runs after its batch is in the database and before it is
// acknowledged: appends raise the entries they beat, anything else (erasures, overwrites of
// samples, retention) drops the entity's entries. So an acknowledged write is always seen.
// Bounded by `capacity_bytes`, least recently used entities evicted per shard; 0 disables it.
class NewestSampleCache {
 public:
  explicit NewestSampleCache(std::size_t capacity_bytes);
  NewestSampleCache(const NewestSampleCache&) = delete;
  NewestSampleCache& operator=(const NewestSampleCache&) = delete;

  static std::string entity_key(std::string_view tenant, std::string_view id);

  // The updates of one write's changes, planned before it is queued: only entities the
  // cache holds get their appended candidates worked out.
  std::vector<NewestUpdate> plan(std::string_view tenant, std::span<const Change> changes);
  NewestLookup find(std::string_view entity_key, std::string_view attribute, NewestOrder order);
  void fill(std::string_view entity_key, std::string_view attribute, NewestOrder order,
            const std::optional<HistorySample>& newest, std::uint64_t ticket);
  // After the write's batch is in the database; `sequence` numbers its new samples.
  void apply(const NewestUpdate& update, std::uint64_t sequence);

  bool enabled() const { return capacity_per_shard_ != 0; }
  std::size_t bytes() const;
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 32;
  static constexpr std::size_t kEntryOverhead = 128;

  struct Slot {
    std::string attribute;
    NewestOrder order = NewestOrder::kObservedAt;
    std::optional<HistorySample> newest;  // none: no sample this order can select
  };
  struct Entity {
    std::string key;
    std::vector<Slot> slots;
    std::size_t bytes = 0;
  };
  using Recency = std::list<Entity>;  // most recently used first

  struct Shard {
    mutable std::mutex mutex;
    Recency recency;
    std::unordered_map<std::string_view, Recency::iterator> entities;  // views into recency
    std::size_t bytes = 0;
    std::uint64_t generation = 0;  // bumped by every write of this shard
  };

  Shard& shard_of(std::string_view key);
  bool holds(std::string_view entity_key);
  static std::size_t charge(const Slot& slot);
  void evict_to(Shard& shard, std::size_t limit);
  void erase(Shard& shard, Recency::iterator entity);
  void resize(Shard& shard, Entity& entity);

  const std::size_t capacity_per_shard_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

// Whether `sample` is newer than `than` in `order`, as lastN=1 decides (instant, then
// datasetId, modifiedAt and sequence; deletions are never candidates).
bool newer_in(NewestOrder order, const HistorySample& sample, const HistorySample& than);
bool candidate_in(NewestOrder order, const HistorySample& sample);

}  // namespace citytwin::store::kv
