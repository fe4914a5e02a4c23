#include "history_chunk_span.hpp"

#include "citytwin/series/byte_io.hpp"
#include "history_chunk_codec.hpp"

namespace citytwin::store::kv {
namespace {

constexpr std::uint8_t kWithoutSpans = 0;
constexpr std::uint8_t kWithSpans = 1;

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ (0 - (static_cast<std::uint64_t>(value) >> 63));
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>((value >> 1) ^ (0 - (value & 1)));
}

Error corrupt_span(const char* what) {
  return make_error(ErrorKind::kInternalError,
                    std::string("storage: corrupt history chunk span: ") + what);
}

}  // namespace

Result<std::string> encode_chunk_span(std::string_view chunk_bytes) {
  auto summary = peek_history_chunk(chunk_bytes, ChunkPeek::kStatistics);
  if (!summary.ok()) return std::move(summary).error();
  std::string out;
  if (!summary->stats) {
    out.push_back(static_cast<char>(kWithoutSpans));
    return out;
  }
  const HistoryChunkStats& stats = *summary->stats;
  out.push_back(static_cast<char>(kWithSpans));
  series::append_varint(out, stats.count);
  series::append_varint(out, stats.deleted_count);
  series::append_varint(out, stats.observed_count);
  // Differences in wrapping arithmetic: exact for any instants, undone the same way.
  const auto min_modified = static_cast<std::uint64_t>(stats.min_modified_at);
  series::append_varint(out, static_cast<std::uint64_t>(stats.max_modified_at) - min_modified);
  if (stats.observed_count != 0) {
    series::append_varint(
        out, zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(stats.min_observed_at) -
                                              min_modified)));
    series::append_varint(out, static_cast<std::uint64_t>(stats.max_observed_at) -
                                   static_cast<std::uint64_t>(stats.min_observed_at));
  }
  return out;
}

Result<std::optional<HistoryChunkStats>> decode_chunk_span(std::string_view span,
                                                           std::int64_t min_modified_at) {
  series::ByteReader in(span);
  std::uint8_t format = 0;
  if (!in.read_u8(format) || format > kWithSpans) return corrupt_span("format");
  if (format == kWithoutSpans) {
    if (in.remaining() != 0) return corrupt_span("length");
    return std::optional<HistoryChunkStats>();
  }
  HistoryChunkStats stats;
  std::uint64_t modified_width = 0;
  if (!in.read_varint(stats.count) || !in.read_varint(stats.deleted_count) ||
      !in.read_varint(stats.observed_count) || !in.read_varint(modified_width) ||
      stats.deleted_count > stats.count || stats.observed_count > stats.count) {
    return corrupt_span("counts");
  }
  const auto min_modified = static_cast<std::uint64_t>(min_modified_at);
  stats.min_modified_at = min_modified_at;
  stats.max_modified_at = static_cast<std::int64_t>(min_modified + modified_width);
  if (stats.max_modified_at < stats.min_modified_at) return corrupt_span("modifiedAt span");
  if (stats.observed_count != 0) {
    std::uint64_t offset = 0;
    std::uint64_t observed_width = 0;
    if (!in.read_varint(offset) || !in.read_varint(observed_width)) {
      return corrupt_span("observedAt span");
    }
    const std::uint64_t min_observed = min_modified + static_cast<std::uint64_t>(unzigzag(offset));
    stats.min_observed_at = static_cast<std::int64_t>(min_observed);
    stats.max_observed_at = static_cast<std::int64_t>(min_observed + observed_width);
    if (stats.max_observed_at < stats.min_observed_at) return corrupt_span("observedAt span");
  }
  if (in.remaining() != 0) return corrupt_span("length");
  return std::optional<HistoryChunkStats>(stats);
}

}  // namespace citytwin::store::kv
