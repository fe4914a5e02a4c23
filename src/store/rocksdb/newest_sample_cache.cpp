#include "newest_sample_cache.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

namespace citytwin::store::kv {
namespace {

constexpr std::array<NewestOrder, 2> kOrders{NewestOrder::kObservedAt, NewestOrder::kModifiedAt};

std::int64_t instant_in(NewestOrder order, const HistorySample& sample) {
  if (order == NewestOrder::kObservedAt && sample.observed_at) return *sample.observed_at;
  return sample.modified_at;
}

// The write's plan for one entity while its changes are read.
struct EntityPlan {
  NewestUpdate update;
  // (attribute, datasetId, modifiedAt) of every sample the write appends: a second one
  // replaces the first in the database.
  std::map<std::tuple<std::string, std::string, std::int64_t>, bool> identities;
};

NewestUpdate::Candidate* candidate_of(NewestUpdate& update, std::string_view attribute,
                                      NewestOrder order) {
  for (NewestUpdate::Candidate& candidate : update.candidates) {
    if (candidate.attribute == attribute && candidate.order == order) return &candidate;
  }
  return nullptr;
}

void add_sample(EntityPlan& plan, const HistorySample& sample) {
  auto identity = std::make_tuple(sample.attribute, sample.dataset_id, sample.modified_at);
  const bool repeated = !plan.identities.emplace(std::move(identity), true).second;
  for (NewestOrder order : kOrders) {
    NewestUpdate::Candidate* held = candidate_of(plan.update, sample.attribute, order);
    if (repeated) {
      // Which of the two the database keeps decides the answer: forget the attribute.
      if (held == nullptr) {
        plan.update.candidates.push_back({sample.attribute, order, sample, true});
      } else {
        held->ambiguous = true;
      }
      continue;
    }
    if (!candidate_in(order, sample)) continue;
    if (held == nullptr) {
      plan.update.candidates.push_back({sample.attribute, order, sample, false});
    } else if (!held->ambiguous && newer_in(order, sample, held->sample)) {
      held->sample = sample;
    }
  }
}

}  // namespace

bool candidate_in(NewestOrder, const HistorySample& sample) {
  return !sample.deleted;
}

bool newer_in(NewestOrder order, const HistorySample& sample, const HistorySample& than) {
  const std::int64_t a = instant_in(order, sample);
  const std::int64_t b = instant_in(order, than);
  if (a != b) return a > b;
  if (sample.dataset_id != than.dataset_id) return sample.dataset_id > than.dataset_id;
  if (sample.modified_at != than.modified_at) return sample.modified_at > than.modified_at;
  return sample.sequence > than.sequence;
}

NewestSampleCache::NewestSampleCache(std::size_t capacity_bytes)
    : capacity_per_shard_(capacity_bytes / kShards) {}

std::string NewestSampleCache::entity_key(std::string_view tenant, std::string_view id) {
  std::string key = std::to_string(tenant.size());
  key.push_back(':');
  key.append(tenant);
  key.append(id);
  return key;
}

std::vector<NewestUpdate> NewestSampleCache::plan(std::string_view tenant,
                                                  std::span<const Change> changes) {
  std::vector<NewestUpdate> updates;
  if (!enabled()) return updates;
  std::map<std::string, EntityPlan, std::less<>> plans;
  for (const Change& change : changes) {
    if (change.history.empty() && change.erase_history.empty()) continue;
    std::string key = entity_key(tenant, change.id);
    auto [found, added] = plans.try_emplace(key);
    EntityPlan& plan = found->second;
    if (added) {
      plan.update.entity_key = std::move(key);
      plan.update.invalidate = !holds(plan.update.entity_key);
    }
    if (!change.erase_history.empty()) plan.update.invalidate = true;
    if (plan.update.invalidate) continue;
    for (const HistorySample& sample : change.history) {
      if (sample.sequence != 0) {
        plan.update.invalidate = true;  // an edit of a recorded sample
        break;
      }
      add_sample(plan, sample);
    }
  }
  updates.reserve(plans.size());
  for (auto& [key, plan] : plans) {
    if (plan.update.invalidate) plan.update.candidates.clear();
    updates.push_back(std::move(plan.update));
  }
  return updates;
}

bool NewestSampleCache::holds(std::string_view entity_key) {
  Shard& shard = shard_of(entity_key);
  std::lock_guard lock(shard.mutex);
  return shard.entities.contains(entity_key);
}

NewestSampleCache::Shard& NewestSampleCache::shard_of(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::size_t NewestSampleCache::charge(const Slot& slot) {
  std::size_t bytes = slot.attribute.size() + kEntryOverhead;
  if (slot.newest) {
    bytes += slot.newest->attribute.size() + slot.newest->dataset_id.size() +
             slot.newest->instance.size();
  }
  return bytes;
}

NewestLookup NewestSampleCache::find(std::string_view entity_key, std::string_view attribute,
                                     NewestOrder order) {
  NewestLookup lookup;
  if (!enabled()) return lookup;
  Shard& shard = shard_of(entity_key);
  std::lock_guard lock(shard.mutex);
  lookup.ticket = shard.generation;
  auto found = shard.entities.find(entity_key);
  if (found != shard.entities.end()) {
    for (const Slot& slot : found->second->slots) {
      if (slot.attribute != attribute || slot.order != order) continue;
      shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
      lookup.newest = slot.newest;
      hits_.fetch_add(1, std::memory_order_relaxed);
      return lookup;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return lookup;
}

void NewestSampleCache::fill(std::string_view entity_key, std::string_view attribute,
                             NewestOrder order, const std::optional<HistorySample>& newest,
                             std::uint64_t ticket) {
  if (!enabled()) return;
  Shard& shard = shard_of(entity_key);
  std::lock_guard lock(shard.mutex);
  // A write of the shard ended since the lookup: `newest` may predate it.
  if (shard.generation != ticket) return;
  auto found = shard.entities.find(entity_key);
  if (found == shard.entities.end()) {
    shard.recency.push_front(Entity{std::string(entity_key), {}, 0});
    found = shard.entities.emplace(shard.recency.front().key, shard.recency.begin()).first;
  } else {
    shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
  }
  Entity& entity = *found->second;
  auto slot = std::find_if(entity.slots.begin(), entity.slots.end(), [&](const Slot& held) {
    return held.attribute == attribute && held.order == order;
  });
  if (slot == entity.slots.end()) {
    entity.slots.push_back(Slot{std::string(attribute), order, newest});
  } else {
    slot->newest = newest;  // a concurrent reader filled it first: the same sample
  }
  resize(shard, entity);
  if (entity.bytes > capacity_per_shard_) {
    erase(shard, found->second);
    return;
  }
  // The entity just used is at the front: evicting from the back spares it.
  evict_to(shard, capacity_per_shard_);
}

void NewestSampleCache::apply(const NewestUpdate& update, std::uint64_t sequence) {
  if (!enabled()) return;
  Shard& shard = shard_of(update.entity_key);
  std::lock_guard lock(shard.mutex);
  ++shard.generation;
  auto found = shard.entities.find(update.entity_key);
  if (found == shard.entities.end()) return;
  Entity& entity = *found->second;
  if (update.invalidate) {
    erase(shard, found->second);
    return;
  }
  for (const NewestUpdate::Candidate& candidate : update.candidates) {
    auto slot = std::find_if(entity.slots.begin(), entity.slots.end(), [&](const Slot& held) {
      return held.attribute == candidate.attribute && held.order == candidate.order;
    });
    if (slot == entity.slots.end()) continue;  // not cached: the next reader walks
    if (candidate.ambiguous) {
      entity.slots.erase(slot);
      continue;
    }
    HistorySample sample = candidate.sample;
    sample.sequence = sequence;
    if (!slot->newest || newer_in(candidate.order, sample, *slot->newest)) {
      slot->newest = std::move(sample);
    }
  }
  if (entity.slots.empty()) {
    erase(shard, found->second);
    return;
  }
  resize(shard, entity);
  evict_to(shard, capacity_per_shard_);
}

void NewestSampleCache::resize(Shard& shard, Entity& entity) {
  std::size_t bytes = entity.key.size();
  for (const Slot& slot : entity.slots) bytes += charge(slot);
  shard.bytes = shard.bytes - entity.bytes + bytes;
  entity.bytes = bytes;
}

void NewestSampleCache::evict_to(Shard& shard, std::size_t limit) {
  while (shard.bytes > limit && !shard.recency.empty()) {
    erase(shard, std::prev(shard.recency.end()));
  }
}

void NewestSampleCache::erase(Shard& shard, Recency::iterator entity) {
  shard.bytes -= entity->bytes;
  shard.entities.erase(entity->key);
  shard.recency.erase(entity);
}

std::size_t NewestSampleCache::bytes() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

}  // namespace citytwin::store::kv
