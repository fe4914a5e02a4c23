#include "citytwin/core/history_rollups.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <tuple>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "history_capture.hpp"
#include "rollup_rows.hpp"
#include "temporal_aggregate.hpp"
#include "temporal_column_aggregation.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;

// Rows: tenant␟entity␟day␟attribute␟datasetId -> RollupDay. The day (hex, sortable) comes
// before the attribute so that one range read gives every attribute of a query's days.
constexpr std::string_view kRows = "rollup-rows";
// Dirty markers: tenant␟entity␟unique -> what changed (written with the raw change).
constexpr std::string_view kDirty = "rollup-dirty";
// Built entities: tenant␟entity -> resolution their rows were fully built at.
constexpr std::string_view kBuilt = "rollup-built";
constexpr char kSep = '\x1f';
constexpr char kAfterSep = '\x20';

// tenant␟id: the entity's key in the rollup-built namespace and in the server's memory.
std::string entity_key(std::string_view tenant, std::string_view id) {
  std::string key(tenant);
  key += kSep;
  key.append(id);
  return key;
}

std::string entity_prefix(std::string_view tenant, std::string_view id) {
  return entity_key(tenant, id) + kSep;
}

// The value of an entity's rollup-built document: the resolution its rows were built at.
std::string resolution_tag(RollupResolution resolution) {
  return std::string(1, static_cast<char>('0' + static_cast<int>(resolution)));
}

// The prefix's end: every key with the prefix sorts before it.
std::string prefix_end(std::string prefix) {
  prefix.back() = kAfterSep;
  return prefix;
}

std::string day_hex(std::int64_t day) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(static_cast<std::uint64_t>(day) ^ (1ULL << 63)));
  return text;
}

std::string row_key(std::string_view prefix, std::int64_t day, std::string_view attribute,
                    std::string_view dataset) {
  std::string key(prefix);
  key += day_hex(day);
  key += kSep;
  key.append(attribute);
  key += kSep;
  key.append(dataset);
  return key;
}

// What identifies one day document of an entity.
struct DayKey {
  std::int64_t day = 0;
  std::string attribute;
  std::string dataset;
  auto operator<=>(const DayKey&) const = default;
};

std::optional<DayKey> parse_row_key(std::string_view key, std::size_t prefix_size) {
  key.remove_prefix(prefix_size);
  if (key.size() < 18 || key[16] != kSep) return std::nullopt;
  unsigned long long biased = 0;
  if (std::sscanf(std::string(key.substr(0, 16)).c_str(), "%16llx", &biased) != 1) {
    return std::nullopt;
  }
  key.remove_prefix(17);
  auto sep = key.find(kSep);
  if (sep == std::string_view::npos) return std::nullopt;
  return DayKey{static_cast<std::int64_t>(static_cast<std::uint64_t>(biased) ^ (1ULL << 63)),
                std::string(key.substr(0, sep)), std::string(key.substr(sep + 1))};
}

// A dirty marker: the instance-day a write changed, or a scope whose rollups are rebuilt
// from raw history alone (its archive dropped).
enum class MarkKind : std::uint8_t { kDay = 0, kPurge = 1 };
struct Mark {
  MarkKind kind = MarkKind::kDay;
  std::string attribute;               // kPurge: "" for every attribute
  std::int64_t day = 0;                // kDay
  std::optional<std::string> dataset;  // kPurge: only this instance of the attribute
};

std::string encode_mark(const Mark& mark) {
  std::string out;
  series::append_u8(out, static_cast<std::uint8_t>(mark.kind));
  series::append_section(out, mark.attribute);
  series::append_u64(out, static_cast<std::uint64_t>(mark.day));
  if (mark.dataset) series::append_section(out, *mark.dataset);
  return out;
}

std::optional<Mark> decode_mark(std::string_view bytes) {
  series::ByteReader in(bytes);
  std::uint8_t kind = 0;
  std::string_view attribute;
  std::uint64_t day = 0;
  if (!in.read_u8(kind) || kind > 1 || !in.read_section(attribute) || !in.read_u64(day)) {
    return std::nullopt;
  }
  Mark mark{static_cast<MarkKind>(kind), std::string(attribute), static_cast<std::int64_t>(day),
            std::nullopt};
  std::string_view dataset;
  if (in.remaining() != 0) {
    if (!in.read_section(dataset) || in.remaining() != 0) return std::nullopt;
    mark.dataset = std::string(dataset);
  }
  return mark;
}

