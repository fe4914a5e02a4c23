#include "temporal_newest.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "citytwin/store/history_chunk_stats.hpp"
#include "history_capture.hpp"
#include "temporal_selection.hpp"

namespace citytwin::core {
namespace {

using TimeProperty = TemporalQuery::TimeProperty;

// A chunk left undecoded by the first walk.
struct PendingChunk {
  std::string attribute;
  std::string dataset_id;
  std::int64_t newest = 0;       // no selected sample of it is newer
  store::HistoryRange modified;  // its modifiedAt span
};

bool wanted(std::string_view attribute, const TemporalQuery& query) {
  if (attribute == kTypeHistory) return false;
  return query.attrs.empty() || query.attrs.contains(attribute);
}

// Hands over the batch's selected samples not older than what the visitor already keeps.
class Handover {
 public:
  Handover(const TemporalQuery& query, const SampleVisitor& visit, const NewestKept& newest_kept)
      : query_(query), visit_(visit), newest_kept_(newest_kept) {}

  bool batch(const store::HistoryColumns& batch) {
    if (!wanted(batch.attribute, query_)) return true;
    // A sample older than the batch's own n-th newest cannot be among the newest n: only
    // the others are rebuilt as instances. Each selected instant is computed once.
    const std::size_t n = *query_.last_n;
    selected_.clear();
    if (n == 1) {
      // lastN=1 (the usual "latest value"): only the samples at the batch's newest instant.
      for (std::size_t i = 0; i < batch.size(); ++i) {
        auto time = selected_time(batch, i, query_);
        if (!time) continue;
        if (!selected_.empty() && *time < selected_.front().first) continue;
        if (!selected_.empty() && *time > selected_.front().first) selected_.clear();
        selected_.push_back({*time, i});
      }
    } else {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (auto time = selected_time(batch, i, query_)) selected_.push_back({*time, i});
      }
    }
    std::optional<std::int64_t> batch_floor;
    if (n != 0 && selected_.size() >= n) batch_floor = nth_newest(n);
    for (const auto& [time, index] : selected_) {
      if (batch_floor && time < *batch_floor) continue;
      auto floor = newest_kept_(batch.attribute);
      if (floor && time < *floor) continue;
      auto sample = batch.sample(index);
      if (!sample.ok()) {
        failure_ = std::move(sample).error();
        return false;
      }
      if (!visit_(*sample)) {
        stopped_ = true;
        return false;
      }
    }
    return true;
  }
  const Status& failure() const { return failure_; }
  bool stopped() const { return stopped_ || !failure_.ok(); }

 private:
  const TemporalQuery& query_;
  const SampleVisitor& visit_;
  const NewestKept& newest_kept_;
  Status failure_;
  bool stopped_ = false;
  // The n-th newest of the batch's selected instants (n <= their count).
  std::int64_t nth_newest(std::size_t n) {
    if (n == 1) {
      std::int64_t newest = selected_.front().first;
      for (const auto& entry : selected_) newest = std::max(newest, entry.first);
      return newest;
    }
    times_.clear();
    for (const auto& entry : selected_) times_.push_back(entry.first);
    auto nth = times_.end() - static_cast<std::ptrdiff_t>(n);
    std::nth_element(times_.begin(), nth, times_.end());
    return *nth;
  }

  std::vector<std::pair<std::int64_t, std::size_t>> selected_;  // instant, batch index
  std::vector<std::int64_t> times_;
};

// Whether a chunk noted before `chunk`, of the same instance, may hold an instant newer than
// `newest` (the walk goes instance by instance, so those are at the end of `pending`).
bool newer_pending(const std::vector<PendingChunk>& pending, const store::HistoryChunkStats& chunk,
                   std::int64_t newest) {
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    if (it->attribute != chunk.attribute || it->dataset_id != chunk.dataset_id) break;
    if (it->newest > newest) return true;
  }
  return false;
}

}  // namespace

bool selects_newest_first(const TemporalQuery& query) {
  return query.last_n && (query.property == TimeProperty::kObservedAt ||
                          query.property == TimeProperty::kModifiedAt);
}

Status visit_newest_candidates(const store::EntityStore& store, std::string_view tenant,
                               std::string_view id, std::string_view attribute,
                               const TemporalQuery& query, const SampleVisitor& visit,
                               const NewestKept& newest_kept) {
  Handover handover(query, visit, newest_kept);
  auto batch = [&](const store::HistoryColumns& columns) { return handover.batch(columns); };
  std::vector<PendingChunk> pending;
  auto note = [&](const store::HistoryChunkStats& chunk) {
    if (!wanted(chunk.attribute, query) || selects_none(chunk, query)) {
      return store::ChunkUse::kSkip;
    }
    // An instance's newest chunk by modifiedAt usually holds its newest instants (data
    // arrives in order): when no earlier chunk of the instance can hold a newer one, it is
    // decoded now, and the floor it sets lets the earlier chunks go undecoded without a
    // second walk. (When an earlier chunk might be newer, e.g. it holds an instance without
    // observedAt, ordered by its later modifiedAt, the chunks are decoded newest first below.)
    const std::int64_t newest = newest_possible(chunk, query);
    if (chunk.last_in_range && !newer_pending(pending, chunk, newest)) {
      return store::ChunkUse::kDecode;
    }
    pending.push_back({std::string(chunk.attribute),
                       std::string(chunk.dataset_id),
                       newest,
                       {chunk.min_modified_at, chunk.max_modified_at + 1}});
    return store::ChunkUse::kSkip;
  };
  const store::HistoryRange range = history_range(query);
  CT_RETURN_IF_ERROR(
      store::visit_history_summarized(store, tenant, id, attribute, range, batch, note));
  CT_RETURN_IF_ERROR(handover.failure());
  if (handover.stopped()) return ok_status();
  // Newest first within each attribute (attributes in any order: they are kept apart).
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) {
    return a.attribute != b.attribute ? a.attribute < b.attribute : a.newest > b.newest;
  });
  for (const PendingChunk& chunk : pending) {
    auto floor = newest_kept(chunk.attribute);
    // Equal instants may still win (ties go to the later sample in store order).
    if (floor && chunk.newest < *floor) continue;
    // The chunk's span, this instance only; raw rows in it come again (the visitor ignores
    // those it holds), and a chunk a concurrent compaction rewrote is still covered.
    auto only_instance = [&](const store::HistoryChunkStats& other) {
      return other.dataset_id == chunk.dataset_id ? store::ChunkUse::kDecode
                                                  : store::ChunkUse::kSkip;
    };
    store::HistoryRange span{std::max(range.from, chunk.modified.from),
                             std::min(range.to, chunk.modified.to)};
    CT_RETURN_IF_ERROR(store::visit_history_summarized(store, tenant, id, chunk.attribute, span,
                                                       batch, only_instance));
    CT_RETURN_IF_ERROR(handover.failure());
    if (handover.stopped()) break;
  }
  return ok_status();
}

}  // namespace citytwin::core
