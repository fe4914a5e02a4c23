#include "entity_read_cache.hpp"

#include <functional>

namespace citytwin::store::kv {

EntityReadCache::EntityReadCache(std::size_t capacity_bytes)
    : capacity_per_shard_(capacity_bytes / kShards) {}

EntityReadCache::Shard& EntityReadCache::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::size_t EntityReadCache::charge(const Entry& entry) {
  return entry.key.size() + entry.value.size() + kEntryOverhead;
}

EntityReadCache::Lookup EntityReadCache::find(std::string_view key) {
  Lookup lookup;
  if (!enabled()) return lookup;
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(key);
  if (found == shard.entries.end()) {
    lookup.ticket = shard.generation;
    misses_.fetch_add(1, std::memory_order_relaxed);
    return lookup;
  }
  shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
  lookup.value = found->second->value;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return lookup;
}

// begin_write() counts a write as begun and in flight before it touches a shard, and
// end_write() leaves the flight count only after its shard work: a write that overlaps the
// bracket either was in flight at since() or has begun after it.
EntityReadCache::Epoch EntityReadCache::since() const {
  Epoch epoch;
  epoch.idle = writes_in_flight_.load() == 0;
  epoch.writes_begun = writes_begun_.load();
  return epoch;
}

bool EntityReadCache::quiet(const Epoch& epoch) const {
  return epoch.idle && writes_begun_.load() == epoch.writes_begun;
}

std::uint64_t EntityReadCache::ticket(std::string_view key) {
  if (!enabled()) return 0;
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  return shard.generation;
}

void EntityReadCache::fill(std::string_view key, std::string_view value, std::uint64_t ticket) {
  if (!enabled()) return;
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  // A write ended since the lookup (`value` may predate it) or is under way (`value` may
  // be older than what another reader already saw in the database).
  if (shard.generation != ticket || shard.writing.contains(std::string(key))) return;
  erase(shard, key);  // a concurrent reader filled it first; the same durable value
  insert(shard, key, value);
}

void EntityReadCache::insert(Shard& shard, std::string_view key, std::string_view value) {
  Entry entry{std::string(key), std::string(value)};
  const std::size_t size = charge(entry);
  if (size > capacity_per_shard_) return;
  evict_to(shard, capacity_per_shard_ - size);
  shard.recency.push_front(std::move(entry));
  shard.entries.emplace(shard.recency.front().key, shard.recency.begin());
  shard.bytes += size;
}

void EntityReadCache::begin_write(std::string_view key) {
  if (!enabled()) return;
  Shard& shard = shard_of(key);
  writes_in_flight_.fetch_add(1);
  writes_begun_.fetch_add(1);
  std::lock_guard lock(shard.mutex);
  ++shard.writing[std::string(key)];
  erase(shard, key);
}

void EntityReadCache::end_write(std::string_view key, std::optional<std::string_view> written) {
  if (!enabled()) return;
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  ++shard.generation;
  erase(shard, key);
  bool last = true;  // no other write of the key under way
  auto writing = shard.writing.find(std::string(key));
  if (writing != shard.writing.end()) {
    last = --writing->second <= 0;
    if (last) shard.writing.erase(writing);
  }
  // Another write still under way may already be in the database: only the last one knows
  // what it holds.
  if (last && written) insert(shard, key, *written);
  writes_in_flight_.fetch_sub(1);
}

std::size_t EntityReadCache::bytes() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

void EntityReadCache::evict_to(Shard& shard, std::size_t limit) {
  while (shard.bytes > limit && !shard.recency.empty())
    erase(shard, std::prev(shard.recency.end()));
}

void EntityReadCache::erase(Shard& shard, std::string_view key) {
  if (auto found = shard.entries.find(key); found != shard.entries.end()) {
    erase(shard, found->second);
  }
}

void EntityReadCache::erase(Shard& shard, Recency::iterator entry) {
  shard.bytes -= charge(*entry);
  shard.entries.erase(std::string_view(entry->key));
  shard.recency.erase(entry);
}

}  // namespace citytwin::store::kv