RollupResolution resolution_of(const RollupRule& rule) {
  return rule.hourly ? RollupResolution::kHour : RollupResolution::kDay;
}

bool aligned(std::int64_t time, std::int64_t unit) {
  return ((time % unit) + unit) % unit == 0;
}

std::vector<std::string> type_names(const json::value& types) {
  std::vector<std::string> names;
  if (types.is_string()) names.emplace_back(types.get_string());
  if (const auto* list = types.if_array()) {
    for (const auto& type : *list) {
      if (type.is_string()) names.emplace_back(type.get_string());
    }
  }
  return names;
}

using RowsByDay = std::map<DayKey, std::vector<RollupRow>>;

// Summarizes the selected samples (non-deleted, with observedAt: those an aggregation by
// observedAt over a range selects) of the entity's history in `range` (modifiedAt) whose
// attribute and day `wanted` accepts, per attribute instance and day.
Result<RowsByDay> summarize(const store::EntityStore& store, std::string_view tenant,
                            std::string_view id, std::string_view attribute,
                            const store::HistoryRange& range, RollupResolution resolution,
                            const std::function<bool(std::string_view, std::int64_t)>& wanted) {
  std::map<DayKey, RowSet> sets;
  Status failure;
  auto visit = [&](const store::HistoryColumns& batch) {
    if (batch.attribute == kTypeHistory) return true;
    const auto& values = batch.values;
    // Rows whose newest sample is in this batch: their type is read once, after the batch.
    std::map<RollupRow*, std::size_t> newest;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch.deleted[i] != 0 || i >= values.time2_present.size() ||
          values.time2_present[i] == 0) {
        continue;
      }
      std::int64_t time = values.times2[i];
      std::int64_t day = day_start(time);
      if (!wanted(batch.attribute, day)) continue;
      auto [slot, added] =
          sets.try_emplace(DayKey{day, batch.attribute, batch.dataset_id}, resolution);
      RollupRow& row = slot->second.at_time(time);
      bool newer = row.empty() || time >= row.newest;
      if (values.kinds[i] == series::ValueKind::kNumber && !std::isnan(values.numbers[i])) {
        row.numbers.add(values.numbers[i]);
      } else {
        ++row.others;
      }
      if (newer) {
        row.newest = time;
        newest[&row] = i;
      }
    }
    for (const auto& [row, index] : newest) {
      auto sample = batch.sample(index);
      if (!sample.ok()) {
        failure = std::move(sample).error();
        return false;
      }
      boost::system::error_code ec;
      auto instance = citytwin::parse_json(sample->instance, ec);
      const json::value* type =
          !ec && instance.is_object() ? instance.as_object().if_contains("type") : nullptr;
      row->type = type != nullptr && type->is_string() ? std::string(type->get_string()) : "";
    }
    return true;
  };
  auto filter = [&](const store::HistoryChunkStats& chunk) {
    if (chunk.attribute == kTypeHistory || chunk.observed_count == 0 ||
        chunk.deleted_count == chunk.count) {
      return store::ChunkUse::kSkip;
    }
    for (std::int64_t day = day_start(chunk.min_observed_at); day <= chunk.max_observed_at;
         day += kDayMicros) {
      if (wanted(chunk.attribute, day)) return store::ChunkUse::kDecode;
    }
    return store::ChunkUse::kSkip;
  };
  CT_RETURN_IF_ERROR(
      store::visit_history_summarized(store, tenant, id, attribute, range, visit, filter));
  CT_RETURN_IF_ERROR(failure);
  RowsByDay rows;
  for (auto& [key, set] : sets) rows.emplace(key, set.take());
  return rows;
}

}  // namespace

// What an entity's markers ask for.
struct HistoryRollups::Work {
  std::set<std::pair<std::string, std::int64_t>> days;  // (attribute, day) to rebuild
  // Purged scopes: (attribute, "" for all; datasetId, nullopt for all).
  std::set<std::pair<std::string, std::optional<std::string>>> purged;
  bool full = false;  // every day of every attribute

