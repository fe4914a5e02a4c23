#include "history_chunk_store.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <memory>

#include <rocksdb/snapshot.h>

#include "chunk_pieces.hpp"
#include "citytwin/series/chunk.hpp"
#include "history_chunk_codec.hpp"
#include "history_chunk_span.hpp"
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
                                              std::string_view entity_prefix,
                                              std::string_view prefix) {
  // Iterators shared by several walks (a reader's) may stand past this walk's prefix: they
  // are exhausted for it.
  const bool raw_in = in_instance(raw, prefix);
  const bool chunks_in = in_instance(chunks, prefix);
  if (!raw_in && !chunks_in) return std::optional<InstanceAt>();
  std::string_view raw_key = raw_in ? view(raw.key()) : std::string_view();
  std::string_view chunk_key = chunks_in ? view(chunks.key()) : std::string_view();
  std::string_view key = !raw_in                             ? chunk_key
                         : !chunks_in || raw_key < chunk_key ? raw_key
                                                             : chunk_key;
  auto suffix = decode_history_suffix(key.substr(entity_prefix.size()));
  if (!suffix) return corruption("history key");
  InstanceAt at;
  at.prefix = std::string(key.substr(0, entity_prefix.size() + suffix->instance_prefix_size));
  at.names.attribute = std::move(suffix->attribute);
  at.names.dataset_id = std::move(suffix->dataset_id);
  return std::optional<InstanceAt>(std::move(at));
}

