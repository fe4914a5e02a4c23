#include "citytwin/core/temporal_service.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "citytwin/common/instant.hpp"
#include "citytwin/common/json_member.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"
#include "history_capture.hpp"
#include "query_workers.hpp"
#include "temporal_aggregate.hpp"
#include "temporal_column_aggregation.hpp"
#include "temporal_newest.hpp"
#include "temporal_selection.hpp"

namespace citytwin::core {
namespace {

namespace form = model::form;
using Relation = TemporalQuery::Relation;
using TimeProperty = TemporalQuery::TimeProperty;

constexpr std::string_view kNullValue = "urn:ngsi-ld:null";  // clause 4.5.4 null marker
constexpr std::size_t kMaxTypeSamples = 10'000;
// Entities of a page per query thread at least: fewer are not worth waking a worker for.
constexpr std::size_t kEntitiesPerThread = 16;

// Entities of a page aggregated one after another with one history reader: its snapshot and
// iterators are made once for them.
constexpr std::size_t kEntitiesPerReader = 8;

// work(i) for every entity i of a page, on the query workers when there are some.
void for_each_entity(QueryWorkers* workers, std::size_t count,
                     const std::function<void(std::size_t)>& work) {
  if (workers == nullptr) {
    for (std::size_t i = 0; i < count; ++i) work(i);
    return;
  }
  workers->for_each_index(count, kEntitiesPerThread, work);
}

// work(b) for every block b of kEntitiesPerReader entities, as for_each_entity() shares out
// entities.
void for_each_block(QueryWorkers* workers, std::size_t blocks,
                    const std::function<void(std::size_t)>& work) {
  if (workers == nullptr) {
    for (std::size_t b = 0; b < blocks; ++b) work(b);
    return;
  }
  workers->for_each_index(blocks, kEntitiesPerThread / kEntitiesPerReader, work);
}

std::optional<std::int64_t> instant_member(const boost::json::object& object,
                                           std::string_view name) {
  const auto* member = object.if_contains(name);
  if (member == nullptr || !member->is_string()) return std::nullopt;
  auto instant = parse_date_time(member->as_string());
  if (!instant) return std::nullopt;
  return instant->micros;
}

boost::json::object deletion_instance(const store::HistorySample& sample) {
  boost::json::object instance{{form::kType, form::kProperty},
                               {form::kValue, kNullValue},
                               {form::kDeletedAt, format_date_time(Instant{sample.modified_at})}};
  if (!sample.dataset_id.empty()) instance[form::kDatasetId] = sample.dataset_id;
  return instance;
}

// A sample the query selects, before its instance is built: most selections (time relation,
// lastN) need only the instants the store already decoded, and the kept samples' texts go to
// the answer as they are.
struct Candidate {
  store::HistorySample sample;
  std::int64_t time = 0;
};

// Whether the query wants the sample, and at which instant.
Result<std::optional<Candidate>> candidate(const store::HistorySample& sample,
                                           const TemporalQuery& query) {
  Candidate out{{}, sample.modified_at};
  if (query.property == TimeProperty::kDeletedAt) {
    if (!sample.deleted || !in_relation(query, sample.modified_at))
      return std::optional<Candidate>();
    return std::optional<Candidate>(std::move(out));
  }
  if (sample.deleted) return std::optional<Candidate>();
  std::optional<std::int64_t> time;
  if (query.property == TimeProperty::kCreatedAt) {
    auto parsed = parse_stored_instance(sample.instance, sample.attribute);
    if (!parsed) return std::move(parsed).error();
    time = instant_member(*parsed, form::kCreatedAt);
  } else {
    time = query.property == TimeProperty::kObservedAt ? sample.observed_at
                                                       : std::optional(sample.modified_at);
  }
  if (!time) {
    // Without the asked-for instant an instance can only be ordered, not selected.
    if (query.relation != Relation::kNone) return std::optional<Candidate>();
    time = sample.modified_at;
  }
  if (!in_relation(query, *time)) return std::optional<Candidate>();
  out.time = *time;
  out.sample = sample;
  return std::optional<Candidate>(std::move(out));
}

// lastN (clause 4.11): the newest n by the query's instant; the store walks an instance in
// modifiedAt order, which need not be observedAt order, so this sorts (stably: equal
// instants keep the store's order) and trims as it goes.
// Equal instants are ordered like the store's walk of one attribute (datasetId, then
// modifiedAt and sequence), whatever order the samples were read in.
bool older(const Candidate& a, const Candidate& b) {
  if (a.time != b.time) return a.time < b.time;
  const store::HistorySample& x = a.sample;
  const store::HistorySample& y = b.sample;
  if (x.dataset_id != y.dataset_id) return x.dataset_id < y.dataset_id;
  if (x.modified_at != y.modified_at) return x.modified_at < y.modified_at;
  return x.sequence < y.sequence;
}

bool same_sample(const store::HistorySample& x, const store::HistorySample& y) {
  return x.modified_at == y.modified_at && x.sequence == y.sequence && x.dataset_id == y.dataset_id;
}

void keep_newest(std::vector<Candidate>& candidates, std::size_t n) {
  std::stable_sort(candidates.begin(), candidates.end(), older);
  if (candidates.size() > n) {
    candidates.erase(candidates.begin(), candidates.end() - static_cast<std::ptrdiff_t>(n));
  }
}

// The order in which the store's newest-sample cache can answer the query: lastN=1 by
// observedAt or modifiedAt over the whole history, where candidate() and older() pick
// exactly the sample the cache keeps (store::NewestOrder).
std::optional<store::NewestOrder> newest_order(const TemporalQuery& query) {
  if (query.last_n != 1 || query.relation != Relation::kNone) return std::nullopt;
  if (query.property == TimeProperty::kObservedAt) return store::NewestOrder::kObservedAt;
  if (query.property == TimeProperty::kModifiedAt) return store::NewestOrder::kModifiedAt;
  return std::nullopt;
}

// The instance of a kept candidate, with its instanceId: its stored text as it is (written
// or parsed only when the answer is), a deletion as the instance that says so.
TimedInstance materialize(Candidate& kept, const TemporalQuery& query) {
  store::HistorySample& sample = kept.sample;
  std::string text = query.property == TimeProperty::kDeletedAt
                         ? to_json_text(deletion_instance(sample))
                         : std::move(sample.instance);
  return TimedInstance{kept.time, InstanceText{std::move(text), instance_id_of(sample)}};
}

// Clause 6.3.10: when an attribute has more instances than a page holds, the answer ends at
// the instant of its page_size-th instance (the earliest such instant over every attribute
// and entity), so it is complete up to that instant and the client can continue after it.
// Instances sharing that instant all stay: a page never splits one instant.
std::optional<TemporalPage::Range> cut_page(const std::vector<SelectedHistory*>& selected,
                                            const TemporalQuery& query) {
  if (query.page_size == 0) return std::nullopt;
  std::optional<std::int64_t> end;
  std::optional<std::int64_t> oldest;
  for (const SelectedHistory* history : selected) {
    for (const auto& [name, instances] : history->attrs) {
      if (!instances.empty()) {
        oldest = std::min(oldest.value_or(instances.front().time), instances.front().time);
      }
      if (instances.size() <= query.page_size) continue;
      std::int64_t at = instances[query.page_size - 1].time;
      end = std::min(end.value_or(at), at);
    }
  }
  if (!end) return std::nullopt;
  for (SelectedHistory* history : selected) {
    for (auto& [name, instances] : history->attrs) {
      std::erase_if(instances, [&](const TimedInstance& timed) { return timed.time > *end; });
    }
  }
  bool from_time_at = query.relation == Relation::kBetween || query.relation == Relation::kAfter;
  return TemporalPage::Range{from_time_at ? query.time_at : *oldest, *end};
}

// The selected instances as the page keeps them.
HistoryAttrs history_attrs(std::map<std::string, std::vector<TimedInstance>, std::less<>>& attrs) {
  HistoryAttrs out;
  out.reserve(attrs.size());
  for (auto& [name, instances] : attrs) {
    HistoryAttribute& attribute = out.emplace_back(HistoryAttribute{name, {}});
    attribute.instances.reserve(instances.size());
    for (auto& timed : instances) attribute.instances.push_back(std::move(timed.instance));
  }
  return out;
}

}  // namespace

void TemporalService::set_query_threads(unsigned threads) {
  workers_ = threads > 1 ? std::make_shared<QueryWorkers>(threads) : nullptr;
}

void TemporalService::for_each_in_page(std::size_t count,
                                       const std::function<void(std::size_t)>& work) const {
  for_each_entity(workers_.get(), count, work);
}

Result<SelectedHistory> TemporalService::select_history(std::string_view tenant,
                                                        std::string_view id,
                                                        const TemporalQuery& query,
                                                        std::size_t& peak) const {
  peak = 0;
  if (!tenant.empty() && !store_.has_tenant(tenant)) {
    return make_error(ErrorKind::kNonexistentTenant,
                      "tenant " + std::string(tenant) + " does not exist");
  }
  auto types = types_of(tenant, id);
  if (!types) return std::move(types).error();
  if (!*types) return make_error(ErrorKind::kResourceNotFound, std::string(id) + " not found");
  // An entity a restricted reader may not see is answered as one without history.
  if (query.restriction && !query.restriction->admits_types(**types)) {
    return make_error(ErrorKind::kResourceNotFound, std::string(id) + " not found");
  }
  NameSet hidden = query.restriction ? query.restriction->hidden_for(**types) : NameSet{};

  // Streamed: only the samples the query keeps are held, and at most max_samples of them.
  std::string_view attribute;  // one attribute: read only its part of the history
  if (query.attrs.size() == 1) attribute = *query.attrs.begin();
  std::map<std::string, std::vector<Candidate>, std::less<>> kept;
  std::size_t kept_count = 0;
  Status failure;
  const bool newest_first = selects_newest_first(query);
  auto visit = [&](const store::HistorySample& sample) {
    if (sample.attribute == kTypeHistory) return true;
    if (!query.attrs.empty() && !query.attrs.contains(sample.attribute)) return true;
    if (hidden.contains(sample.attribute)) return true;
    auto wanted = candidate(sample, query);
    if (!wanted) {
      failure = std::move(wanted).error();
      return false;
    }
    if (!*wanted) return true;
    auto& list = kept[sample.attribute];
    if (newest_first && std::any_of(list.begin(), list.end(), [&](const Candidate& held) {
          return same_sample(held.sample, sample);
        })) {
      return true;  // read again with a chunk's range
    }
    list.push_back(std::move(**wanted));
    ++kept_count;
    if (query.last_n && list.size() >= 2 * *query.last_n + 64) {
      kept_count -= list.size();
      keep_newest(list, *query.last_n);
      kept_count += list.size();
    }
    peak = std::max(peak, kept_count);
    if (kept_count > query.max_samples) {
      failure = make_error(ErrorKind::kTooManyResults,
                           "the selected history of " + std::string(id) + " has more than " +
                               std::to_string(query.max_samples) +
                               " instances; narrow it with timerel, attrs or lastN");
      return false;
    }
    return true;
  };
  // lastN=1 of one attribute over its whole history: the store's newest-sample cache
  // answers, or learns the answer of the walk below.
  std::optional<store::NewestOrder> cached_order;
  if (!attribute.empty() && !hidden.contains(attribute)) cached_order = newest_order(query);
  store::NewestLookup cached;
  if (cached_order) {
    cached = store_.find_newest(tenant, id, attribute, *cached_order);
    if (cached.newest && *cached.newest) visit(**cached.newest);
  }
  if (cached.newest) {
    // Answered by the cache.
  } else if (newest_first) {
    // The n-th newest instant kept for an attribute: older samples cannot be among lastN.
    auto newest_kept = [&](std::string_view name) -> std::optional<std::int64_t> {
      auto found = kept.find(name);
      const std::size_t n = *query.last_n;
      if (n == 0 || found == kept.end() || found->second.size() < n) return std::nullopt;
      std::vector<std::int64_t> times;
      times.reserve(found->second.size());
      for (const Candidate& held : found->second) times.push_back(held.time);
      std::nth_element(times.begin(), times.end() - static_cast<std::ptrdiff_t>(n), times.end());
      return *(times.end() - static_cast<std::ptrdiff_t>(n));
    };
    CT_RETURN_IF_ERROR(
        visit_newest_candidates(store_, tenant, id, attribute, query, visit, newest_kept));
  } else {
    CT_RETURN_IF_ERROR(store_.visit_history(tenant, id, attribute, history_range(query), visit));
  }
  CT_RETURN_IF_ERROR(failure);
  if (cached_order && !cached.newest) {
    auto found = kept.find(attribute);
    std::optional<store::HistorySample> newest;
    if (found != kept.end() && !found->second.empty()) {
      keep_newest(found->second, 1);
      newest = found->second.front().sample;
    }
    store_.fill_newest(tenant, id, attribute, *cached_order, newest, cached.ticket);
  }
  SelectedHistory selected{std::move(**types), {}, kept_count};
  for (auto& [name, candidates] : kept) {
    keep_newest(candidates, query.last_n.value_or(candidates.size()));
    auto& instances = selected.attrs[name];
    instances.reserve(candidates.size());
    for (Candidate& kept : candidates) instances.push_back(materialize(kept, query));
  }
  return selected;
}

Result<boost::json::object> TemporalService::retrieve(std::string_view tenant, std::string_view id,
                                                      const TemporalQuery& query) const {
  auto page = retrieve_page(tenant, {std::string(id)}, query);
  if (!page) return std::move(page).error();
  if (page->entities.empty()) {
    return make_error(ErrorKind::kResourceNotFound, std::string(id) + " not found");
  }
  boost::json::object& entity = page->entities.front();
  auto attrs = page->aggregated.empty() ? history_attrs_json(page->histories.front())
                                        : aggregated_attrs_json(page->aggregated.front());
  if (!attrs) return std::move(attrs).error();
  entity[form::kAttrs] = std::move(*attrs);
  return std::move(entity);
}

Result<TemporalPage> TemporalService::retrieve_page(std::string_view tenant,
                                                    const std::vector<std::string>& ids,
                                                    const TemporalQuery& query) const {
  if (query.page_size != 0 && query.last_n && *query.last_n > query.page_size) {
    return make_error(ErrorKind::kTooManyResults,
                      "lastN may be at most " + std::to_string(query.page_size));
  }
  if (aggregates_from_columns(query)) return aggregate_page(tenant, ids, query);
  // The entities' histories are selected in parallel, each as if it had the whole sample
  // budget; the budget is then charged in page order, as one entity after another would
  // have: an entity fails on its remaining budget exactly when its walk ever held more
  // (its peak), whatever it did after that.
  struct Selection {
    std::optional<Result<SelectedHistory>> history;
    std::size_t peak = 0;
  };
  std::vector<Selection> selections(ids.size());
  for_each_entity(workers_.get(), ids.size(), [&](std::size_t i) {
    selections[i].history.emplace(select_history(tenant, ids[i], query, selections[i].peak));
  });
  auto too_many = [&] {
    return make_error(ErrorKind::kTooManyResults,
                      "the selected histories have more than " + std::to_string(query.max_samples) +
                          " instances; narrow them with timerel, attrs, lastN or limit");
  };
  std::vector<std::size_t> kept;  // the entities of the page, as indexes of ids
  kept.reserve(ids.size());
  std::vector<SelectedHistory*> histories;
  histories.reserve(ids.size());
  std::size_t budget = query.max_samples;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Result<SelectedHistory>& history = *selections[i].history;
    if (ids.size() > 1 && selections[i].peak > budget) return too_many();
    if (!history) {
      if (history.error().kind == ErrorKind::kResourceNotFound) continue;
      if (history.error().kind == ErrorKind::kTooManyResults && ids.size() > 1) return too_many();
      return std::move(history).error();
    }
    budget -= std::min(budget, history->samples_kept);
    kept.push_back(i);
    histories.push_back(&*history);
  }
  TemporalPage page;
  if (!query.aggregation) page.partial = cut_page(histories, query);
  // Each entity's part of the page is made on the query threads too; aggregation failures
  // are then answered in page order.
  page.entities.resize(kept.size());
  std::vector<std::optional<Result<AggregatedAttrs>>> aggregated(query.aggregation ? kept.size()
                                                                                   : 0);
  if (!query.aggregation) page.histories.resize(kept.size());
  for_each_entity(workers_.get(), kept.size(), [&](std::size_t k) {
    SelectedHistory& history = *histories[k];
    if (query.aggregation) {
      aggregated[k].emplace(aggregate_history(history.attrs, query));
    } else {
      page.histories[k] = history_attrs(history.attrs);
    }
    page.entities[k] = boost::json::object{{form::kId, ids[kept[k]]},
                                           {form::kType, std::move(history.types)},
                                           {form::kAttrs, boost::json::object()}};
  });
  for (auto& attrs : aggregated) {
    if (!*attrs) return std::move(*attrs).error();
    page.aggregated.push_back(std::move(**attrs));
  }
  return page;
}

