#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace citytwin::store::kv {

// The column families of the database, in the order their handles are kept. Renaming one
// makes existing databases unreadable: names are part of the on-disk format.
enum class Family : std::size_t {
  kEntities,    // tenant|id -> document
  kEntityMeta,  // tenant|id -> encoded EntityMeta
  kTypeIndex,   // tenant|type|id -> ""
  kAttrIndex,   // tenant|attribute|id -> ""
  kGeo,         // tenant|attribute|id|n -> box
  kCounts,      // tenant|kind|term -> counter (merge operator)
  kTenants,     // tenant -> ""
  kDocuments,   // namespace|key -> value
  kValueIndex,  // tenant|attribute|value key|id -> "" (plus the migration marker, key "")
  kHistory,     // tenant|entity|attribute|dataset|modified_at|sequence -> sample (history_codec)
  // The same key as kHistory for the first sample of a chunk -> compressed samples of one
  // instance (history_chunk_codec). Added after the first release: DB::Open creates it
  // (create_missing_column_families) in an older database, as kHistoryTypes.
  kHistoryChunks,
  kHistoryTypes,  // tenant|type|id -> "": types recorded in entities' histories
  // The key of each kHistoryChunks entry -> its span (history_chunk_span.hpp), written in the
  // same batches (plus the marker, key "", once every chunk has its span). Created in an
  // older database as kHistoryChunks was; the open fills it.
  kHistoryChunkSpans,
};

inline constexpr std::array<std::string_view, 13> kFamilyNames = {
    "entities",       "entity_meta",   "type_index",          "attr_index",  "geo",
    "counts",         "tenants",       "documents",           "value_index", "history",
    "history_chunks", "history_types", "history_chunk_spans",
};

constexpr std::size_t index_of(Family family) {
  return static_cast<std::size_t>(family);
}

}  // namespace citytwin::store::kv