// Samples [begin, end) of a decoded chunk, in key order, waiting to be handed over.
struct ChunkRun {
  std::shared_ptr<const DecodedHistoryChunk> chunk;
  std::size_t begin = 0;
  std::size_t end = 0;
  HistoryPoint point(std::size_t index) const {
    return HistoryPoint{chunk->modified_at(index), chunk->sequence(index)};
  }
  HistoryPoint front() const { return point(begin); }
  // The first index of the run whose sample is not before `limit`.
  std::size_t first_not_before(const HistoryPoint& limit) const {
    std::size_t low = begin;
    std::size_t high = end;
    while (low < high) {
      std::size_t middle = low + (high - low) / 2;
      if (point(middle) < limit) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
};

// Where a walk's samples go: whole samples to a HistoryVisitor, or columns to a
// HistoryColumnsBuilder. Each call returns false once the reader wants no more.
class InstanceSink {
 public:
  virtual ~InstanceSink() = default;
  // A raw row, decoded (attribute and dataset_id filled).
  virtual Result<bool> raw(HistorySample sample) = 0;
  // The run's samples, of the instance named by `names`.
  virtual Result<bool> chunked(const ChunkRun& run, const HistorySample& names) = 0;
  // Where a chunk the filter asks observedAt and values of (ChunkUse::kObservedDecimals) is
  // read, to be handed over so (decimals()): one buffer for the walk's chunks. nullptr: the
  // sink takes no such chunks, they are decoded whole.
  virtual series::Time2Decimals* decimals_buffer() { return nullptr; }
  virtual Result<bool> decimals(const ObservedDecimals& /*chunk*/) { return true; }
};

class SampleSink final : public InstanceSink {
 public:
  explicit SampleSink(const HistoryVisitor& visit) : visit_(visit) {}
  Result<bool> raw(HistorySample sample) override { return visit_(sample); }
  Result<bool> chunked(const ChunkRun& run, const HistorySample& names) override {
    for (std::size_t index = run.begin; index < run.end; ++index) {
      auto sample = run.chunk->sample(index);
      if (!sample.ok()) return std::move(sample).error();
      sample->attribute = names.attribute;
      sample->dataset_id = names.dataset_id;
      if (!visit_(*sample)) return false;
    }
    return true;
  }

 private:
  const HistoryVisitor& visit_;
};

class ColumnsSink final : public InstanceSink {
 public:
  ColumnsSink(HistoryColumnsBuilder& builder, const ObservedDecimalsVisitor& decimals)
      : builder_(builder), decimals_(decimals) {}
  series::Time2Decimals* decimals_buffer() override { return decimals_ ? &buffer_ : nullptr; }
  Result<bool> decimals(const ObservedDecimals& chunk) override { return decimals_(chunk); }
  Result<bool> raw(HistorySample sample) override { return builder_.add_sample(std::move(sample)); }
  Result<bool> chunked(const ChunkRun& run, const HistorySample& names) override {
    return builder_.add_entries(
        names.attribute, names.dataset_id,
        SourceEntries{run.chunk, &run.chunk->columns(), run.chunk->sequences(),
                      run.chunk->deleted_bitmap(), run.begin, run.end});
  }

 private:
  HistoryColumnsBuilder& builder_;
  const ObservedDecimalsVisitor& decimals_;
  series::Time2Decimals buffer_;
};

// Adds a chunk's run to the pending ones. Chunks never overlap, so pending is normally
// empty here and the run is kept whole; overlapping chunks (never written by this store) are
// still merged correctly, sample by sample.
void add_run(std::deque<ChunkRun>& pending, ChunkRun run) {
  if (pending.empty()) {
    pending.push_back(std::move(run));
    return;
  }
  std::vector<ChunkRun> singles;
  for (const ChunkRun& from : pending) {
    for (std::size_t i = from.begin; i < from.end; ++i) singles.push_back({from.chunk, i, i + 1});
  }
  const std::size_t middle = singles.size();
  for (std::size_t i = run.begin; i < run.end; ++i) singles.push_back({run.chunk, i, i + 1});
  std::inplace_merge(singles.begin(), singles.begin() + static_cast<std::ptrdiff_t>(middle),
                     singles.end(),
                     [](const ChunkRun& a, const ChunkRun& b) { return a.front() < b.front(); });
  pending.assign(singles.begin(), singles.end());
}

// Opens the chunk `bytes` and returns its samples in `range` (an empty run when none).
Result<ChunkRun> open_run(
    std::string_view bytes, const HistoryRange& range,
    DecodedHistoryChunk::Checksum checksum = DecodedHistoryChunk::Checksum::kVerify) {
  auto decoded = DecodedHistoryChunk::open(bytes, checksum);
  if (!decoded.ok()) return std::move(decoded).error();
  ChunkRun run;
  run.chunk = std::make_shared<const DecodedHistoryChunk>(std::move(*decoded));
  const std::vector<std::int64_t>& times = run.chunk->columns().times;  // ascending
  run.begin = static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), range.from) -
                                       times.begin());
  run.end = static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), range.to) -
                                     times.begin());
  return run;
}

// An instance's chunks, stepped through by key: through their spans when the walk reads them
// (a chunk's bytes are then read only when asked for, so the chunks a filter skips from their
// spans are never read), else through the chunk family itself.
class ChunkCursor {
 public:
  ChunkCursor(rocksdb::Iterator& chunks, rocksdb::Iterator* spans)
      : chunks_(chunks), keys_(spans != nullptr ? *spans : chunks), spans_(spans != nullptr) {}

  bool has_spans() const { return spans_; }
  rocksdb::Iterator& keys() { return keys_; }
  bool in_instance(std::string_view instance_prefix) const {
    return kv::in_instance(keys_, instance_prefix);
  }
  std::string_view key() const { return view(keys_.key()); }
  std::string_view span() const { return view(keys_.value()); }  // with spans only
  void next() { keys_.Next(); }
  void seek(std::string_view key) { keys_.Seek(rocksdb::Slice(key.data(), key.size())); }
  void seek_for_prev(std::string_view key) {
    keys_.SeekForPrev(rocksdb::Slice(key.data(), key.size()));
  }

