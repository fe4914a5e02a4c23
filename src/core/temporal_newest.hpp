#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/core/temporal_query.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// lastN (GS CIM 009 clause 4.11: the newest n instances of each attribute) without decoding
// the whole history. The store orders an instance by modifiedAt, which need not be the
// query's order (observedAt), so this cannot just read backwards: the first walk hands over
// the raw samples and notes each compressed chunk's newest possible instant from its
// statistics, undecoded; then, per attribute, chunks are decoded newest first until the next
// one cannot hold an instant newer than the attribute's n-th newest so far.

// Whether a query can take this path: lastN by observedAt or modifiedAt.
bool selects_newest_first(const TemporalQuery& query);

using SampleVisitor = std::function<bool(const store::HistorySample&)>;
// The instant of the n-th newest sample the visitor keeps for an attribute (nullopt while it
// keeps fewer than n): samples older than it are not handed over.
using NewestKept = std::function<std::optional<std::int64_t>(std::string_view attribute)>;

// Hands `visit` every selected sample that can be among the newest n of its attribute
// (`attribute`: only that one; "" every one), with others besides, in no particular order;
// a sample may come twice (a raw row, and again when a chunk's range is read), so the visitor
// must ignore one it holds already (same dataset, modifiedAt and sequence).
Status visit_newest_candidates(const store::EntityStore& store, std::string_view tenant,
                               std::string_view id, std::string_view attribute,
                               const TemporalQuery& query, const SampleVisitor& visit,
                               const NewestKept& newest_kept);

}  // namespace citytwin::core