// Aggregations the store's columns can answer are streamed entity by entity: memory holds
// one entity's periods, and no sample budget applies (nothing is kept per sample).
Result<TemporalPage> TemporalService::aggregate_page(std::string_view tenant,
                                                     const std::vector<std::string>& ids,
                                                     const TemporalQuery& query) const {
  if (!tenant.empty() && !store_.has_tenant(tenant)) {
    return make_error(ErrorKind::kNonexistentTenant,
                      "tenant " + std::string(tenant) + " does not exist");
  }
  // Entities are aggregated in parallel (each one's work is independent) and answered in
  // page order; the first failure in that order is the answer, as it would be one by one.
  // A block of entities goes to one thread, whose walks share one history reader.
  std::vector<std::optional<Result<std::optional<AggregatedEntity>>>> answers(ids.size());
  const std::size_t blocks = (ids.size() + kEntitiesPerReader - 1) / kEntitiesPerReader;
  for_each_block(workers_.get(), blocks, [&](std::size_t block) {
    const std::size_t begin = block * kEntitiesPerReader;
    const std::size_t end = std::min(ids.size(), begin + kEntitiesPerReader);
    auto reader = store::summarized_history_reader(
        store_, tenant, *std::max_element(ids.begin() + begin, ids.begin() + end));
    PeriodBoundTexts bounds;
    for (std::size_t i = begin; i < end; ++i) {
      answers[i].emplace(aggregate_entity(tenant, ids[i], query, *reader, bounds));
    }
  });
  TemporalPage page;
  page.entities.reserve(ids.size());
  page.aggregated.reserve(ids.size());
  for (auto& answer : answers) {
    if (!*answer) return std::move(*answer).error();
    if (!**answer) continue;
    page.entities.push_back(std::move((**answer)->head));
    page.aggregated.push_back(std::move((**answer)->attrs));
  }
  return page;
}

