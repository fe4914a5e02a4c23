#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

// How an attribute instance's samples (in key order) are cut into chunks. A chunk holds whole
// UTC days of observedAt while they fit in chunk_samples: a query over a day, or over days,
// then decodes only the chunks of those days, each wholly selected, instead of chunks
// straddling its bounds (docs/storage.md, "Chunks cut at UTC days"). A day with more samples
// than that is cut into pieces of near-equal size; so are samples whose observedAt is missing
// for some or does not ascend (they have no day order to keep).
namespace citytwin::store::kv {

// The end (exclusive) of every piece, ascending; the last is observed.size(). Empty for no
// samples. chunk_samples is at least 1.
std::vector<std::size_t> chunk_piece_ends(std::span<const std::optional<std::int64_t>> observed,
                                          std::size_t chunk_samples);

}  // namespace citytwin::store::kv
