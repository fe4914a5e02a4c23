#include "history_chunk_store.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <memory>

#include <rocksdb/snapshot.h>

#include "citytwin/series/chunk.hpp"
#include "history_chunk_codec.hpp"
#include "history_codec.hpp"
#include "key_codec.hpp"
#include "status_mapping.hpp"

namespace citytwin::store::kv {
namespace {

std::string_view view(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

Error corruption(std::string what) {
  return make_error(ErrorKind::kInternalError, "storage: corrupt " + std::move(what));
}

HistoryPoint point_of(const HistorySample& sample) {
  return HistoryPoint{sample.modified_at, sample.sequence};
}

bool in_instance(const rocksdb::Iterator& it, std::string_view instance_prefix) {
  return it.Valid() && view(it.key()).starts_with(instance_prefix);
}

// The instance under the smaller of the two iterators' current keys: its key prefix and
// names; nullopt when both are exhausted. Components are prefix-free, so instance prefixes
// compare like the keys under them.
struct InstanceAt {
  std::string prefix;
  HistorySample names;  // attribute and dataset_id
};
Result<std::optional<InstanceAt>> instance_at(const rocksdb::Iterator& raw,
                                              const rocksdb::Iterator& chunks,
                                              std::string_view entity_prefix) {
  if (!raw.Valid() && !chunks.Valid()) return std::optional<InstanceAt>();
  std::string_view raw_key = raw.Valid() ? view(raw.key()) : std::string_view();
  std::string_view chunk_key = chunks.Valid() ? view(chunks.key()) : std::string_view();
  std::string_view key = !raw.Valid()                             ? chunk_key
                         : !chunks.Valid() || raw_key < chunk_key ? raw_key
                                                                  : chunk_key;
  auto suffix = decode_history_suffix(key.substr(entity_prefix.size()));
  if (!suffix) return corruption("history key");
  InstanceAt at;
  at.prefix = std::string(key.substr(0, entity_prefix.size() + suffix->instance_prefix_size));
  at.names.attribute = std::move(suffix->attribute);
  at.names.dataset_id = std::move(suffix->dataset_id);
  return std::optional<InstanceAt>(std::move(at));
}

// Where a walk's samples go: whole samples to a HistoryVisitor, or columns to a
// HistoryColumnsBuilder. Each call returns false once the reader wants no more.
class InstanceSink {
 public:
  virtual ~InstanceSink() = default;
  // A raw row, decoded (attribute and dataset_id filled).
  virtual Result<bool> raw(HistorySample sample) = 0;
  // Sample `index` of a decoded chunk of the instance named by `names`.
  virtual Result<bool> chunked(const std::shared_ptr<const DecodedHistoryChunk>& chunk,
                               std::size_t index, const HistorySample& names) = 0;
};

class SampleSink final : public InstanceSink {
 public:
  explicit SampleSink(const HistoryVisitor& visit) : visit_(visit) {}
  Result<bool> raw(HistorySample sample) override { return visit_(sample); }
  Result<bool> chunked(const std::shared_ptr<const DecodedHistoryChunk>& chunk, std::size_t index,
                       const HistorySample& names) override {
    auto sample = chunk->sample(index);
    if (!sample.ok()) return std::move(sample).error();
    sample->attribute = names.attribute;
    sample->dataset_id = names.dataset_id;
    return visit_(*sample);
  }

 private:
  const HistoryVisitor& visit_;
};

class ColumnsSink final : public InstanceSink {
 public:
  explicit ColumnsSink(HistoryColumnsBuilder& builder) : builder_(builder) {}
  Result<bool> raw(HistorySample sample) override { return builder_.add_sample(std::move(sample)); }
  Result<bool> chunked(const std::shared_ptr<const DecodedHistoryChunk>& chunk, std::size_t index,
                       const HistorySample& names) override {
    return builder_.add_entry(names.attribute, names.dataset_id, chunk, chunk->columns(), index,
                              chunk->deleted(index), chunk->sequence(index));
  }

 private:
  HistoryColumnsBuilder& builder_;
};

// A sample of a decoded chunk waiting to be handed over.
struct ChunkSample {
  std::shared_ptr<const DecodedHistoryChunk> chunk;
  std::size_t index = 0;
  HistoryPoint point() const {
    return HistoryPoint{chunk->modified_at(index), chunk->sequence(index)};
  }
};

// Reads one instance's samples in `range` from both iterators, which start at or before the
// instance's first key, handing them to `sink` in key order. Chunks are decoded lazily: one
// is opened only once the next sample to emit could come after its first sample, so a
// reader that stops early decodes few chunks. Both iterators start at range.from (the chunk
// iterator at the chunk holding it); a chunk that still ends before it is skipped from its
// header.
Status read_instance(rocksdb::Iterator& raw, rocksdb::Iterator& chunks,
                     std::string_view instance_prefix, const HistorySample& names,
                     const HistoryRange& range, InstanceSink& sink, bool& stopped) {
  if (range.from != std::numeric_limits<std::int64_t>::min()) {
    std::string from = history_sample_key(instance_prefix, range.from, 0);
    if (in_instance(raw, instance_prefix)) raw.Seek(from);
    if (in_instance(chunks, instance_prefix)) {
      // Chunks never overlap, so every chunk before the last one starting at or before
      // range.from ends before it: start there instead of walking the instance's chunks.
      chunks.SeekForPrev(from);
      if (!in_instance(chunks, instance_prefix)) {
        chunks.Seek(rocksdb::Slice(instance_prefix.data(), instance_prefix.size()));
      }
    }
  }
  std::deque<ChunkSample> pending;  // decoded chunk samples in range, in key order
  bool chunks_left = true;
  for (;;) {
    if (stopped) return ok_status();
    std::optional<HistoryPoint> raw_point;
    if (in_instance(raw, instance_prefix)) {
      raw_point = decode_history_point(view(raw.key()), instance_prefix.size());
      if (!raw_point) return corruption("history key");
      if (raw_point->modified_at >= range.to) raw_point.reset();
    }
    std::optional<HistoryPoint> next = raw_point;
    if (!pending.empty() && (!next || pending.front().point() < *next)) {
      next = pending.front().point();
    }
    if (chunks_left && in_instance(chunks, instance_prefix)) {
      auto first = decode_history_point(view(chunks.key()), instance_prefix.size());
      if (!first) return corruption("history chunk key");
      if (first->modified_at >= range.to) {
        chunks_left = false;  // chunks sort by their first sample: the rest are later still
      } else if (!next || *first <= *next) {
        auto summary = peek_history_chunk(view(chunks.value()));
        if (!summary.ok()) return std::move(summary).error();
        if (summary->max_modified_at >= range.from) {
          auto decoded = DecodedHistoryChunk::open(view(chunks.value()));
          if (!decoded.ok()) return std::move(decoded).error();
          auto chunk = std::make_shared<const DecodedHistoryChunk>(std::move(*decoded));
          std::vector<ChunkSample> kept;
          for (std::size_t i = 0; i < chunk->size(); ++i) {
            std::int64_t at = chunk->modified_at(i);
            if (at >= range.from && at < range.to) kept.push_back({chunk, i});
          }
          std::deque<ChunkSample> merged;
          std::merge(
              std::make_move_iterator(pending.begin()), std::make_move_iterator(pending.end()),
              std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()),
              std::back_inserter(merged),
              [](const ChunkSample& a, const ChunkSample& b) { return a.point() < b.point(); });
          pending = std::move(merged);
        }
        chunks.Next();
        continue;
      }
    } else {
      chunks_left = false;
    }
    if (!next) return ok_status();
    Result<bool> more = true;
    if (raw_point && *raw_point == *next) {
      // A raw row wins over a chunk sample with the same key: it is the newer write.
      if (!pending.empty() && pending.front().point() == *raw_point) pending.pop_front();
      HistorySample sample;
      sample.attribute = names.attribute;
      sample.dataset_id = names.dataset_id;
      sample.modified_at = raw_point->modified_at;
      sample.sequence = raw_point->sequence;
      if (!decode_history_value(view(raw.value()), sample)) return corruption("history value");
      more = sink.raw(std::move(sample));
      raw.Next();
    } else {
      more = sink.chunked(pending.front().chunk, pending.front().index, names);
      pending.pop_front();
    }
    if (!more.ok()) return std::move(more).error();
    stopped = !*more;
  }
}

// Walks every instance under `prefix`, handing each one's samples to `sink`.
Status walk_history(const HistoryFamilies& families, std::string_view entity_prefix,
                    std::string_view prefix, const HistoryRange& range, InstanceSink& sink) {
  if (range.from >= range.to) return ok_status();
  rocksdb::ManagedSnapshot snapshot(families.db);
  std::string end = prefix_successor(prefix);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  read.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> raw(families.db->NewIterator(read, families.raw));
  std::unique_ptr<rocksdb::Iterator> chunks(families.db->NewIterator(read, families.chunks));
  raw->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  chunks->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  bool stopped = false;
  while (!stopped) {
    auto at = instance_at(*raw, *chunks, entity_prefix);
    if (!at.ok()) return std::move(at).error();
    if (!*at) break;
    const std::string& instance = (*at)->prefix;
    CT_RETURN_IF_ERROR(read_instance(*raw, *chunks, instance, (*at)->names, range, sink, stopped));
    std::string next = prefix_successor(instance);
    if (in_instance(*raw, instance)) raw->Seek(next);
    if (in_instance(*chunks, instance)) chunks->Seek(next);
  }
  CT_RETURN_IF_ERROR(to_status(raw->status(), "reading history"));
  return to_status(chunks->status(), "reading history chunks");
}

}  // namespace

Result<std::vector<HistorySample>> read_history(const HistoryFamilies& families,
                                                std::string_view entity_prefix,
                                                std::string_view prefix, const HistoryRange& range,
                                                std::size_t limit) {
  std::vector<HistorySample> samples;
  if (limit == 0) return samples;
  CT_RETURN_IF_ERROR(
      visit_history(families, entity_prefix, prefix, range, [&](const HistorySample& sample) {
        samples.push_back(sample);
        return samples.size() < limit;
      }));
  return samples;
}

Status visit_history(const HistoryFamilies& families, std::string_view entity_prefix,
                     std::string_view prefix, const HistoryRange& range,
                     const HistoryVisitor& visit) {
  SampleSink sink(visit);
  return walk_history(families, entity_prefix, prefix, range, sink);
}

Status visit_history_columns(const HistoryFamilies& families, std::string_view entity_prefix,
                             std::string_view prefix, const HistoryRange& range,
                             const HistoryColumnsVisitor& visit) {
  HistoryColumnsBuilder builder(visit);
  ColumnsSink sink(builder);
  CT_RETURN_IF_ERROR(walk_history(families, entity_prefix, prefix, range, sink));
  builder.flush();
  return ok_status();
}

Result<std::optional<ChunkToExplode>> find_chunk_holding(const HistoryFamilies& families,
                                                         std::string_view instance_prefix,
                                                         std::int64_t modified_at,
                                                         std::uint64_t sequence) {
  std::string target = history_sample_key(instance_prefix, modified_at, sequence);
  std::unique_ptr<rocksdb::Iterator> it(
      families.db->NewIterator(rocksdb::ReadOptions(), families.chunks));
  it->SeekForPrev(target);  // the last chunk starting at or before the sample
  CT_RETURN_IF_ERROR(to_status(it->status(), "reading history chunks"));
  if (!in_instance(*it, instance_prefix)) return std::optional<ChunkToExplode>();
  auto summary = peek_history_chunk(view(it->value()));
  if (!summary.ok()) return std::move(summary).error();
  if (summary->max_modified_at < modified_at) return std::optional<ChunkToExplode>();
  auto samples = decode_history_chunk(view(it->value()), {}, {});
  if (!samples.ok()) return std::move(samples).error();
  HistoryPoint wanted{modified_at, sequence};
  bool holds = std::any_of(samples->begin(), samples->end(),
                           [&](const HistorySample& s) { return point_of(s) == wanted; });
  if (!holds) return std::optional<ChunkToExplode>();
  return std::optional<ChunkToExplode>(
      ChunkToExplode{std::string(view(it->key())), std::move(samples).value()});
}

Status fill_explode(const HistoryFamilies& families, std::string_view instance_prefix,
                    const ChunkToExplode& chunk, rocksdb::WriteBatch& batch) {
  CT_RETURN_IF_ERROR(to_status(batch.Delete(families.chunks, chunk.key), "building the batch"));
  for (const HistorySample& sample : chunk.samples) {
    CT_RETURN_IF_ERROR(to_status(
        batch.Put(families.raw,
                  history_sample_key(instance_prefix, sample.modified_at, sample.sequence),
                  encode_history_value(sample)),
        "building the batch"));
  }
  return ok_status();
}

namespace {

// The straddling chunk of an instance: the last one starting before the cutoff, when it
// reaches past it.
Result<std::optional<ChunkToExplode>> straddling_chunk(rocksdb::Iterator& chunks,
                                                       std::string_view instance_prefix,
                                                       std::int64_t cutoff) {
  chunks.SeekForPrev(history_sample_key(instance_prefix, cutoff, 0));
  if (!in_instance(chunks, instance_prefix)) return std::optional<ChunkToExplode>();
  auto summary = peek_history_chunk(view(chunks.value()));
  if (!summary.ok()) return std::move(summary).error();
  if (summary->max_modified_at < cutoff) return std::optional<ChunkToExplode>();
  auto samples = decode_history_chunk(view(chunks.value()), {}, {});
  if (!samples.ok()) return std::move(samples).error();
  std::erase_if(*samples, [cutoff](const HistorySample& s) { return s.modified_at < cutoff; });
  return std::optional<ChunkToExplode>(
      ChunkToExplode{std::string(view(chunks.key())), std::move(samples).value()});
}

// Whether the instance's first raw row or first chunk is older than the cutoff.
bool starts_before(rocksdb::Iterator& it, std::string_view instance_prefix, std::int64_t cutoff) {
  it.Seek(rocksdb::Slice(instance_prefix.data(), instance_prefix.size()));
  if (!in_instance(it, instance_prefix)) return false;
  auto point = decode_history_point(view(it.key()), instance_prefix.size());
  return point && point->modified_at < cutoff;
}

}  // namespace

Result<std::vector<InstanceTrim>> plan_trims(const HistoryFamilies& families,
                                             std::string_view entity_prefix,
                                             std::string_view prefix, std::int64_t cutoff) {
  std::vector<InstanceTrim> trims;
  std::string end = prefix_successor(prefix);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read;
  read.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> raw(families.db->NewIterator(read, families.raw));
  std::unique_ptr<rocksdb::Iterator> chunks(families.db->NewIterator(read, families.chunks));
  // Instances are found in both families, jumping from one instance to the next.
  std::string next(prefix);
  for (;;) {
    raw->Seek(next);
    chunks->Seek(next);
    auto at = instance_at(*raw, *chunks, entity_prefix);
    if (!at.ok()) return std::move(at).error();
    if (!*at) break;
    std::string instance = std::move((*at)->prefix);
    next = prefix_successor(instance);
    if (!starts_before(*raw, instance, cutoff) && !starts_before(*chunks, instance, cutoff)) {
      continue;
    }
    auto straddling = straddling_chunk(*chunks, instance, cutoff);
    if (!straddling.ok()) return std::move(straddling).error();
    trims.push_back(InstanceTrim{std::move(instance), std::move(*straddling)});
  }
  CT_RETURN_IF_ERROR(to_status(raw->status(), "reading history"));
  CT_RETURN_IF_ERROR(to_status(chunks->status(), "reading history chunks"));
  return trims;
}

Status fill_trim(const HistoryFamilies& families, const InstanceTrim& trim, std::int64_t cutoff,
                 rocksdb::WriteBatch& batch) {
  std::string end = history_sample_key(trim.instance_prefix, cutoff, 0);
  CT_RETURN_IF_ERROR(
      to_status(batch.DeleteRange(families.raw, trim.instance_prefix, end), "building the batch"));
  CT_RETURN_IF_ERROR(to_status(batch.DeleteRange(families.chunks, trim.instance_prefix, end),
                               "building the batch"));
  // The straddling chunk's key is before the cutoff, so the range took it: its newer
  // samples come back as raw rows.
  if (trim.straddling) {
    CT_RETURN_IF_ERROR(fill_explode(families, trim.instance_prefix, *trim.straddling, batch));
  }
  return ok_status();
}

Result<std::optional<InstanceCompaction>> plan_instance_compaction(
    const HistoryFamilies& families, std::string_view instance_prefix, std::int64_t cutoff,
    std::size_t min_samples, std::size_t chunk_samples, std::size_t max_raw_samples) {
  chunk_samples = std::clamp<std::size_t>(chunk_samples, 1, series::kMaxChunkSamples);
  InstanceCompaction plan;
  struct Source {
    HistorySample sample;
    bool raw = false;
  };
  std::vector<Source> sources;
  {
    std::string upper = history_sample_key(instance_prefix, cutoff, 0);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(families.db->NewIterator(read, families.raw));
    for (it->Seek(rocksdb::Slice(instance_prefix.data(), instance_prefix.size())); it->Valid();
         it->Next()) {
      if (sources.size() >= std::max<std::size_t>(max_raw_samples, 1)) {
        plan.more = true;
        break;
      }
      auto point = decode_history_point(view(it->key()), instance_prefix.size());
      if (!point) return corruption("history key");
      Source source;
      source.raw = true;
      source.sample.modified_at = point->modified_at;
      source.sample.sequence = point->sequence;
      if (!decode_history_value(view(it->value()), source.sample)) {
        return corruption("history value");
      }
      plan.raw_keys.emplace_back(view(it->key()));
      sources.push_back(std::move(source));
    }
    CT_RETURN_IF_ERROR(to_status(it->status(), "reading history"));
  }
  if (sources.size() < std::max<std::size_t>(min_samples, 1)) {
    return std::optional<InstanceCompaction>();
  }
  std::int64_t first_raw = sources.front().sample.modified_at;
  {
    std::string upper = prefix_successor(instance_prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(families.db->NewIterator(read, families.chunks));
    std::optional<std::pair<std::string, std::string>> last_older;  // key, value
    auto take = [&](std::string_view key, std::string_view value) -> Status {
      auto samples = decode_history_chunk(value, {}, {});
      if (!samples.ok()) return std::move(samples).error();
      for (HistorySample& sample : *samples) sources.push_back(Source{std::move(sample), false});
      plan.chunk_keys.emplace_back(key);
      return ok_status();
    };
    for (it->Seek(rocksdb::Slice(instance_prefix.data(), instance_prefix.size())); it->Valid();
         it->Next()) {
      auto summary = peek_history_chunk(view(it->value()));
      if (!summary.ok()) return std::move(summary).error();
      if (summary->max_modified_at < first_raw) {
        // Older than every raw sample: kept, unless it is the last such and not full.
        last_older.reset();
        if (summary->count < chunk_samples) {
          last_older.emplace(std::string(view(it->key())), std::string(view(it->value())));
        }
        continue;
      }
      CT_RETURN_IF_ERROR(take(view(it->key()), view(it->value())));
    }
    CT_RETURN_IF_ERROR(to_status(it->status(), "reading history chunks"));
    if (last_older) CT_RETURN_IF_ERROR(take(last_older->first, last_older->second));
  }
  // Key order; on equal keys the raw row first, and only it survives (the newer write).
  std::stable_sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) {
    if (point_of(a.sample) != point_of(b.sample)) return point_of(a.sample) < point_of(b.sample);
    return a.raw && !b.raw;
  });
  sources.erase(std::unique(sources.begin(), sources.end(),
                            [](const Source& a, const Source& b) {
                              return point_of(a.sample) == point_of(b.sample);
                            }),
                sources.end());
  for (std::size_t begin = 0; begin < sources.size(); begin += chunk_samples) {
    std::size_t end = std::min(sources.size(), begin + chunk_samples);
    std::vector<HistorySample> piece;
    piece.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) piece.push_back(std::move(sources[i].sample));
    auto bytes = encode_history_chunk(piece);
    if (!bytes.ok()) return std::move(bytes).error();
    std::string key =
        history_sample_key(instance_prefix, piece.front().modified_at, piece.front().sequence);
    plan.chunks.emplace_back(std::move(key), std::move(bytes).value());
  }
  return std::optional<InstanceCompaction>(std::move(plan));
}

Status fill_compaction(const HistoryFamilies& families, const InstanceCompaction& compaction,
                       rocksdb::WriteBatch& batch) {
  for (const std::string& key : compaction.raw_keys) {
    CT_RETURN_IF_ERROR(to_status(batch.Delete(families.raw, key), "building the batch"));
  }
  for (const std::string& key : compaction.chunk_keys) {
    CT_RETURN_IF_ERROR(to_status(batch.Delete(families.chunks, key), "building the batch"));
  }
  for (const auto& [key, value] : compaction.chunks) {
    CT_RETURN_IF_ERROR(to_status(batch.Put(families.chunks, key, value), "building the batch"));
  }
  return ok_status();
}

}  // namespace citytwin::store::kv