// One entity of aggregate_page(): nullopt when it has no types or the reader may not see it.
Result<std::optional<TemporalService::AggregatedEntity>> TemporalService::aggregate_entity(
    std::string_view tenant, std::string_view id, const TemporalQuery& query,
    store::SummarizedHistoryReader& reader, PeriodBoundTexts& bounds) const {
  using Answer = std::optional<AggregatedEntity>;
  auto types = types_of(tenant, id);
  if (!types) return std::move(types).error();
  if (!*types) return Answer();
  if (query.restriction && !query.restriction->admits_types(**types)) return Answer();
  // Rollups answer when they are exact (HistoryRollups::aggregate), else raw history.
  Result<std::optional<AggregatedAttrs>> rolled_up = std::optional<AggregatedAttrs>();
  if (rollups_ != nullptr) rolled_up = rollups_->aggregate(tenant, id, **types, query);
  if (!rolled_up) return std::move(rolled_up).error();
  auto attrs = *rolled_up ? Result<AggregatedAttrs>(std::move(**rolled_up))
                          : aggregate_from_columns(store_, reader, tenant, id, query, &bounds);
  if (!attrs) return std::move(attrs).error();
  if (query.restriction) redact_aggregated(*query.restriction, **types, *attrs);
  return Answer(AggregatedEntity{boost::json::object{{form::kId, id},
                                                     {form::kType, std::move(**types)},
                                                     {form::kAttrs, boost::json::object()}},
                                 std::move(*attrs)});
}

