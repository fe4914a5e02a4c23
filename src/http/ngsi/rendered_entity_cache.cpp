#include "citytwin/http/rendered_entity_cache.hpp"

#include <functional>

namespace citytwin::http {

RenderedEntityCache::RenderedEntityCache(std::size_t capacity_bytes)
    : capacity_per_shard_(capacity_bytes / kShards) {}

RenderedEntityCache::Shard& RenderedEntityCache::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::size_t RenderedEntityCache::charge(const Entry& entry) {
  return entry.key.size() + entry.document.size() + entry.body.size() + kEntryOverhead;
}

void RenderedEntityCache::erase(Shard& shard, Recency::iterator entry) {
  shard.bytes -= charge(*entry);
  shard.entries.erase(entry->key);
  shard.recency.erase(entry);
}

std::optional<std::string> RenderedEntityCache::find(std::string_view key,
                                                     std::string_view document) {
  if (!enabled()) return std::nullopt;
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(key);
  if (found == shard.entries.end() || found->second->document != document) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return found->second->body;
}

void RenderedEntityCache::store(std::string key, std::string document, std::string body,
                                std::shared_ptr<const void> pin) {
  Entry entry{std::move(key), std::move(document), std::move(body), std::move(pin)};
  const std::size_t cost = charge(entry);
  if (!enabled() || cost > capacity_per_shard_) return;
  Shard& shard = shard_of(entry.key);
  std::lock_guard lock(shard.mutex);
  if (auto found = shard.entries.find(entry.key); found != shard.entries.end()) {
    erase(shard, found->second);
  }
  while (!shard.recency.empty() && shard.bytes + cost > capacity_per_shard_) {
    erase(shard, std::prev(shard.recency.end()));
  }
  shard.recency.push_front(std::move(entry));
  shard.entries.emplace(shard.recency.front().key, shard.recency.begin());
  shard.bytes += cost;
}

std::size_t RenderedEntityCache::bytes() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

std::size_t RenderedEntityCache::entries() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace citytwin::http