  // The bytes of the chunk under `key`, valid until the cursor moves: the current chunk's,
  // or with spans also one the cursor has passed since.
  Result<std::string_view> value_of(std::string_view key) {
    // Without spans the cursor steps through the chunks themselves: only the current one.
    if (spans_ && (!chunks_.Valid() || view(chunks_.key()) != key)) {
      // The next chunk is usually the one asked for: a step is cheaper than a seek.
      if (chunks_.Valid() && view(chunks_.key()) < key) chunks_.Next();
      if (!chunks_.Valid() || view(chunks_.key()) != key) {
        chunks_.Seek(rocksdb::Slice(key.data(), key.size()));
      }
    }
    CT_RETURN_IF_ERROR(to_status(chunks_.status(), "reading history chunks"));
    if (!chunks_.Valid() || view(chunks_.key()) != key) {
      return corruption("history chunk span without its chunk");
    }
    return view(chunks_.value());
  }
  Result<std::string_view> value() { return value_of(key()); }

  Status status() const {
    CT_RETURN_IF_ERROR(to_status(chunks_.status(), "reading history chunks"));
    return to_status(keys_.status(), "reading history chunk spans");
  }

 private:
  rocksdb::Iterator& chunks_;
  rocksdb::Iterator& keys_;
  bool spans_ = false;
};

// Whether the next chunk of the instance after the cursor's (moved past it first) starts at
// or after range.to: then the one passed was the last in range.
Result<bool> last_in_range(ChunkCursor& chunks, std::string_view instance_prefix,
                           const HistoryRange& range) {
  chunks.next();
  if (!chunks.in_instance(instance_prefix)) return true;
  auto later = decode_history_point(chunks.key(), instance_prefix.size());
  if (!later) return corruption("history chunk key");
  return later->modified_at >= range.to;
}