Result<QueryResult> TemporalService::match_entities(std::string_view tenant,
                                                    const EntityQuery& query) const {
  if (!tenant.empty() && !store_.has_tenant(tenant)) {
    return make_error(ErrorKind::kNonexistentTenant,
                      "tenant " + std::string(tenant) + " does not exist");
  }
  // Candidates: the ids named, and every entity indexed under a type named, currently or
  // in its history (an alternative's first type is enough: it must have all of them).
  std::set<std::string, std::less<>> candidates;
  // With one selector naming one type and nothing else, an entity the current-type index
  // lists matches without reading it (its current types are the ones types_of would give).
  std::set<std::string, std::less<>> matched_by_index;
  const bool one_plain_type = query.selectors.size() == 1 && query.selectors.front().ids.empty() &&
                              !query.selectors.front().id_pattern &&
                              query.selectors.front().types.alternatives.size() == 1 &&
                              query.selectors.front().types.alternatives.front().size() == 1;
  if (one_plain_type) {
    return match_one_type(tenant, query,
                          query.selectors.front().types.alternatives.front().front());
  }
  std::vector<std::optional<std::regex>> patterns;
  for (const EntitySelector& selector : query.selectors) {
    if (selector.ids.empty() && selector.types.empty()) {
      return make_error(ErrorKind::kBadRequestData,
                        "a temporal query by idPattern alone needs a type or an id");
    }
    candidates.insert(selector.ids.begin(), selector.ids.end());
    if (selector.ids.empty()) {
      for (const auto& alternative : selector.types.alternatives) {
        for (auto kind : {store::IndexSelector::type(alternative.front()),
                          store::IndexSelector::history_type(alternative.front())}) {
          auto cursor = store_.scan(tenant, kind);
          const bool current = kind.kind == store::IndexSelector::Kind::kType;
          for (; cursor->valid(); cursor->next()) {
            candidates.emplace(cursor->id());
            if (one_plain_type && current) matched_by_index.emplace(cursor->id());
          }
          CT_RETURN_IF_ERROR(cursor->status());
        }
      }
    }
    std::optional<std::regex> pattern;
    if (selector.id_pattern) {
      try {
        pattern.emplace(*selector.id_pattern, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return make_error(ErrorKind::kBadRequestData,
                          "idPattern is not a valid regular expression");
      }
    }
    patterns.push_back(std::move(pattern));
  }
  std::vector<std::string> matched;
  for (const std::string& id : candidates) {
    if (matched_by_index.contains(id)) {
      matched.push_back(id);
      continue;
    }
    auto admitted = admitted_type_names(tenant, id, query);
    if (!admitted) return std::move(admitted).error();
    if (!*admitted) continue;
    const std::vector<std::string>& names = **admitted;
    for (std::size_t i = 0; i < query.selectors.size(); ++i) {
      const EntitySelector& selector = query.selectors[i];
      bool by_id = selector.ids.empty() ||
                   std::find(selector.ids.begin(), selector.ids.end(), id) != selector.ids.end();
      if (by_id && selector.types.matches(names) &&
          (!patterns[i] || std::regex_search(id, *patterns[i]))) {
        matched.push_back(id);
        break;
      }
    }
  }
  QueryResult result;
  if (query.count) result.total = matched.size();
  for (std::size_t i = query.offset; i < matched.size() && i < query.offset + query.limit; ++i) {
    result.entities.push_back(boost::json::object{{form::kId, matched[i]}});
  }
  result.more = query.offset + query.limit < matched.size();
  return result;
}

// One type and nothing else (GET /temporal/entities?type=T, the common case): the two type
// indexes list their ids in order, so they are merged as they are read, without collecting
// every id, and the walk stops after the page's last match and one more (for `more`) unless
// the total was asked for. An entity the current-type index lists matches without reading
// it; one known only from its history is read to check its last recorded types. Same
// answer as the general path below (which also handles indexes that are not in order).
Result<QueryResult> TemporalService::match_one_type(std::string_view tenant,
                                                    const EntityQuery& query,
                                                    std::string_view type) const {
  auto current = store_.scan(tenant, store::IndexSelector::type(std::string(type)));
  auto history = store_.scan(tenant, store::IndexSelector::history_type(std::string(type)));
  const EntitySelector& selector = query.selectors.front();
  QueryResult result;
  std::size_t matched = 0;
  const std::size_t page_end = query.offset + query.limit;
  std::string last;  // the previous id merged: the indexes must list ids in increasing order
  bool started = false;
  while (current->valid() || history->valid()) {
    if (!query.count && matched > page_end) break;
    std::string_view a = current->valid() ? current->id() : std::string_view();
    std::string_view b = history->valid() ? history->id() : std::string_view();
    const bool from_current = current->valid() && (!history->valid() || a <= b);
    std::string id(from_current ? a : b);
    if (started && id <= last) {
      return make_error(ErrorKind::kInternalError, "type index out of order at " + id);
    }
    if (from_current) {
      if (history->valid() && b == a) history->next();
      current->next();
    } else {
      history->next();
    }
    started = true;
    last = id;
    bool matches = from_current;
    if (!matches) {
      auto admitted = admitted_type_names(tenant, id, query);
      if (!admitted) return std::move(admitted).error();
      if (!*admitted) continue;
      matches = selector.types.matches(**admitted);
    }
    if (!matches) continue;
    if (matched >= query.offset && matched < page_end) {
      result.entities.push_back(boost::json::object{{form::kId, id}});
    }
    ++matched;
  }
  CT_RETURN_IF_ERROR(current->status());
  CT_RETURN_IF_ERROR(history->status());
  if (query.count) result.total = matched;
  result.more = page_end < matched;
  return result;
}

// The type names of `id` (types_of) for matching; nullopt when it has none or the query's
// restriction does not admit them.
Result<std::optional<std::vector<std::string>>> TemporalService::admitted_type_names(
    std::string_view tenant, std::string_view id, const EntityQuery& query) const {
  auto types = types_of(tenant, id);
  if (!types) return std::move(types).error();
  if (!*types || !(*types)->is_array()) return std::optional<std::vector<std::string>>();
  if (query.restriction && !query.restriction->admits_types(**types)) {
    return std::optional<std::vector<std::string>>();
  }
  std::vector<std::string> names;
  for (const auto& type : (*types)->as_array()) {
    if (type.is_string()) names.emplace_back(type.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

// The current types, else the last recorded ones; nullopt when the entity never existed.
Result<std::optional<boost::json::value>> TemporalService::types_of(std::string_view tenant,
                                                                    std::string_view id) const {
  auto current = store_.get(tenant, id);
  if (!current) return std::move(current).error();
  std::optional<std::string> document;
  if (current->has_value()) {
    boost::system::error_code ec;
    // Only the types: the member's text alone when it can be found without a full parse
    // (a multi-sensor query asks this of every entity of its page).
    if (auto text = top_level_member(**current, form::kType)) {
      auto types = citytwin::parse_json(*text, ec);
      if (!ec) return std::optional<boost::json::value>(std::move(types));
    }
    auto parsed = citytwin::parse_json(**current, ec);
    if (!ec && parsed.is_object()) {
      if (const auto* types = parsed.as_object().if_contains(form::kType)) {
        return std::optional<boost::json::value>(*types);
      }
    }
  }
  auto history = store_.history(tenant, id, kTypeHistory, {}, kMaxTypeSamples);
  if (!history) return std::move(history).error();
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    if (it->deleted) continue;
    boost::system::error_code ec;
    auto parsed = citytwin::parse_json(it->instance, ec);
    if (!ec && parsed.is_array()) return std::optional<boost::json::value>(std::move(parsed));
  }
  return std::optional<boost::json::value>();
}

}  // namespace citytwin::core
