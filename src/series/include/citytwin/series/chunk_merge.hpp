#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/series/sample.hpp"

namespace citytwin::series {

// The chunk size stores aim for: large enough for the codecs to pay off (headers and first
// raw values amortised), small enough that a late sample rewrites little.
inline constexpr std::size_t kDefaultChunkSamples = 1024;

// Sorts samples by primary timestamp (stable) and cuts them into consecutive chunks of at
// most max_samples each. No samples give no chunks.
Result<std::vector<std::string>> build_chunks(std::vector<Sample> samples,
                                              std::size_t max_samples = kDefaultChunkSamples);

// Re-cuts one chunk into chunks of at most max_samples.
Result<std::vector<std::string>> split_chunk(std::string_view chunk,
                                             std::size_t max_samples = kDefaultChunkSamples);

// Merges late data into an existing chunk: the union of both chunks' samples, re-sorted and
// re-cut at max_samples. Samples with equal timestamps keep existing ones first. Duplicates
// are kept (two instances observed at the same instant are both NGSI-LD instances).
Result<std::vector<std::string>> merge_chunks(std::string_view existing, std::string_view late,
                                              std::size_t max_samples = kDefaultChunkSamples);

}  // namespace citytwin::series