  bool empty() const { return days.empty() && purged.empty() && !full; }
  bool purges(std::string_view attribute, std::string_view dataset) const {
    return std::any_of(purged.begin(), purged.end(), [&](const auto& scope) {
      return scope.first.empty() ||
             (scope.first == attribute && (!scope.second || *scope.second == dataset));
    });
  }
  bool purges_some(std::string_view attribute) const {
    return std::any_of(purged.begin(), purged.end(), [&](const auto& scope) {
      return scope.first.empty() || scope.first == attribute;
    });
  }
  bool wants(std::string_view attribute, std::int64_t day) const {
    return full || purges_some(attribute) || days.contains({std::string(attribute), day});
  }
};

HistoryRollups::HistoryRollups(store::EntityStore& store, const Clock& clock)
    : store_(store),
      clock_(clock),
      boot_(static_cast<std::uint64_t>(clock.now().micros) ^
            (static_cast<std::uint64_t>(std::random_device{}()) << 32 | std::random_device{}())) {}

HistoryRollups::~HistoryRollups() {
  stop();
}

Status HistoryRollups::configure(std::string_view tenant, std::vector<RollupRule> rules) {
  std::lock_guard build(build_mutex_);
  bool any = std::any_of(rules.begin(), rules.end(), [](const auto& rule) { return !rule.none; });
  if (!any) rules.clear();
  {
    std::lock_guard lock(rules_mutex_);
    if (rules.empty()) {
      rules_.erase(std::string(tenant));
    } else {
      rules_[std::string(tenant)] = std::move(rules);
    }
  }
  // Rows built under other rules (or while the tenant had none, when writes left no
  // markers) are rebuilt in full before they answer again.
  std::string prefix(tenant);
  prefix += kSep;
  auto built = store_.documents_between(kBuilt, prefix, prefix_end(prefix));
  if (!built) return std::move(built).error();
  std::vector<store::DocumentChange> erases;
  for (auto& [key, value] : *built) erases.push_back({std::string(kBuilt), key, std::nullopt});
  {
    std::lock_guard lock(built_mutex_);
    std::erase_if(built_known_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
  }
  return store_.write_documents(erases);
}

void HistoryRollups::restore(std::vector<std::pair<std::string, std::vector<RollupRule>>> all) {
  std::lock_guard lock(rules_mutex_);
  for (auto& [tenant, rules] : all) {
    if (std::any_of(rules.begin(), rules.end(), [](const auto& rule) { return !rule.none; })) {
      rules_[tenant] = std::move(rules);
    }
  }
}

bool HistoryRollups::enabled(std::string_view tenant) const {
  std::lock_guard lock(rules_mutex_);
  return rules_.find(tenant) != rules_.end();
}

std::optional<RollupRule> HistoryRollups::rule_for(std::string_view tenant,
                                                   const json::value& types) const {
  std::lock_guard lock(rules_mutex_);
  auto found = rules_.find(tenant);
  if (found == rules_.end()) return std::nullopt;
  // Several types with rules: the finest resolution and the longest keep of them.
  std::optional<RollupRule> chosen;
  const RollupRule* fallback = nullptr;
  bool named = false;  // a typed rule covers the entity: the default rule does not
  for (const std::string& type : type_names(types)) {
    for (const RollupRule& rule : found->second) {
      if (rule.type != type) continue;
      named = true;
      if (rule.none) continue;
      if (!chosen) {
        chosen = rule;
        continue;
      }
      chosen->hourly = chosen->hourly || rule.hourly;
      if (!rule.keep) chosen->keep.reset();
      if (chosen->keep && rule.keep &&
          (rule.keep->months * 31 * kDayMicros + rule.keep->micros >
           chosen->keep->months * 31 * kDayMicros + chosen->keep->micros)) {
        chosen->keep = rule.keep;
      }
    }
  }
  for (const RollupRule& rule : found->second) {
    if (rule.type.empty() && !rule.none) fallback = &rule;
  }
  if (!named && fallback != nullptr) chosen = *fallback;
  return chosen;
}

std::optional<RollupRule> HistoryRollups::rule_of_entity(std::string_view tenant,
                                                         std::string_view id) const {
  // The current types, else the last recorded ones (as temporal queries name the entity).
  auto current = store_.get(tenant, id);
  if (current.ok() && *current) {
    boost::system::error_code ec;
    auto parsed = citytwin::parse_json(**current, ec);
    if (!ec && parsed.is_object()) {
      if (const auto* type = parsed.as_object().if_contains("type")) return rule_for(tenant, *type);
    }
  }
  auto recorded =
      store_.history(tenant, id, kTypeHistory, {}, std::numeric_limits<std::size_t>::max());
  if (!recorded.ok() || recorded->empty()) return rule_for(tenant, json::array());
  boost::system::error_code ec;
  auto parsed = citytwin::parse_json(recorded->back().instance, ec);
  return rule_for(tenant, ec ? json::value(json::array()) : parsed);
}

std::string HistoryRollups::marker_key(std::string_view tenant, std::string_view id) const {
  char unique[34];
  std::snprintf(unique, sizeof unique, "%016llx%016llx", static_cast<unsigned long long>(boot_),
                static_cast<unsigned long long>(markers_.fetch_add(1)));
  return entity_prefix(tenant, id) + unique;
}

void HistoryRollups::mark(std::string_view tenant, store::Change& change,
                          std::span<const store::HistorySample> replaced) const {
  if (!enabled(tenant)) return;
  std::set<std::pair<std::string, std::int64_t>> days;
  auto note = [&](const store::HistorySample& sample) {
    if (sample.attribute == kTypeHistory || !sample.observed_at) return;
    days.emplace(sample.attribute, day_start(*sample.observed_at));
  };
  for (const auto& sample : change.history) note(sample);
  for (const auto& sample : replaced) note(sample);
  std::set<std::pair<std::string, std::optional<std::string>>> purged;
  for (const auto& erase : change.erase_history) {
    if (erase.sample) continue;  // its day comes with `replaced`
    purged.emplace(erase.attribute, erase.attribute.empty() ? std::nullopt : erase.dataset_id);
  }
  auto put = [&](const Mark& mark) {
    change.documents.push_back(store::DocumentWrite{
        std::string(kDirty), marker_key(tenant, change.id), encode_mark(mark)});
  };
  for (const auto& [attribute, day] : days) put(Mark{MarkKind::kDay, attribute, day, {}});
  for (const auto& [attribute, dataset] : purged) {
    put(Mark{MarkKind::kPurge, attribute, 0, dataset});
  }
  if (days.empty() && purged.empty()) return;
  std::lock_guard lock(marker_counts_mutex_);
  marker_counts_[entity_key(tenant, change.id)].pending += days.size() + purged.size();
}

Status HistoryRollups::refresh_locked(std::string_view tenant, std::string_view id) {
  std::string prefix = entity_prefix(tenant, id);
  auto markers = store_.documents_between(kDirty, prefix, prefix_end(prefix));
  if (!markers) return std::move(markers).error();
  Work work;
  std::vector<store::DocumentChange> erases;
  char boot[17];
  std::snprintf(boot, sizeof boot, "%016llx", static_cast<unsigned long long>(boot_));
  std::uint64_t own = 0;  // markers this instance put
  for (const auto& [key, value] : *markers) {
    erases.push_back({std::string(kDirty), key, std::nullopt});
    if (std::string_view(key).substr(prefix.size(), 16) == boot) ++own;
    auto mark = decode_mark(value);
    if (!mark) {
      work.full = true;  // unreadable: rebuild everything, which any marker is part of
    } else if (mark->kind == MarkKind::kDay) {
      work.days.emplace(mark->attribute, mark->day);
    } else {
      work.purged.emplace(mark->attribute, mark->dataset);
    }
  }
  CT_RETURN_IF_ERROR(rebuild(tenant, id, work, erases));
  note_worked_off(entity_key(tenant, id), own);
  return ok_status();
}

void HistoryRollups::note_worked_off(const std::string& key, std::uint64_t erased) {
  std::lock_guard lock(marker_counts_mutex_);
  MarkerCount& count = marker_counts_[key];
  // More than counted would mean markers of another instance with the same boot_: trust
  // nothing about the entity until a later refresh.
  count.settled = erased <= count.pending;
  count.pending = count.settled ? count.pending - erased : 0;
}

Status HistoryRollups::rebuild(std::string_view tenant, std::string_view id, const Work& marked,
                               std::vector<store::DocumentChange>& erases) {
  std::string prefix = entity_prefix(tenant, id);
  const std::string built_key = entity_key(tenant, id);
  auto rule = rule_of_entity(tenant, id);
  if (!rule) {
    // No rollups for this entity (any more): its rows go.
    auto rows = store_.documents_between(kRows, prefix, prefix_end(prefix));
    if (!rows) return std::move(rows).error();
    for (auto& [key, value] : *rows) erases.push_back({std::string(kRows), key, std::nullopt});
    erases.push_back({std::string(kBuilt), built_key, std::nullopt});
    remember_built(built_key, "");
    return store_.write_documents(erases);
  }
  const RollupResolution resolution = resolution_of(*rule);
  const std::string tag = resolution_tag(resolution);
  auto built = store_.get_document(kBuilt, built_key);
  if (!built) return std::move(built).error();
  Work work = marked;
  if (!*built || **built != tag) work.full = true;
  if (!work.full) remember_built(built_key, tag);
  if (work.empty()) return store_.write_documents(erases);

  // The day documents the work concerns, as stored.
  std::map<DayKey, RollupDay> stored;
  auto load = [&](std::string_view lower, std::string_view upper) -> Status {
    auto rows = store_.documents_between(kRows, lower, upper);
    if (!rows) return std::move(rows).error();
    for (const auto& [key, value] : *rows) {
      auto parsed = parse_row_key(key, prefix.size());
      if (!parsed || !work.wants(parsed->attribute, parsed->day)) continue;
      auto day = decode_rollup_day(value);
      if (!day) return std::move(day).error();
      stored.emplace(std::move(*parsed), std::move(*day));
    }
    return ok_status();
  };
  if (work.full || !work.purged.empty()) {
    CT_RETURN_IF_ERROR(load(prefix, prefix_end(prefix)));
  } else {
    std::set<std::int64_t> days;
    for (const auto& entry : work.days) days.insert(entry.second);
    for (std::int64_t day : days) {
      CT_RETURN_IF_ERROR(load(prefix + day_hex(day), prefix + day_hex(day + kDayMicros)));
    }
  }
  auto live = summarize(
      store_, tenant, id, "", {}, resolution,
      [&](std::string_view attribute, std::int64_t day) { return work.wants(attribute, day); });
  if (!live) return std::move(live).error();

  std::set<DayKey> keys;
  for (const auto& entry : stored) keys.insert(entry.first);
  for (const auto& entry : *live) keys.insert(entry.first);
  std::vector<store::DocumentChange> puts;
  for (const DayKey& key : keys) {
    RollupDay day;
    day.resolution = resolution;
    auto old = stored.find(key);
    if (old != stored.end() && !work.purges(key.attribute, key.dataset)) {
      // An archive at days cannot be split into hours: the day stays daily.
      if (old->second.resolution == RollupResolution::kDay) day.resolution = old->second.resolution;
      RowSet archived(day.resolution);
      archived.merge(old->second.archived, old->second.resolution);
      day.archived = archived.take();
    }
    RowSet rows(day.resolution);
    rows.merge(day.archived, day.resolution);
    if (auto fresh = live->find(key); fresh != live->end()) rows.merge(fresh->second, resolution);
    day.rows = rows.take();
    std::string name = row_key(prefix, key.day, key.attribute, key.dataset);
    if (day.empty()) {
      if (old != stored.end())
        erases.push_back({std::string(kRows), std::move(name), std::nullopt});
    } else {
      puts.push_back({std::string(kRows), std::move(name), encode_rollup_day(day)});
    }
  }
  if (work.full) puts.push_back({std::string(kBuilt), built_key, tag});
  puts.insert(puts.end(), erases.begin(), erases.end());
  CT_RETURN_IF_ERROR(store_.write_documents(puts));
  remember_built(built_key, tag);
  return ok_status();
}

void HistoryRollups::remember_built(const std::string& key, const std::string& tag) {
  std::lock_guard lock(built_mutex_);
  if (tag.empty()) {
    built_known_.erase(key);
  } else {
    built_known_[key] = tag;
  }
}

Result<bool> HistoryRollups::rows_current(std::string_view tenant, std::string_view id,
                                          const RollupRule& rule) {
  const std::string key = entity_key(tenant, id);
  const std::string tag = resolution_tag(resolution_of(rule));
  {
    std::lock_guard lock(built_mutex_);
    auto found = built_known_.find(key);
    if (found == built_known_.end() || found->second != tag) return false;
  }
  {
    std::lock_guard lock(marker_counts_mutex_);
    auto found = marker_counts_.find(key);
    if (found != marker_counts_.end() && found->second.settled && found->second.pending == 0) {
      return true;
    }
  }
  std::string prefix = entity_prefix(tenant, id);
  auto markers = store_.documents_between(kDirty, prefix, prefix_end(prefix));
  if (!markers) return std::move(markers).error();
  return markers->empty();
}

// An entity known only from its history is found (and typed) by its recorded types: its newest
// type record survives the trim, so that its rollups stay reachable after raw history goes.
Status HistoryRollups::keep_type_record(std::string_view tenant, store::Change& change,
                                        std::int64_t before) const {
  constexpr auto kAll = std::numeric_limits<std::size_t>::max();
  auto newer = store_.history(tenant, change.id, kTypeHistory,
                              {before, std::numeric_limits<std::int64_t>::max()}, 1);
  if (!newer) return std::move(newer).error();
  if (!newer->empty()) return ok_status();
  auto older = store_.history(tenant, change.id, kTypeHistory,
                              {std::numeric_limits<std::int64_t>::min(), before}, kAll);
  if (!older) return std::move(older).error();
  for (auto it = older->rbegin(); it != older->rend(); ++it) {
    if (it->deleted) continue;
    store::HistorySample copy = *it;
    copy.sequence = 0;  // a new sample, written after the erasure
    change.history.push_back(std::move(copy));
    break;
  }
  return ok_status();
}

Status HistoryRollups::apply_trims(std::string_view tenant, std::span<store::Change> changes) {
  std::lock_guard build(build_mutex_);
  for (store::Change& change : changes) {
    if (!enabled(tenant)) break;
    auto rule = rule_of_entity(tenant, change.id);
    if (!rule) continue;
    // Rows exact first: then moving samples from raw history into the archive leaves them so.
    CT_RETURN_IF_ERROR(refresh_locked(tenant, change.id));
    const RollupResolution resolution = resolution_of(*rule);
    std::string prefix = entity_prefix(tenant, change.id);
    for (const store::HistoryErase& erase : change.erase_history) {
      if (!erase.before || erase.sample) continue;
      if (erase.attribute.empty())
        CT_RETURN_IF_ERROR(keep_type_record(tenant, change, *erase.before));
      auto trimmed = summarize(store_, tenant, change.id, erase.attribute,
                               {std::numeric_limits<std::int64_t>::min(), *erase.before},
                               resolution, [](std::string_view, std::int64_t) { return true; });
      if (!trimmed) return std::move(trimmed).error();
      for (auto& [key, rows] : *trimmed) {
        std::string name = row_key(prefix, key.day, key.attribute, key.dataset);
        auto stored = store_.get_document(kRows, name);
        if (!stored) return std::move(stored).error();
        RollupDay day;
        day.resolution = resolution;
        if (*stored) {
          auto decoded = decode_rollup_day(**stored);
          if (!decoded) return std::move(decoded).error();
          day = std::move(*decoded);
        } else {
          // Only a write racing with this trim leaves a day without rows: its marker
          // rebuilds the rows from the archive and what raw history keeps.
          day.rows = rows;
        }
        RowSet archived(day.resolution);
        archived.merge(day.archived, day.resolution);
        archived.merge(rows, resolution);
        day.archived = archived.take();
        change.documents.push_back({std::string(kRows), std::move(name), encode_rollup_day(day)});
      }
    }
  }
  return store_.apply(tenant, changes);
}

// The mutex is taken per entity, so a query waits for at most one entity's rebuild.
Result<RollupPassReport> HistoryRollups::run_pass() {
  RollupPassReport report;
  auto markers = store_.list_documents(kDirty);
  if (!markers) return std::move(markers).error();
  std::set<std::pair<std::string, std::string>> entities;
  for (const auto& [key, value] : *markers) {
    auto first = key.find(kSep);
    auto second = first == std::string::npos ? first : key.find(kSep, first + 1);
    if (second == std::string::npos) continue;
    entities.emplace(key.substr(0, first), key.substr(first + 1, second - first - 1));
  }
  for (const auto& [tenant, id] : entities) {
    std::lock_guard build(build_mutex_);
    CT_RETURN_IF_ERROR(refresh_locked(tenant, id));
    ++report.entities;
  }
  std::map<std::string, std::vector<RollupRule>, std::less<>> rules;
  {
    std::lock_guard lock(rules_mutex_);
    rules = rules_;
  }
  for (const auto& [tenant, tenant_rules] : rules) {
    for (const RollupRule& rule : tenant_rules) {
      if (rule.none) continue;
      auto expired = expire(tenant, rule);
      if (!expired) return std::move(expired).error();
      report.expired_rows += *expired;
    }
  }
  return report;
}

// Drops the day documents older than the rule's keep of the entities that follow it.
Result<std::size_t> HistoryRollups::expire(std::string_view tenant, const RollupRule& rule) {
  if (!rule.keep || (!tenant.empty() && !store_.has_tenant(tenant))) return std::size_t{0};
  auto cutoff = series::before_by(clock_.now().micros, *rule.keep);
  if (!cutoff) return std::size_t{0};
  std::set<std::string, std::less<>> ids;
  std::vector<store::IndexSelector> selectors;
  if (rule.type.empty()) {
    auto types = store_.history_types(tenant);
    if (!types) return std::move(types).error();
    for (const auto& type : *types) selectors.push_back(store::IndexSelector::history_type(type));
  } else {
    selectors = {store::IndexSelector::type(rule.type),
                 store::IndexSelector::history_type(rule.type)};
  }
  for (const auto& selector : selectors) {
    auto cursor = store_.scan(tenant, selector);
    for (; cursor->valid(); cursor->next()) ids.emplace(cursor->id());
    CT_RETURN_IF_ERROR(cursor->status());
  }
  std::size_t expired = 0;
  for (const std::string& id : ids) {
    std::lock_guard build(build_mutex_);
    auto own = rule_of_entity(tenant, id);
    if (!own || own->type != rule.type) continue;
    std::string prefix = entity_prefix(tenant, id);
    // Days that end at or before the cutoff.
    auto rows = store_.documents_between(kRows, prefix, prefix + day_hex(day_start(*cutoff)));
    if (!rows) return std::move(rows).error();
    std::vector<store::DocumentChange> erases;
    for (auto& [key, value] : *rows) erases.push_back({std::string(kRows), key, std::nullopt});
    expired += erases.size();
    CT_RETURN_IF_ERROR(store_.write_documents(erases));
  }
  return expired;
}

void HistoryRollups::start(std::chrono::milliseconds interval) {
  stop();
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = false;
  }
  worker_ = std::thread([this, interval] {
    std::unique_lock lock(wake_mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      (void)run_pass();  // a failed pass leaves its markers: the next one or a query retries
      lock.lock();
    }
  });
}

