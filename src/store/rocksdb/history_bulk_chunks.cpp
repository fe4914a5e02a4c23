#include "history_bulk_chunks.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "chunk_pieces.hpp"
#include "history_codec.hpp"
#include "key_codec.hpp"
#include "status_mapping.hpp"

namespace citytwin::store::kv {
namespace {

using InstanceName = std::pair<std::string_view, std::string_view>;  // attribute, dataset

// Indices of each instance's samples in one change, in the change's order.
std::map<InstanceName, std::vector<std::size_t>> samples_by_instance(const Change& change) {
  std::map<InstanceName, std::vector<std::size_t>> instances;
  std::vector<std::size_t>* last = nullptr;  // an import's samples come instance by instance
  for (std::size_t i = 0; i < change.history.size(); ++i) {
    const HistorySample& sample = change.history[i];
    if (last == nullptr || sample.attribute != change.history[last->back()].attribute ||
        sample.dataset_id != change.history[last->back()].dataset_id) {
      last = &instances[{sample.attribute, sample.dataset_id}];
    }
    last->push_back(i);
  }
  return instances;
}

bool packable(const Change& change, const std::vector<std::size_t>& indices,
              std::size_t chunk_samples) {
  if (indices.size() < bulk_min_samples(chunk_samples)) return false;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const HistorySample& sample = change.history[indices[k]];
    if (sample.sequence != 0) return false;
    if (k > 0 && sample.modified_at <= change.history[indices[k - 1]].modified_at) return false;
  }
  return true;
}

bool may_pack(const Change& change) {
  return change.erase_history.empty() && !change.history.empty();
}

// How many changes of the write touch each instance (entity, attribute, dataset): an instance
// written by two changes of one write is left raw, so a packed chunk is newer than every
// other sample of its instance in the write too.
using InstanceOfEntity = std::tuple<std::string_view, std::string_view, std::string_view>;
std::map<InstanceOfEntity, int> changes_per_instance(std::span<const Change> changes) {
  std::map<InstanceOfEntity, int> counts;
  for (const Change& change : changes) {
    std::map<InstanceOfEntity, bool> seen;
    const HistorySample* previous = nullptr;
    for (const HistorySample& sample : change.history) {
      if (previous == nullptr || sample.attribute != previous->attribute ||
          sample.dataset_id != previous->dataset_id) {
        seen[{change.id, sample.attribute, sample.dataset_id}] = true;
      }
      previous = &sample;
    }
    for (const auto& [instance, unused] : seen) ++counts[instance];
  }
  return counts;
}

bool only_in_one_change(const std::map<InstanceOfEntity, int>& counts, const Change& change,
                        const InstanceName& name) {
  auto found = counts.find({change.id, name.first, name.second});
  return found != counts.end() && found->second == 1;
}

std::string_view view(const rocksdb::Slice& slice) {
  return {slice.data(), slice.size()};
}

// The newest modified_at the instance holds in the database, raw or chunked.
Result<std::optional<std::int64_t>> newest_held(const HistoryFamilies& families,
                                                std::string_view instance_prefix) {
  std::string end = prefix_successor(instance_prefix);
  std::optional<std::int64_t> newest;
  for (rocksdb::ColumnFamilyHandle* family : {families.raw, families.chunks}) {
    std::unique_ptr<rocksdb::Iterator> it(families.db->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekForPrev(end);
    CT_RETURN_IF_ERROR(to_status(it->status(), "reading history"));
    if (!it->Valid() || !view(it->key()).starts_with(instance_prefix)) continue;
    auto point = decode_history_point(view(it->key()), instance_prefix.size());
    if (!point) return make_error(ErrorKind::kInternalError, "storage: malformed history key");
    std::int64_t last = point->modified_at;
    if (family == families.chunks) {
      auto summary = peek_history_chunk(view(it->value()));
      if (!summary.ok()) return std::move(summary).error();
      last = summary->max_modified_at;
    }
    newest = std::max(newest.value_or(last), last);
  }
  return newest;
}

std::string instance_prefix_of(std::string_view tenant, std::string_view entity,
                               const HistorySample& sample) {
  std::string prefix = history_entity_prefix(tenant, entity);
  append_history_attribute(prefix, sample.attribute);
  append_history_dataset(prefix, sample.dataset_id);
  return prefix;
}

// Packs all of one instance's samples (indices into change.history, in order) into chunks of
// at most chunk_samples each, cut at UTC days (chunk_pieces.hpp). Leaving the remainder raw
// would make the next compaction pass rewrite every chunk between two such remainders (it
// rewrites the chunks reaching into the span of the raw rows it packs).
Status pack_instance(const Change& change, const std::vector<std::size_t>& indices,
                     std::string instance_prefix, std::size_t chunk_samples,
                     std::vector<bool>& packed, std::vector<BulkChunk>& chunks) {
  std::vector<std::optional<std::int64_t>> observed;
  observed.reserve(indices.size());
  for (std::size_t index : indices) observed.push_back(change.history[index].observed_at);
  std::vector<HistorySample> piece;
  std::size_t begin = 0;
  for (std::size_t end : chunk_piece_ends(observed, chunk_samples)) {
    // An import's samples of one instance are usually adjacent in the change: encoded where
    // they are, not copied (every sample's strings); otherwise gathered.
    std::span<const HistorySample> samples;
    if (indices[end - 1] - indices[begin] == end - 1 - begin) {
      samples = std::span<const HistorySample>(change.history).subspan(indices[begin], end - begin);
    } else {
      piece.clear();
      for (std::size_t k = begin; k < end; ++k) piece.push_back(change.history[indices[k]]);
      samples = piece;
    }
    auto prepared = prepare_history_chunk(samples);
    if (!prepared.ok()) return std::move(prepared).error();
    chunks.push_back(
        BulkChunk{instance_prefix, samples.front().modified_at, std::move(prepared).value()});
    for (std::size_t k = begin; k < end; ++k) packed[indices[k]] = true;
    begin = end;
  }
  return ok_status();
}

}  // namespace

bool has_bulk_candidates(std::span<const Change> changes, std::size_t chunk_samples) {
  if (chunk_samples == 0) return false;
  std::optional<std::map<InstanceOfEntity, int>> counts;
  for (const Change& change : changes) {
    if (!may_pack(change) || change.history.size() < bulk_min_samples(chunk_samples)) continue;
    for (const auto& [name, indices] : samples_by_instance(change)) {
      if (!packable(change, indices, chunk_samples)) continue;
      if (!counts) counts = changes_per_instance(changes);
      if (only_in_one_change(*counts, change, name)) return true;
    }
  }
  return false;
}

Result<BulkChunkPlan> plan_bulk_chunks(const HistoryFamilies& families, std::string_view tenant,
                                       std::span<const Change> changes, std::size_t chunk_samples) {
  BulkChunkPlan plan;
  if (chunk_samples == 0) return plan;
  plan.packed.resize(changes.size());
  const auto counts = changes_per_instance(changes);
  for (std::size_t c = 0; c < changes.size(); ++c) {
    const Change& change = changes[c];
    if (!may_pack(change) || change.history.size() < bulk_min_samples(chunk_samples)) continue;
    for (const auto& [name, indices] : samples_by_instance(change)) {
      if (!packable(change, indices, chunk_samples)) continue;
      if (!only_in_one_change(counts, change, name)) continue;
      const HistorySample& first = change.history[indices.front()];
      std::string prefix = instance_prefix_of(tenant, change.id, first);
      auto newest = newest_held(families, prefix);
      if (!newest.ok()) return std::move(newest).error();
      if (*newest && **newest >= first.modified_at) continue;  // would overlap: stays raw
      if (plan.packed[c].empty()) plan.packed[c].assign(change.history.size(), false);
      CT_RETURN_IF_ERROR(pack_instance(change, indices, std::move(prefix), chunk_samples,
                                       plan.packed[c], plan.chunks));
    }
  }
  return plan;
}

Status fill_bulk_chunks(const HistoryFamilies& families, const BulkChunkPlan& plan,
                        std::uint64_t sequence, rocksdb::WriteBatch& batch) {
  for (const BulkChunk& chunk : plan.chunks) {
    std::string key = history_sample_key(chunk.instance_prefix, chunk.first_modified_at, sequence);
    CT_RETURN_IF_ERROR(
        put_chunk(families, key, finish_history_chunk(chunk.prepared, sequence), batch));
  }
  return ok_status();
}

}  // namespace citytwin::store::kv
