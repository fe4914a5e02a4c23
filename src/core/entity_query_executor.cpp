// Query Entities (GS CIM 009 clause 5.7.2). Candidates come from the most selective index the
// query allows (ids, the spatial R-tree, the type index, the attribute index), in ascending id
// order so that limit/offset pages are stable; each candidate is then checked against every
// filter. Only when nothing selects (idPattern or scopeQ alone) are all entities walked.
#include <algorithm>
#include <boost/json.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/core/entity_matcher.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/value_index_plan.hpp"
#include "citytwin/model/entity_form.hpp"
#include "merged_cursor.hpp"

namespace citytwin::core {

namespace {

constexpr std::size_t kFetchBatch = 64;

// A fixed, ascending list of ids presented as a cursor.
class ListCursor final : public store::IdCursor {
 public:
  explicit ListCursor(std::vector<std::string> ids) : ids_(std::move(ids)) {
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
  }
  void seek(std::string_view id) override {
    position_ =
        static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
  }
  bool valid() const override { return position_ < ids_.size(); }
  std::string_view id() const override { return ids_[position_]; }
  void next() override { ++position_; }
  Status status() const override { return ok_status(); }

 private:
  std::vector<std::string> ids_;
  std::size_t position_ = 0;
};

// Picks the index walk that yields a superset of the matches: fixed ids, the R-tree, type or
// attribute index, or (last resort) every entity of the tenant.
// A q term the attribute value index can answer (value_index_plan.hpp) narrows the candidates
// to the entities holding a matching value, when there are not too many of them. Without
// count=true a dense match is found faster by walking the type index, which stops at the page
// limit, so the index is only worth it for a few matches; with count=true every match must be
// read anyway and the index pays off up to a large share of the tenant.
constexpr std::size_t kValueIndexMaxIdsForPage = 1000;
constexpr std::size_t kValueIndexMaxIdsForCount = 50000;

Result<std::optional<std::vector<std::string>>> value_index_candidates(
    const store::EntityStore& store, std::string_view tenant, const query::QueryFilter& q,
    bool count) {
  auto plan = plan_value_index(q);
  if (!plan) return std::optional<std::vector<std::string>>{};
  auto scan = scan_value_plan(store, tenant, *plan,
                              count ? kValueIndexMaxIdsForCount : kValueIndexMaxIdsForPage);
  if (!scan) return std::move(scan).error();
  if (scan->truncated) return std::optional<std::vector<std::string>>{};
  return std::optional<std::vector<std::string>>(std::move(scan->ids));
}

// One cursor per selector when every selector names ids or types (ids, or a scan of each
// type alternative's first type: a superset of the matches); empty otherwise.
std::vector<std::unique_ptr<store::IdCursor>> selector_cursors(const store::EntityStore& store,
                                                               std::string_view tenant,
                                                               const EntityQuery& query) {
  std::vector<std::unique_ptr<store::IdCursor>> cursors;
  bool selectors_bound =
      !query.selectors.empty() &&
      std::all_of(query.selectors.begin(), query.selectors.end(),
                  [](const EntitySelector& s) { return !s.ids.empty() || !s.types.empty(); });
  if (!selectors_bound) return cursors;
  for (const auto& selector : query.selectors) {
    if (!selector.ids.empty()) {
      cursors.push_back(std::make_unique<ListCursor>(selector.ids));
      continue;
    }
    for (const auto& alternative : selector.types.alternatives) {
      cursors.push_back(store.scan(tenant, store::IndexSelector::type(alternative.front())));
    }
  }
  return cursors;
}

// Types of which every entity the selectors admit has at least one (empty: no such bound):
// one type of each alternative of each selector, as the type index scans take them.
std::vector<std::string> spatial_types(const EntityQuery& query) {
  std::vector<std::string> types;
  for (const auto& selector : query.selectors) {
    if (selector.types.empty()) return {};
    for (const auto& alternative : selector.types.alternatives) {
      if (alternative.empty()) return {};
      types.push_back(alternative.front());
    }
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

// Above this many candidates from the R-tree or the value index, they are intersected with
// the selectors' type index before any entity is read: a box or value range can hold
// thousands of entities of other types (in the benchmark, 160,000 created at one point), each
// of which would otherwise be read and parsed only to be rejected. Below it, reading the few
// candidates costs less than seeking the type index for each.
constexpr std::size_t kIntersectAbove = 256;

std::unique_ptr<store::IdCursor> candidates_of(const store::EntityStore& store,
                                               std::string_view tenant, const EntityQuery& query,
                                               std::vector<std::string> ids) {
  bool many = ids.size() > kIntersectAbove;
  auto list = std::make_unique<ListCursor>(std::move(ids));
  if (!many) return list;
  auto selectors = selector_cursors(store, tenant, query);
  if (selectors.empty()) return list;
  return std::make_unique<IntersectionCursor>(std::move(list),
                                              std::make_unique<MergedCursor>(std::move(selectors)));
}

Result<std::vector<std::unique_ptr<store::IdCursor>>> choose_cursors(
    const store::EntityStore& store, std::string_view tenant, const EntityQuery& query) {
  std::vector<std::unique_ptr<store::IdCursor>> cursors;
  bool all_ids = !query.selectors.empty() &&
                 std::all_of(query.selectors.begin(), query.selectors.end(),
                             [](const EntitySelector& s) { return !s.ids.empty(); });
  if (!all_ids && query.geo) {
    if (auto box = query.geo->search_box()) {
      const geo::GeoQuery& geo_query = *query.geo;
      std::vector<std::string> types = spatial_types(query);
      store::BoxQuery box_query{
          query.geoproperty_iri, store::Box{box->min_x, box->min_y, box->max_x, box->max_y}, types,
          [&geo_query](const store::Box& own) {
            return geo_query.may_match_box({own.min_x, own.min_y, own.max_x, own.max_y});
          }};
      auto ids = store.ids_in_box(tenant, box_query);
      if (!ids) return std::move(ids).error();
      cursors.push_back(candidates_of(store, tenant, query, std::move(*ids)));
      return cursors;
    }
  }
  if (!all_ids && query.q) {
    auto ids = value_index_candidates(store, tenant, *query.q, query.count);
    if (!ids) return std::move(ids).error();
    if (*ids) {
      cursors.push_back(candidates_of(store, tenant, query, std::move(**ids)));
      return cursors;
    }
  }
  cursors = selector_cursors(store, tenant, query);
  if (!cursors.empty()) return cursors;
  if (!query.attrs.empty()) {
    for (const auto& attr : query.attrs) {
      cursors.push_back(store.scan(tenant, store::IndexSelector::attribute(attr)));
    }
  } else if (query.q && !query.q->required_attributes().empty()) {
    cursors.push_back(store.scan(
        tenant, store::IndexSelector::attribute(query.q->required_attributes().front())));
  } else if (query.geo) {
    cursors.push_back(store.scan(tenant, store::IndexSelector::attribute(query.geoproperty_iri)));
  } else {
    cursors.push_back(store.scan(tenant, store::IndexSelector::all()));
  }
  return cursors;
}

// Without count, a page needs offset + limit + 1 matches (the one past the page answers
// `more`): fetching no more candidates than are still missing saves reading and parsing a
// whole batch when most candidates match, as they do behind an index (a 20-entity page read
// 64 entities before). At least kMinFetchBatch, so that sparse matches do not cost a read
// per candidate.
constexpr std::size_t kMinFetchBatch = 8;

std::size_t fetch_size(const EntityQuery& query, std::uint64_t matched) {
  if (query.count) return kFetchBatch;
  std::uint64_t wanted = query.offset + query.limit + 1;
  std::uint64_t missing = wanted > matched ? wanted - matched : 1;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(missing, kMinFetchBatch, kFetchBatch));
}

bool next_batch(MergedCursor& cursor, std::size_t size, std::vector<std::string>& batch) {
  batch.clear();
  while (cursor.valid() && batch.size() < size) {
    batch.emplace_back(cursor.id());
    cursor.next();
  }
  return !batch.empty();
}

}  // namespace

Result<QueryResult> EntityService::query(std::string_view tenant, const EntityQuery& query) const {
  CT_RETURN_IF_ERROR(require_tenant(tenant));
  auto matcher = EntityMatcher::create(query);
  if (!matcher) return std::move(matcher).error();
  auto cursors = choose_cursors(store_, tenant, query);
  if (!cursors) return std::move(cursors).error();
  MergedCursor candidates(std::move(*cursors));

  QueryResult result;
  std::uint64_t matched = 0;
  std::vector<std::string> batch;
  while (next_batch(candidates, fetch_size(query, matched), batch)) {
    auto documents = store_.multi_get(tenant, batch);
    if (!documents) return std::move(documents).error();
    for (auto& document : *documents) {
      if (!document) continue;  // deleted between index scan and read
      boost::system::error_code ec;
      auto parsed = citytwin::parse_json(*document, ec);
      if (ec || !parsed.is_object()) continue;
      if (query.restriction) query.restriction->redact(parsed.as_object());
      if (!matcher->matches(parsed.as_object())) continue;
      if (matched >= query.offset && result.entities.size() < query.limit) {
        result.entities.push_back(std::move(parsed.as_object()));
      } else if (matched >= query.offset) {
        result.more = true;  // a match past the full page
      }
      ++matched;
    }
    // Without count, stop once a match past the page is seen: that answers `more` at the cost
    // of at most one batch beyond the page.
    if (result.more && !query.count) break;
  }
  CT_RETURN_IF_ERROR(candidates.status());
  if (query.count) result.total = matched;
  return result;
}

}  // namespace citytwin::core