// Reads one instance's samples in `range` from both iterators, which start at or before the
// instance's first key, handing them to `sink` in key order. Chunks are decoded lazily: one
// is opened only once the next sample to emit could come after its first sample, so a
// reader that stops early decodes few chunks. Both iterators start at range.from (the chunk
// iterator at the chunk holding it); a chunk that still ends before it is skipped from its
// header. Runs of chunk samples between two raw rows go to the sink together.
// With a filter, a chunk wholly in `range` whose key span holds no raw row (none could
// shadow one of its samples) is offered to it from its statistics before being decoded:
// first from its span alone when the walk has spans (the filter skips most chunks so, and
// their bytes are never read), then from the chunk's own statistics.
Status read_instance(rocksdb::Iterator& raw, ChunkCursor& chunks, std::string_view instance_prefix,
                     const HistorySample& names, const HistoryRange& range,
                     const HistoryChunkFilter& filter, InstanceSink& sink, bool& stopped) {
  if (range.from != std::numeric_limits<std::int64_t>::min()) {
    std::string from = history_sample_key(instance_prefix, range.from, 0);
    if (in_instance(raw, instance_prefix)) raw.Seek(from);
    if (chunks.in_instance(instance_prefix)) {
      // Chunks never overlap, so every chunk before the last one starting at or before
      // range.from ends before it: start there instead of walking the instance's chunks.
      chunks.seek_for_prev(from);
      if (!chunks.in_instance(instance_prefix)) chunks.seek(instance_prefix);
    }
  }
  std::deque<ChunkRun> pending;  // decoded chunk samples in range, in key order
  bool chunks_left = true;
  std::string offered_key;    // an offered chunk's key, kept while the cursor looks ahead
  std::string offered_bytes;  // its value, when the cursor's look ahead would lose it
  // Whether the chunk with `stats` is offered to the filter: wholly in range, and no raw row
  // in its key span (one could shadow a sample of it).
  auto offered = [&](const std::optional<HistoryPoint>& raw_point, const HistoryChunkStats& stats) {
    return stats.min_modified_at >= range.from && stats.max_modified_at < range.to &&
           (!raw_point || raw_point->modified_at > stats.max_modified_at);
  };
  // Offers a chunk to the filter with its own statistics (`bytes`' checksum verified by the
  // peek that read them) and decodes it unless the filter skips it.
  auto offer_chunk = [&](std::string_view bytes, HistoryChunkStats& stats, bool last) -> Status {
    stats.attribute = names.attribute;
    stats.dataset_id = names.dataset_id;
    stats.last_in_range = last;
    const ChunkUse use = filter(stats);
    if (use == ChunkUse::kSkip) return ok_status();
    series::Time2Decimals* buffer = sink.decimals_buffer();
    if (use == ChunkUse::kObservedDecimals && buffer != nullptr) {
      auto read = read_observed_decimals(bytes, *buffer);
      if (!read.ok()) return std::move(read).error();
      if (*read) {
        const series::Time2Decimals& columns = *buffer;
        auto more = sink.decimals(ObservedDecimals{
            names.attribute, names.dataset_id,
            HistoryRange{stats.min_modified_at, stats.max_modified_at + 1}, last, columns,
            [&](std::size_t index) { return rebuild_observed_decimal(bytes, columns, index); },
            [&](std::size_t index) { return kept_observed_decimal(bytes, index); }});
        if (!more.ok()) return std::move(more).error();
        stopped = !*more;
        return ok_status();
      }
    }
    auto run = open_run(bytes, range, DecodedHistoryChunk::Checksum::kVerified);
    if (!run.ok()) return std::move(run).error();
    if (run->begin < run->end) add_run(pending, std::move(*run));
    return ok_status();
  };
  for (;;) {
    if (stopped) return ok_status();
    std::optional<HistoryPoint> raw_point;
    if (in_instance(raw, instance_prefix)) {
      raw_point = decode_history_point(view(raw.key()), instance_prefix.size());
      if (!raw_point) return corruption("history key");
      if (raw_point->modified_at >= range.to) raw_point.reset();
    }
    std::optional<HistoryPoint> next = raw_point;
    if (!pending.empty() && (!next || pending.front().front() < *next)) {
      next = pending.front().front();
    }
    std::optional<HistoryPoint> next_chunk;  // the first sample of the next unopened chunk
    if (chunks_left && chunks.in_instance(instance_prefix)) {
      auto first = decode_history_point(chunks.key(), instance_prefix.size());
      if (!first) return corruption("history chunk key");
      if (first->modified_at >= range.to) {
        chunks_left = false;  // chunks sort by their first sample: the rest are later still
      } else if (!next || *first <= *next) {
        if (filter && chunks.has_spans()) {
          auto span = decode_chunk_span(chunks.span(), first->modified_at);
          if (!span.ok()) return std::move(span).error();
          if (*span && offered(raw_point, **span)) {
            HistoryChunkStats& coarse = **span;
            coarse.attribute = names.attribute;
            coarse.dataset_id = names.dataset_id;
            offered_key.assign(chunks.key());
            auto last = last_in_range(chunks, instance_prefix, range);
            if (!last.ok()) return std::move(last).error();
            coarse.last_in_range = *last;
            if (filter(coarse) == ChunkUse::kSkip) continue;
            // Not skipped from the span alone: offered again with the chunk's statistics.
            auto bytes = chunks.value_of(offered_key);
            if (!bytes.ok()) return std::move(bytes).error();
            auto summary = peek_history_chunk(*bytes, ChunkPeek::kStatistics);
            if (!summary.ok()) return std::move(summary).error();
            if (!summary->stats) return corruption("history chunk span of a chunk without one");
            CT_RETURN_IF_ERROR(offer_chunk(*bytes, *summary->stats, *last));
            continue;
          }
        }
        auto bytes = chunks.value();
        if (!bytes.ok()) return std::move(bytes).error();
        auto summary =
            peek_history_chunk(*bytes, filter ? ChunkPeek::kStatistics : ChunkPeek::kHeader);
        if (!summary.ok()) return std::move(summary).error();
        if (filter && summary->stats && offered(raw_point, *summary->stats)) {
          offered_bytes.assign(*bytes);  // the look ahead moves off the chunk
          auto last = last_in_range(chunks, instance_prefix, range);
          if (!last.ok()) return std::move(last).error();
          CT_RETURN_IF_ERROR(offer_chunk(offered_bytes, *summary->stats, *last));
          continue;
        }
        if (summary->max_modified_at >= range.from) {
          auto run = open_run(*bytes, range);
          if (!run.ok()) return std::move(run).error();
          if (run->begin < run->end) add_run(pending, std::move(*run));
        }
        chunks.next();
        continue;
      } else {
        next_chunk = *first;
      }
    } else {
      chunks_left = false;
    }
    if (!next) return ok_status();
    Result<bool> more = true;
    if (raw_point && *raw_point == *next) {
      // A raw row wins over a chunk sample with the same key: it is the newer write.
      if (!pending.empty() && pending.front().front() == *raw_point) {
        if (++pending.front().begin == pending.front().end) pending.pop_front();
      }
      HistorySample sample;
      sample.attribute = names.attribute;
      sample.dataset_id = names.dataset_id;
      sample.modified_at = raw_point->modified_at;
      sample.sequence = raw_point->sequence;
      if (!decode_history_value(view(raw.value()), sample)) return corruption("history value");
      more = sink.raw(std::move(sample));
      raw.Next();
    } else {
      // Every sample of the front run before the next raw row and the next unopened chunk.
      ChunkRun& run = pending.front();
      std::optional<HistoryPoint> limit = raw_point;
      if (next_chunk && (!limit || *next_chunk < *limit)) limit = next_chunk;
      ChunkRun part = run;
      if (limit) part.end = run.first_not_before(*limit);
      more = sink.chunked(part, names);
      run.begin = part.end;
      if (run.begin == run.end) pending.pop_front();
    }
    if (!more.ok()) return std::move(more).error();
    stopped = !*more;
  }
}

