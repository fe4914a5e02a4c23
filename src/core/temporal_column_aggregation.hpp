#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/core/aggregated_attrs.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/store/entity_store.hpp"
#include "citytwin/store/history_chunk_stats.hpp"
#include "period_bound_texts.hpp"

namespace citytwin::core {

// Aggregated temporal representations (GS CIM 009 clause 4.5.19) computed straight from the
// store's history columns (EntityStore::visit_history_columns): no instance is rebuilt as
// JSON except the newest of each batch (for its type) and those whose value is not a plain
// "value" member (Relationships, LanguageProperties, ...), and memory holds the periods'
// aggregates, not the samples, so a year of minute readings is no TooManyResults.

// Whether a query can take this path: aggregated, by observedAt or modifiedAt, without
// lastN (the others need every instance: aggregate_history in temporal_aggregate.hpp).
bool aggregates_from_columns(const TemporalQuery& query);

// The entity's aggregated attributes as aggregate_history() would give them for the same
// selection. Walks the history once for a `between` query, twice otherwise (the first walk
// finds the range the periods are laid over).
Result<AggregatedAttrs> aggregate_from_columns(const store::EntityStore& store,
                                               std::string_view tenant, std::string_view id,
                                               const TemporalQuery& query);
// The same, the main walk through `reader` (one of a page's entities after another), the
// periods' bounds written from `bounds` when given (HistoryAggregator::finish).
Result<AggregatedAttrs> aggregate_from_columns(const store::EntityStore& store,
                                               store::SummarizedHistoryReader& reader,
                                               std::string_view tenant, std::string_view id,
                                               const TemporalQuery& query,
                                               PeriodBoundTexts* bounds = nullptr);

}  // namespace citytwin::core