void HistoryRollups::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Result<std::optional<AggregatedAttrs>> HistoryRollups::aggregate(std::string_view tenant,
                                                                 std::string_view id,
                                                                 const json::value& types,
                                                                 const TemporalQuery& query) {
  using Method = series::AggregationMethod;
  const auto none = std::optional<AggregatedAttrs>();
  if (!query.aggregation || query.last_n || query.relation != TemporalQuery::Relation::kBetween ||
      query.property != TemporalQuery::TimeProperty::kObservedAt) {
    return none;
  }
  const auto& methods = query.aggregation->methods;
  if (std::find(methods.begin(), methods.end(), Method::kDistinctCount) != methods.end()) {
    return none;
  }
  auto rule = rule_for(tenant, types);
  if (!rule) return none;
  if (rule->keep) {
    // Before the rollups' own retention, rows may be gone: raw history answers there.
    auto cutoff = series::before_by(clock_.now().micros, *rule->keep);
    if (!cutoff || query.time_at < *cutoff) return none;
  }
  auto plan = aggregation_plan(std::nullopt, std::nullopt, query);
  if (!plan) return std::move(plan).error();
  if (!*plan) return none;
  // Which rows can fill the periods: each period must start and end on row boundaries.
  bool hours = true;
  bool days = true;
  for (std::size_t i = 0; i < (*plan)->size() && hours; ++i) {
    for (std::int64_t edge : {(*plan)->start(i), (*plan)->end(i)}) {
      hours = hours && aligned(edge, kHourMicros);
      days = days && aligned(edge, kDayMicros);
    }
  }
  if (!hours || (!rule->hourly && !days)) return none;

  std::string prefix = entity_prefix(tenant, id);
  std::int64_t from = query.time_at;
  std::int64_t to = query.end_time_at;
  std::vector<std::pair<std::string, std::string>> documents;
  {
    // Never a stale row: the entity's pending markers are worked off first. Without any,
    // the rows are read without the builders' mutex (the two queries' workers then read in
    // parallel): a write that marks the entity after the check is one this query may
    // precede, and builders replace rows and erase markers in one atomic write.
    auto current = rows_current(tenant, id, *rule);
    if (!current) return std::move(current).error();
    if (!*current) {
      std::lock_guard build(build_mutex_);
      CT_RETURN_IF_ERROR(refresh_locked(tenant, id));
    }
    auto read = store_.documents_between(kRows, prefix + day_hex(day_start(from)),
                                         prefix + day_hex(day_start(to - 1) + kDayMicros));
    if (!read) return std::move(read).error();
    documents = std::move(*read);
  }

  struct Part {
    std::string dataset;
    std::int64_t day = 0;
    RollupDay rows;
  };
  std::map<std::string, std::vector<Part>, std::less<>> parts;
  std::set<std::string, std::less<>> raw;  // attributes the rows cannot answer
  for (auto& [key, value] : documents) {
    auto parsed = parse_row_key(key, prefix.size());
    if (!parsed) continue;
    if (!query.attrs.empty() && !query.attrs.contains(parsed->attribute)) continue;
    if (raw.contains(parsed->attribute)) continue;
    auto day = decode_rollup_day(value);
    if (!day) return std::move(day).error();
    bool usable = day->resolution == RollupResolution::kHour || days;
    for (const RollupRow& row : day->rows) usable = usable && row.others == 0;
    if (!usable) {
      raw.insert(parsed->attribute);
      parts.erase(parsed->attribute);
      continue;
    }
    parts[parsed->attribute].push_back(
        Part{std::move(parsed->dataset), parsed->day, std::move(*day)});
  }

  HistoryAggregator aggregator(*query.aggregation, std::move(**plan));
  const series::BucketPlan& periods = aggregator.plan();
  for (const auto& [attribute, list] : parts) {
    for (const Part& part : list) {
      // The rows of one period are merged first: one add_summary per period and day.
      HistoryAggregator::Series* series = nullptr;
      RollupRow merged;
      std::int64_t merged_start = 0;
      std::size_t merged_period = series::BucketPlan::kNone;
      auto flush = [&] {
        if (merged.numbers.count == 0) return;
        if (series == nullptr) series = &aggregator.series(attribute, part.dataset);
        series->add_summary(merged_start, merged.numbers);
        if (!merged.type.empty() && series->wants_type(merged.newest)) {
          series->set_type(merged.newest, json::string(merged.type));
        }
        merged = RollupRow{};
      };
      const std::int64_t width = resolution_micros(part.rows.resolution);
      for (const RollupRow& row : part.rows.rows) {
        std::int64_t start = part.day + row.slot * width;
        if (start < from || start >= to || row.numbers.count == 0) continue;
        std::size_t period = periods.index_of(start);
        if (period != merged_period) {
          flush();
          merged_period = period;
          merged_start = start;
        }
        merged.merge(row);
      }
      flush();
    }
  }
  auto answer = aggregator.finish();
  if (!answer) return std::move(answer).error();
  if (!raw.empty()) {
    TemporalQuery rest = query;
    rest.attrs = raw;
    auto others = aggregate_from_columns(store_, tenant, id, rest);
    if (!others) return std::move(others).error();
    // After the rows' attributes, as a JSON object's new members would be.
    for (auto& other : *others) answer->push_back(std::move(other));
  }
  return std::optional<AggregatedAttrs>(std::move(*answer));
}

Result<std::uint64_t> HistoryRollups::stored_bytes(std::string_view tenant) const {
  std::string prefix(tenant);
  prefix += kSep;
  auto rows = store_.documents_between(kRows, prefix, prefix_end(prefix));
  if (!rows) return std::move(rows).error();
  std::uint64_t bytes = 0;
  for (const auto& [key, value] : *rows) bytes += key.size() + value.size();
  return bytes;
}

}  // namespace citytwin::core
