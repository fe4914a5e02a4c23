#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/store/history.hpp"

namespace citytwin::store {

// Consecutive samples of ONE attribute instance in (modified_at, sequence) order, column by
// column: what a reader that aggregates needs, without the instances' JSON. A store that
// keeps history compressed hands its chunks' columns over as they are decoded.
struct HistoryColumns {
  std::string attribute;   // expanded attribute name
  std::string dataset_id;  // "" for the default instance
  // One entry per sample in every vector: times = modified_at; times2 and time2_present =
  // observed_at (always sized, 0 where absent); kinds/numbers/text_indices/dictionary = the
  // instance's top-level "value" member as instance_text.hpp classifies it. kNull where the
  // sample is a deletion or its instance has no "value" member (a Relationship's "object",
  // a LanguageProperty's "languageMap", ...): rebuild the sample for those. values.scaled is
  // set when every sample of the batch comes from decimal chunks of one scale, none deleted
  // (the exact integer path of series::Aggregator).
  series::ChunkColumns values;
  std::vector<std::uint8_t> deleted;  // 1 where the sample records a deletion
  std::vector<std::uint64_t> sequences;
  // Rebuilds sample `index` whole (its instance JSON included), for what the columns leave
  // out; valid only during the visit.
  std::function<Result<HistorySample>(std::size_t index)> sample;

  std::size_t size() const { return values.times.size(); }
};

// false stops the walk.
using HistoryColumnsVisitor = std::function<bool(const HistoryColumns&)>;

}  // namespace citytwin::store