// Walks every instance under `prefix` with the iterators given (of one snapshot, positioned
// anywhere), handing each one's samples to `sink`. `spans`: the chunk spans, for a filter.
Status walk_instances(rocksdb::Iterator& raw, rocksdb::Iterator& chunk_values,
                      rocksdb::Iterator* spans, std::string_view entity_prefix,
                      std::string_view prefix, const HistoryRange& range,
                      const HistoryChunkFilter& filter, InstanceSink& sink) {
  ChunkCursor chunks(chunk_values, spans);
  raw.Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  chunks.seek(prefix);
  bool stopped = false;
  while (!stopped) {
    auto at = instance_at(raw, chunks.keys(), entity_prefix, prefix);
    if (!at.ok()) return std::move(at).error();
    if (!*at) break;
    const std::string& instance = (*at)->prefix;
    CT_RETURN_IF_ERROR(
        read_instance(raw, chunks, instance, (*at)->names, range, filter, sink, stopped));
    std::string next = prefix_successor(instance);
    if (in_instance(raw, instance)) raw.Seek(next);
    if (chunks.in_instance(instance)) chunks.seek(next);
  }
  CT_RETURN_IF_ERROR(to_status(raw.status(), "reading history"));
  return chunks.status();
}

// walk_instances() with iterators of its own, bounded by the prefix.
Status walk_history(const HistoryFamilies& families, std::string_view entity_prefix,
                    std::string_view prefix, const HistoryRange& range,
                    const HistoryChunkFilter& filter, InstanceSink& sink) {
  if (range.from >= range.to) return ok_status();
  rocksdb::ManagedSnapshot snapshot(families.db);
  std::string end = prefix_successor(prefix);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  read.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> raw(families.db->NewIterator(read, families.raw));
  std::unique_ptr<rocksdb::Iterator> chunks(families.db->NewIterator(read, families.chunks));
  // Spans only serve a filter: without one every chunk in range is decoded anyway.
  std::unique_ptr<rocksdb::Iterator> spans;
  if (filter && families.spans != nullptr) {
    spans.reset(families.db->NewIterator(read, families.spans));
  }
  return walk_instances(*raw, *chunks, spans.get(), entity_prefix, prefix, range, filter, sink);
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
  return walk_history(families, entity_prefix, prefix, range, nullptr, sink);
}

