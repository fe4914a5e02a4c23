#pragma once

// Choosing the attribute value index for a q expression (ETSI GS CIM 009 V1.8.1, clause 4.9)
// and reading candidates from it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/model/query/query_filter.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Every entity matching q has a value key of `attribute` in one of `ranges`. A superset:
// candidates must still be checked with QueryFilter::matches.
struct ValuePlan {
  std::string attribute;  // expanded attribute IRI
  std::vector<store::ValueRange> ranges;
};

// At most this many values in an `a==v1,v2,...` list are turned into index lookups.
inline constexpr std::size_t kMaxPlannedValues = 8;

// A plan from one term of the top-level conjunction of q, or nullopt when no term fits.
// A term fits when it is on a top-level attribute (no sub-attribute, no [compound] path),
// its operator is ==, >, >=, <, <= (== with one value, a list of at most kMaxPlannedValues,
// or a range a..b), and its literals are numbers, booleans, quoted strings or (with ==)
// URIs, strings that read as dates or times excepted: q compares those as instants, which
// the byte order of their keys does not follow. != ~= !~=, existence, DateTime / Date / Time
// literals and disjunctions are never planned. Equality terms are preferred to ranges, and
// two-sided ranges to one-sided ones.
std::optional<ValuePlan> plan_value_index(const query::QueryFilter& q);

// The ids (ascending, unique) the plan's ranges yield, read with scan_values; truncated when
// more than max_ids distinct ids would be returned (or the store cannot answer): the caller
// must then use another plan.
Result<store::ValueScan> scan_value_plan(const store::EntityStore& store, std::string_view tenant,
                                         const ValuePlan& plan, std::size_t max_ids);

}  // namespace citytwin::core
