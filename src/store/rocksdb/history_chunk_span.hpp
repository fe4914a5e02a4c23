#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/store/history_chunk_stats.hpp"

// Values of the `history_chunk_spans` column family (docs/storage.md, "Chunk spans"): for
// every chunk of `history_chunks`, under the same key, what a walk needs to pass the chunk by
// without reading it: its sample counts and its modifiedAt and observedAt spans, about 20
// bytes. A walk by observedAt (every aggregation over a time window) must otherwise look at
// each chunk of an instance, because chunks sort by modifiedAt: a day's window in a year of
// imported history meant reading every chunk's statistics. The entry is written, replaced and
// deleted in the same write batch as its chunk, so one snapshot always shows both alike.
//
//   u8      format: 1 = spans follow; 0 = the chunk has no statistics (a version-1 chunk):
//           look at the chunk itself
//   varint  sample count, deleted count, observedAt count
//   varint  max modifiedAt - min modifiedAt (the min is the key's instant)
//   with observedAt samples: zigzag varint min observedAt - min modifiedAt, then varint
//           max observedAt - min observedAt
namespace citytwin::store::kv {

// The span entry of the chunk `chunk_bytes` (its checksum is verified).
Result<std::string> encode_chunk_span(std::string_view chunk_bytes);

// The statistics a span entry gives, the number summaries and days left out; nullopt when
// it has none (look at the chunk). `min_modified_at` is the instant of the chunk's key.
Result<std::optional<HistoryChunkStats>> decode_chunk_span(std::string_view span,
                                                           std::int64_t min_modified_at);

}  // namespace citytwin::store::kv