Status visit_history_columns(const HistoryFamilies& families, std::string_view entity_prefix,
                             std::string_view prefix, const HistoryRange& range,
                             const HistoryWalkVisitors& visitors) {
  HistoryColumnsBuilder builder(visitors.columns);
  ColumnsSink sink(builder, visitors.decimals);
  CT_RETURN_IF_ERROR(walk_history(families, entity_prefix, prefix, range, visitors.filter, sink));
  builder.flush();
  return ok_status();
}

HistoryWalkIterators::HistoryWalkIterators(const HistoryFamilies& families, std::string upper_bound)
    : families_(families),
      snapshot_(families.db),
      upper_bound_(std::move(upper_bound)),
      upper_bound_slice_(upper_bound_) {
  read_.snapshot = snapshot_.snapshot();
  read_.iterate_upper_bound = &upper_bound_slice_;
}

rocksdb::Iterator& HistoryWalkIterators::make(std::unique_ptr<rocksdb::Iterator>& slot,
                                              rocksdb::ColumnFamilyHandle* family) {
  if (!slot) slot.reset(families_.db->NewIterator(read_, family));
  return *slot;
}

rocksdb::Iterator& HistoryWalkIterators::raw() {
  return make(raw_, families_.raw);
}
rocksdb::Iterator& HistoryWalkIterators::chunks() {
  return make(chunks_, families_.chunks);
}
rocksdb::Iterator& HistoryWalkIterators::spans() {
  return make(spans_, families_.spans);
}

Status visit_history_columns(HistoryWalkIterators& iterators, std::string_view entity_prefix,
                             std::string_view prefix, const HistoryRange& range,
                             const HistoryWalkVisitors& visitors) {
  if (range.from >= range.to) return ok_status();
  HistoryColumnsBuilder builder(visitors.columns);
  ColumnsSink sink(builder, visitors.decimals);
  const HistoryChunkFilter& filter = visitors.filter;
  rocksdb::Iterator* spans = filter && iterators.has_spans() ? &iterators.spans() : nullptr;
  CT_RETURN_IF_ERROR(walk_instances(iterators.raw(), iterators.chunks(), spans, entity_prefix,
                                    prefix, range, filter, sink));
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
  CT_RETURN_IF_ERROR(delete_chunk(families, chunk.key, batch));
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
    auto at = instance_at(*raw, *chunks, entity_prefix, prefix);
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
  CT_RETURN_IF_ERROR(delete_chunk_range(families, trim.instance_prefix, end, batch));
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
      if (plan.raw_count++ == 0) plan.raw_first.assign(view(it->key()));
      plan.raw_last.assign(view(it->key()));
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
  std::vector<std::optional<std::int64_t>> observed;
  observed.reserve(sources.size());
  for (const Source& source : sources) observed.push_back(source.sample.observed_at);
  std::size_t begin = 0;
  for (std::size_t end : chunk_piece_ends(observed, chunk_samples)) {
    std::vector<HistorySample> piece;
    piece.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) piece.push_back(std::move(sources[i].sample));
    auto bytes = encode_history_chunk(piece);
    if (!bytes.ok()) return std::move(bytes).error();
    std::string key =
        history_sample_key(instance_prefix, piece.front().modified_at, piece.front().sequence);
    plan.chunks.emplace_back(std::move(key), std::move(bytes).value());
    begin = end;
  }
  return std::optional<InstanceCompaction>(std::move(plan));
}

