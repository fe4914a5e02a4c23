#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/aggregated_attrs.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/series/period_duration.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Downsampled rollups of one entity type, configured beside its retention rule
// (docs/timeseries.md, "Rollups").
struct RollupRule {
  std::string type;  // expanded type IRI; "" for the tenant's other entities
  // A typed retention rule without rollups: its entities get none (and do not follow the
  // default rule's rollups, as they do not follow its keep).
  bool none = false;
  bool hourly = true;  // rows per UTC hour ("PT1H"); false: per UTC day only ("P1D")
  // How long rollup rows are kept, by their observedAt day; nullopt: for ever.
  std::optional<series::PeriodDuration> keep;
};

struct RollupPassReport {
  std::size_t entities = 0;      // entities whose rollups were rebuilt from their raw history
  std::size_t expired_rows = 0;  // day documents dropped by rollup retention
};

// Hourly/daily rollups of numeric attribute history (count, sum, sumsq, min, max and
// Welford's mean/m2 per UTC period of observedAt), kept apart from the raw history in their own
// document namespace so that they outlive raw retention, and used by aggregated temporal
// queries when they answer exactly.
//
// Correctness rests on one rule: every history write of a tenant with rollups carries, in the
// same atomic store write, a dirty marker naming the instance-days it changes (mark()). A day
// with a marker is never answered from its rows: the entity's markers are first worked off
// (refresh(): rows = archived ⊕ summaries of the raw samples), under one mutex, by the
// background pass or by the query itself. Retention trims go through apply_trims(), which moves
// the summaries of the samples it erases into the rows' `archived` part in the same write as
// the erasure, so archived ⊕ raw is always everything ever recorded (minus temporal deletions).
class HistoryRollups {
 public:
  HistoryRollups(store::EntityStore& store, const Clock& clock);
  ~HistoryRollups();
  HistoryRollups(const HistoryRollups&) = delete;
  HistoryRollups& operator=(const HistoryRollups&) = delete;

  // The tenant's rules (from its retention policy), replacing earlier ones. Entities of
  // types whose rule is new or changed are marked for a full build (so history written
  // before the rule is covered before any query trusts the rows).
  Status configure(std::string_view tenant, std::vector<RollupRule> rules);
  // Loads every tenant's rules at start-up; `rules_of` lists (tenant, rules).
  void restore(std::vector<std::pair<std::string, std::vector<RollupRule>>> all);

  // Adds dirty markers for what `change` edits in the history to change.documents (nothing
  // when the tenant has no rollups). `replaced`: samples the change overwrites or erases one
  // by one (temporal PATCH/DELETE of an instance), whose days change too. An erasure without
  // a sample (of an attribute, an instance or the whole history, or with `before`) purges the
  // rollups of its scope: they are rebuilt from what raw history remains.
  void mark(std::string_view tenant, store::Change& change,
            std::span<const store::HistorySample> replaced = {}) const;

  // Applies retention trims (changes whose erasures have `before`), first folding what they
  // erase into the rollups of entities that have them, in the same atomic write.
  Status apply_trims(std::string_view tenant, std::span<store::Change> changes);

  // Works off every pending marker and drops rows older than their rule's keep.
  Result<RollupPassReport> run_pass();
  // Runs a pass every `interval` on its own thread until stop().
  void start(std::chrono::milliseconds interval);
  void stop();

  // The entity's aggregated attributes (as aggregate_from_columns() would answer them, up to
  // floating-point rounding) when its rollups can answer the query exactly: aggregated by
  // observedAt over a `between` range whose periods all start and end on rollup boundaries,
  // without lastN or distinctCount, for an entity whose `types` have a rule. Attributes whose
  // rows hold other values than numbers are answered from raw history. nullopt: not
  // applicable, the caller takes the raw path.
  Result<std::optional<AggregatedAttrs>> aggregate(std::string_view tenant, std::string_view id,
                                                   const boost::json::value& types,
                                                   const TemporalQuery& query);

  // Bytes of rollup documents (keys and values) of the tenant: what they cost on disk before
  // compression.
  Result<std::uint64_t> stored_bytes(std::string_view tenant) const;

 private:
  struct Work;
  std::optional<RollupRule> rule_for(std::string_view tenant,
                                     const boost::json::value& types) const;
  std::optional<RollupRule> rule_of_entity(std::string_view tenant, std::string_view id) const;
  bool enabled(std::string_view tenant) const;
  std::string marker_key(std::string_view tenant, std::string_view id) const;
  Status mark_entities_of(std::string_view tenant, const std::string& type);
  Status refresh_locked(std::string_view tenant, std::string_view id);
  // Whether a query of the entity under `rule` may read its rows without working off
  // anything first: no pending marker and rows known built at the rule's resolution.
  Result<bool> rows_current(std::string_view tenant, std::string_view id, const RollupRule& rule);
  void remember_built(const std::string& key, const std::string& tag);
  // After a refresh erased `erased` markers with this instance's boot_.
  void note_worked_off(const std::string& key, std::uint64_t erased);
  Status rebuild(std::string_view tenant, std::string_view id, const Work& work,
                 std::vector<store::DocumentChange>& erases);
  Status keep_type_record(std::string_view tenant, store::Change& change,
                          std::int64_t before) const;
  Result<std::size_t> expire(std::string_view tenant, const RollupRule& rule);

  store::EntityStore& store_;
  const Clock& clock_;
  // Tells this instance's markers apart from those of earlier runs (and of other instances
  // on the same store, as tests make them): the start time mixed with random bits.
  const std::uint64_t boot_;
  mutable std::atomic<std::uint64_t> markers_{0};  // numbers this run's markers
  // Per entity (tenant␟id): how many markers this instance put in changes that builders have
  // not yet been seen erasing, and whether a refresh has read (and so worked off) the markers
  // earlier runs left. An entity settled with none pending has no marker in the store: a
  // marker is counted before its change is written, and only refresh_locked() erases them.
  struct MarkerCount {
    std::uint64_t pending = 0;
    bool settled = false;
  };
  mutable std::mutex marker_counts_mutex_;
  mutable std::unordered_map<std::string, MarkerCount> marker_counts_;
  mutable std::mutex rules_mutex_;
  std::map<std::string, std::vector<RollupRule>, std::less<>> rules_;
  std::mutex build_mutex_;  // one builder at a time: the pass, a query's refresh, a trim
  // Entities (tenant␟id) whose rows are known built in full at a resolution (its tag), as
  // their "rollup-built" document says: a query of an entity without markers then needs
  // neither that document nor the entity's rule. Only configure() and rebuild() change those
  // documents, and they keep this in step; it starts empty at each run.
  mutable std::mutex built_mutex_;
  std::unordered_map<std::string, std::string> built_known_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace citytwin::core