Status fill_compaction(const HistoryFamilies& families, const InstanceCompaction& compaction,
                       rocksdb::WriteBatch& batch) {
  // One range tombstone instead of a point tombstone per row: a reader that later walks the
  // instance skips the packed rows in one step, where point tombstones (until RocksDB's own
  // compaction drops them) cost one skip each and made aggregating a freshly compacted year
  // several times slower. The range holds exactly the rows read into the plan: they are
  // contiguous from the instance's first key, and the entity's lock keeps new rows out
  // (a write's rows are newer than the cutoff anyway).
  if (compaction.raw_count != 0) {
    std::string end = compaction.raw_last;
    end.push_back('\0');  // the smallest key after raw_last
    CT_RETURN_IF_ERROR(to_status(batch.DeleteRange(families.raw, compaction.raw_first, end),
                                 "building the batch"));
  }
  for (const std::string& key : compaction.chunk_keys) {
    CT_RETURN_IF_ERROR(delete_chunk(families, key, batch));
  }
  for (const auto& [key, value] : compaction.chunks) {
    CT_RETURN_IF_ERROR(put_chunk(families, key, value, batch));
  }
  return ok_status();
}

Status put_chunk(const HistoryFamilies& families, std::string_view key, std::string_view value,
                 rocksdb::WriteBatch& batch) {
  auto span = encode_chunk_span(value);
  if (!span.ok()) return std::move(span).error();
  CT_RETURN_IF_ERROR(to_status(batch.Put(families.chunks, key, value), "building the batch"));
  return to_status(batch.Put(families.spans, key, *span), "building the batch");
}

Status delete_chunk(const HistoryFamilies& families, std::string_view key,
                    rocksdb::WriteBatch& batch) {
  CT_RETURN_IF_ERROR(to_status(batch.Delete(families.chunks, key), "building the batch"));
  return to_status(batch.Delete(families.spans, key), "building the batch");
}

Status delete_chunk_range(const HistoryFamilies& families, std::string_view begin,
                          std::string_view end, rocksdb::WriteBatch& batch) {
  CT_RETURN_IF_ERROR(
      to_status(batch.DeleteRange(families.chunks, begin, end), "building the batch"));
  return to_status(batch.DeleteRange(families.spans, begin, end), "building the batch");
}

namespace {

// Marks the spans family complete: every chunk has its span. No history key is empty.
constexpr std::string_view kSpansCompleteKey = "";
// Spans written per batch while filling them for an older database.
constexpr std::size_t kSpansPerBatch = 4096;

}  // namespace

Status fill_missing_chunk_spans(const HistoryFamilies& families,
                                const rocksdb::WriteOptions& write_options) {
  std::string marker;
  rocksdb::Status found =
      families.db->Get(rocksdb::ReadOptions(), families.spans, kSpansCompleteKey, &marker);
  if (found.ok()) return ok_status();
  if (!found.IsNotFound()) return to_status(found, "reading the chunk span marker");
  // Spans are put again for every chunk (an interrupted fill repeats from the start); the
  // marker goes last, in its own write.
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      families.db->NewIterator(rocksdb::ReadOptions(), families.chunks));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto span = encode_chunk_span(view(it->value()));
    if (!span.ok()) return std::move(span).error();
    CT_RETURN_IF_ERROR(
        to_status(batch.Put(families.spans, it->key(), *span), "building the chunk spans"));
    if (static_cast<std::size_t>(batch.Count()) >= kSpansPerBatch) {
      CT_RETURN_IF_ERROR(
          to_status(families.db->Write(write_options, &batch), "writing chunk spans"));
      batch.Clear();
    }
  }
  CT_RETURN_IF_ERROR(to_status(it->status(), "reading history chunks"));
  CT_RETURN_IF_ERROR(
      to_status(batch.Put(families.spans, kSpansCompleteKey, "1"), "building the chunk spans"));
  return to_status(families.db->Write(write_options, &batch), "writing chunk spans");
}

}  // namespace citytwin::store::kv
