#include "history_chunk_codec.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <optional>

#include "citytwin/common/date_time_buffer.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/series/byte_io.hpp"
#include "citytwin/series/chunk.hpp"
#include "citytwin/series/crc32c.hpp"
#include "citytwin/series/decimal_column.hpp"
#include "citytwin/series/text_column.hpp"
#include "citytwin/series/timestamp_column.hpp"
#include "citytwin/store/instance_text.hpp"

namespace citytwin::store::kv {
namespace {

using series::ValueKind;

// Slots of a residual: the members whose value was taken out of the instance's JSON text.
constexpr char kValueSlot = 'v';
constexpr char kObservedSlot = 'o';
constexpr char kModifiedSlot = 'm';
// A createdAt equal to the sample's modified_at: an instance appended through the temporal
// API is created when it is written. Left in the text, that instant made every residual
// unique (a hundred bytes a sample to store, checksum, decompress and allocate).
constexpr char kCreatedSlot = 'c';
constexpr std::uint8_t kMaxSlots = 4;
// How a kNumber value is written back (NumberStyle's characters).
constexpr char kIntegerStyle = static_cast<char>(NumberStyle::kInteger);
constexpr char kDoubleStyle = static_cast<char>(NumberStyle::kDouble);
constexpr char kNoStyle = static_cast<char>(NumberStyle::kNone);

Error corrupt(const std::string& what) {
  return make_error(ErrorKind::kInternalError, "storage: corrupt history chunk: " + what);
}

std::string quoted_instant(std::int64_t micros) {
  return "\"" + format_date_time(Instant{micros}) + "\"";
}

// ---- Residuals ------------------------------------------------------------------------------
//   u8 slot count, per slot: u8 slot kind + varint offset into the text (ascending),
//   u8 number style, then the instance's text with the slots' values cut out.

struct Split {
  ScalarValue value;
  std::string residual;
};

// Whether `text` is exactly quoted_instant(micros). A chunk's samples are a microsecond
// apart or so: each formatter mostly rewrites only the fraction of its previous instant.
bool is_quoted_instant(std::string_view text, std::int64_t micros, DateTimeFormatter& format) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return false;
  return text.substr(1, text.size() - 2) == format.format(Instant{micros});
}

struct InstantFormatters {
  DateTimeFormatter modified;
  DateTimeFormatter observed;
  std::vector<JsonMember> members;  // one instance's, reused: no allocation per instance
};

// The value as the instance's writer described it (InstanceLayout), or read from its text.
ScalarValue written_value(const InstanceLayout& layout, std::string_view text) {
  ScalarValue value;
  switch (layout.written) {
    case WrittenValue::kDouble:
      value.kind = ValueKind::kNumber;
      value.style = NumberStyle::kDouble;
      value.number = layout.number;
      return value;
    case WrittenValue::kInteger:
      value.kind = ValueKind::kNumber;
      value.style = NumberStyle::kInteger;
      value.number = layout.number;
      return value;
    case WrittenValue::kBool:
      value.kind = ValueKind::kBool;
      value.boolean = layout.boolean;
      return value;
    case WrittenValue::kPlainString:
      if (text.size() < 2 || text.front() != '"' || text.back() != '"') break;
      value.kind = ValueKind::kString;
      value.text = std::string(text.substr(1, text.size() - 2));
      return value;
    case WrittenValue::kUnknown:
      break;
  }
  return classify_value_text(text);
}

// Whether `span` lies after `from` in `text` and is the value of member `key` (the text
// before it is "key":).
bool is_member_value(std::string_view text, TextSpan span, std::size_t from, std::string_view key) {
  if (span.begin < from || span.end <= span.begin || span.end > text.size()) return false;
  const std::size_t head = key.size() + 3;  // "key":
  if (span.begin < head) return false;
  std::string_view before = text.substr(span.begin - head, head);
  return before.front() == '"' && before.substr(1, key.size()) == key &&
         before.substr(key.size() + 1) == "\":";
}

// The members of one instance's text taken out into columns, in text order.
struct Cuts {
  struct Cut {
    char slot;
    std::size_t begin;
    std::size_t end;
  };
  Cut cut[kMaxSlots];
  std::size_t count = 0;
  void add(char slot, std::size_t begin, std::size_t end) { cut[count++] = {slot, begin, end}; }
};

// Whether a member's text is exactly what the columns restore: the sample's observed_at, or
// its modified_at (for createdAt and modifiedAt, formatted once).
class SampleInstants {
 public:
  SampleInstants(const HistorySample& sample, InstantFormatters& formatters)
      : sample_(sample), formatters_(formatters) {}

  bool is_observed_at(std::string_view text) {
    return sample_.observed_at &&
           is_quoted_instant(text, *sample_.observed_at, formatters_.observed);
  }
  bool is_modified_at(std::string_view text) {
    // The view lasts until the formatter's next format.
    if (!modified_text_) {
      modified_text_ = formatters_.modified.format(Instant{sample_.modified_at});
    }
    return text.size() == modified_text_->size() + 2 && text.front() == '"' && text.back() == '"' &&
           text.substr(1, text.size() - 2) == *modified_text_;
  }

 private:
  const HistorySample& sample_;
  InstantFormatters& formatters_;
  std::optional<std::string_view> modified_text_;
};

// The members where the writer's layout says they are: the same cuts as cut_by_search().
// False, with nothing cut, when the layout does not hold for this text.
bool cut_as_laid_out(const HistorySample& sample, SampleInstants& instants, Cuts& cuts,
                     ScalarValue& value) {
  const std::string_view instance = sample.instance;
  const InstanceLayout& layout = sample.layout;
  if (layout.size == 0 || layout.size != instance.size() ||
      !is_member_value(instance, layout.value, 0, "value")) {
    return false;
  }
  auto text_of = [&](TextSpan span) { return instance.substr(span.begin, span.end - span.begin); };
  cuts.add(kValueSlot, layout.value.begin, layout.value.end);
  std::size_t from = layout.value.end;
  struct Optional {
    TextSpan span;
    std::string_view key;
    char slot;
  };
  for (const Optional& member : {Optional{layout.observed_at, "observedAt", kObservedSlot},
                                 Optional{layout.created_at, "createdAt", kCreatedSlot},
                                 Optional{layout.modified_at, "modifiedAt", kModifiedSlot}}) {
    if (member.span.empty()) continue;
    if (!is_member_value(instance, member.span, from, member.key)) {
      cuts.count = 0;
      return false;
    }
    from = member.span.end;
    std::string_view text = text_of(member.span);
    bool matches = member.slot == kObservedSlot ? instants.is_observed_at(text)
                                                : instants.is_modified_at(text);
    if (matches) cuts.add(member.slot, member.span.begin, member.span.end);
  }
  value = written_value(layout, text_of(layout.value));
  return true;
}

// The members found by reading the text: the first "value", and observedAt, createdAt and
// modifiedAt when they hold the sample's instants. False when the text is not an object.
bool cut_by_search(const HistorySample& sample, SampleInstants& instants,
                   std::vector<JsonMember>& members, Cuts& cuts, ScalarValue& value) {
  const std::string_view instance = sample.instance;
  if (!top_level_members(instance, members)) return false;
  bool have_value = false;
  bool have_observed = false;
  bool have_modified = false;
  bool have_created = false;
  for (const JsonMember& member : members) {
    std::string_view text =
        instance.substr(member.value_begin, member.value_end - member.value_begin);
    if (member.key == "value" && !have_value) {
      have_value = true;
      value = classify_value_text(text);
      cuts.add(kValueSlot, member.value_begin, member.value_end);
    } else if (member.key == "observedAt" && !have_observed && instants.is_observed_at(text)) {
      have_observed = true;
      cuts.add(kObservedSlot, member.value_begin, member.value_end);
    } else if (member.key == "modifiedAt" && !have_modified && instants.is_modified_at(text)) {
      have_modified = true;
      cuts.add(kModifiedSlot, member.value_begin, member.value_end);
    } else if (member.key == "createdAt" && !have_created && instants.is_modified_at(text)) {
      have_created = true;
      cuts.add(kCreatedSlot, member.value_begin, member.value_end);
    }
  }
  return true;
}

// The header (slots with their offsets into the text without them, then the number style)
// and that text, written in one go: cuts come in text order, so they are ascending.
std::string residual_of(std::string_view instance, const Cuts& cuts, NumberStyle style) {
  std::size_t cut_bytes = 0;
  for (std::size_t i = 0; i < cuts.count; ++i) cut_bytes += cuts.cut[i].end - cuts.cut[i].begin;
  std::string residual;
  residual.reserve(2 + cuts.count * 4 + instance.size() - cut_bytes);
  residual.push_back(static_cast<char>(cuts.count));
  std::size_t removed = 0;
  for (std::size_t i = 0; i < cuts.count; ++i) {
    residual.push_back(cuts.cut[i].slot);
    series::append_varint(residual, cuts.cut[i].begin - removed);
    removed += cuts.cut[i].end - cuts.cut[i].begin;
  }
  residual.push_back(static_cast<char>(style));
  std::size_t copied = 0;
  for (std::size_t i = 0; i < cuts.count; ++i) {
    residual.append(instance, copied, cuts.cut[i].begin - copied);
    copied = cuts.cut[i].end;
  }
  residual.append(instance, copied);
  return residual;
}

Split split_instance(const HistorySample& sample, InstantFormatters& formatters) {
  Split split;
  Cuts cuts;
  SampleInstants instants(sample, formatters);
  if (sample.deleted || (!cut_as_laid_out(sample, instants, cuts, split.value) &&
                         !cut_by_search(sample, instants, formatters.members, cuts, split.value))) {
    split.value = ScalarValue{};
    split.residual.assign(1, '\0');
    split.residual.push_back(kNoStyle);
    split.residual.append(sample.instance);
    return split;
  }
  split.residual = residual_of(sample.instance, cuts, split.value.style);
  return split;
}

Status restore_instance(std::string_view residual, const series::ChunkColumns& columns,
                        std::size_t index, HistorySample& sample) {
  series::ByteReader in(residual);
  std::uint8_t slots = 0;
  if (!in.read_u8(slots) || slots > kMaxSlots) return corrupt("bad residual slot count");
  struct Slot {
    char kind;
    std::uint64_t offset;
  };
  Slot cuts[kMaxSlots];
  for (std::uint8_t i = 0; i < slots; ++i) {
    std::uint8_t kind = 0;
    if (!in.read_u8(kind) || !in.read_varint(cuts[i].offset)) return corrupt("bad residual slot");
    cuts[i].kind = static_cast<char>(kind);
  }
  std::uint8_t style = 0;
  std::string_view rest;
  if (!in.read_u8(style) || !in.read_bytes(in.remaining(), rest)) {
    return corrupt("truncated residual");
  }
  std::string instance;
  instance.reserve(rest.size() + 64);
  std::uint64_t copied = 0;
  for (std::uint8_t i = 0; i < slots; ++i) {
    if (cuts[i].offset < copied || cuts[i].offset > rest.size()) {
      return corrupt("residual slot out of order");
    }
    instance.append(rest.substr(copied, cuts[i].offset - copied));
    copied = cuts[i].offset;
    switch (cuts[i].kind) {
      case kObservedSlot:
        if (!sample.observed_at) return corrupt("observedAt slot without observed_at");
        instance.append(quoted_instant(*sample.observed_at));
        break;
      case kModifiedSlot:
      case kCreatedSlot:
        instance.append(quoted_instant(sample.modified_at));
        break;
      case kValueSlot:
        switch (columns.kinds[index]) {
          case ValueKind::kNumber: {
            double number = columns.numbers[index];
            if (style == kDoubleStyle && std::isfinite(number)) {
              instance.append(format_double(number));
            } else if (style == kIntegerStyle && std::abs(number) <= kMaxExactInteger &&
                       std::trunc(number) == number) {
              instance.append(format_integer(static_cast<std::int64_t>(number)));
            } else {
              return corrupt("number without a valid style");
            }
            break;
          }
          case ValueKind::kBool:
            instance.append(columns.numbers[index] != 0 ? "true" : "false");
            break;
          case ValueKind::kString:
            instance.push_back('"');
            instance.append(columns.dictionary[columns.text_indices[index]]);
            instance.push_back('"');
            break;
          case ValueKind::kJson:
            instance.append(columns.dictionary[columns.text_indices[index]]);
            break;
          case ValueKind::kNull:
            return corrupt("value slot without a value");
        }
        break;
      default:
        return corrupt("unknown residual slot");
    }
  }
  instance.append(rest.substr(copied));
  sample.instance = std::move(instance);
  return ok_status();
}

// ---- Statistics (version 2) -------------------------------------------------------------

constexpr std::uint8_t kHasNumberSummary = 1;
constexpr std::uint8_t kHasDaySummaries = 2;
constexpr std::int64_t kDayMicros = 86'400'000'000;
// More days than this in one chunk (sparse data) are not summarized per day: the section
// would outgrow what it saves.
constexpr std::size_t kMaxDaySummaries = 64;

// The start of micros' UTC day, or nullopt for the partial day just above INT64_MIN, whose
// start is not representable (UBSan found the overflow with an extreme test timestamp).
std::optional<std::int64_t> day_start(std::int64_t micros) {
  std::int64_t into_day = micros % kDayMicros;
  if (into_day < 0) into_day += kDayMicros;
  std::int64_t start = 0;
  if (__builtin_sub_overflow(micros, into_day, &start)) return std::nullopt;
  return start;
}

void append_summary(std::string& out, const series::NumberSummary& numbers) {
  for (double x :
       {numbers.sum, numbers.sumsq, numbers.mean, numbers.m2, numbers.min, numbers.max}) {
    series::append_u64(out, std::bit_cast<std::uint64_t>(x));
  }
}

bool read_summary(series::ByteReader& in, std::uint64_t count, series::NumberSummary& numbers) {
  std::uint64_t bits[6];
  for (std::uint64_t& word : bits) {
    if (!in.read_u64(word)) return false;
  }
  numbers.count = count;
  numbers.sum = std::bit_cast<double>(bits[0]);
  numbers.sumsq = std::bit_cast<double>(bits[1]);
  numbers.mean = std::bit_cast<double>(bits[2]);
  numbers.m2 = std::bit_cast<double>(bits[3]);
  numbers.min = std::bit_cast<double>(bits[4]);
  numbers.max = std::bit_cast<double>(bits[5]);
  return true;
}

// Gathers a chunk's statistics as its samples are encoded, in their order (the number
// summaries add values in the order the Aggregator would).
class StatsBuilder {
 public:
  void add(const HistorySample& sample, const ScalarValue& value) {
    ++count_;
    if (sample.deleted) ++stats_.deleted_count;
    if (sample.observed_at) {
      std::int64_t at = *sample.observed_at;
      if (stats_.observed_count == 0 || at < stats_.min_observed_at) stats_.min_observed_at = at;
      if (stats_.observed_count == 0 || at > stats_.max_observed_at) stats_.max_observed_at = at;
      ++stats_.observed_count;
    }
    if (!sample.deleted && value.kind == ValueKind::kNumber && !std::isnan(value.number)) {
      numbers_.add(value.number);
      if (sample.observed_at) add_to_day(*sample.observed_at, value.number);
    } else {
      all_numbers_ = false;
    }
  }

  std::string encode() const {
    std::string out;
    bool summary = all_numbers_ && numbers_.count == count_ && count_ > 0;
    bool days = summary && stats_.observed_count == count_ && !too_many_days_;
    std::uint8_t flags = summary ? kHasNumberSummary : 0;
    if (days) flags |= kHasDaySummaries;
    series::append_u8(out, flags);
    series::append_varint(out, stats_.deleted_count);
    series::append_varint(out, stats_.observed_count);
    series::append_u64(out, static_cast<std::uint64_t>(stats_.min_observed_at));
    series::append_u64(out, static_cast<std::uint64_t>(stats_.max_observed_at));
    if (summary) append_summary(out, numbers_);
    if (days) {
      auto sorted = days_;
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      series::append_varint(out, sorted.size());
      for (const auto& [start, numbers] : sorted) {
        series::append_u64(out, static_cast<std::uint64_t>(start));
        series::append_varint(out, numbers.count);
        append_summary(out, numbers);
      }
    }
    return out;
  }

 private:
  void add_to_day(std::int64_t observed_at, double value) {
    if (too_many_days_) return;
    std::optional<std::int64_t> day = day_start(observed_at);
    if (!day) {  // no exact per-day summary possible: the chunk goes without day summaries
      too_many_days_ = true;
      return;
    }
    std::int64_t start = *day;
    auto found = std::find_if(days_.begin(), days_.end(),
                              [&](const auto& day) { return day.first == start; });
    if (found == days_.end()) {
      if (days_.size() == kMaxDaySummaries) {
        too_many_days_ = true;
        return;
      }
      days_.emplace_back(start, series::NumberSummary());
      found = days_.end() - 1;
    }
    found->second.add(value);
  }

  std::uint64_t count_ = 0;
  HistoryChunkStats stats_;
  series::NumberSummary numbers_;
  bool all_numbers_ = true;
  // Per UTC day of observedAt, in order of first appearance (sorted when encoded).
  std::vector<std::pair<std::int64_t, series::NumberSummary>> days_;
  bool too_many_days_ = false;
};

Status decode_days(series::ByteReader& in, std::uint32_t count, HistoryChunkStats& stats) {
  std::uint64_t days = 0;
  if (!in.read_varint(days) || days > kMaxDaySummaries) return corrupt("bad day summaries");
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < days; ++i) {
    std::uint64_t start = 0;
    std::uint64_t day_count = 0;
    series::NumberSummary numbers;
    if (!in.read_u64(start) || !in.read_varint(day_count) || day_count == 0 || day_count > count ||
        !read_summary(in, day_count, numbers)) {
      return corrupt("bad day summary");
    }
    auto day = static_cast<std::int64_t>(start);
    if (day_start(day) != std::optional<std::int64_t>(day) ||
        (!stats.days.empty() && day <= stats.days.back().first)) {
      return corrupt("bad day summary");
    }
    total += day_count;
    stats.days.emplace_back(day, numbers);
  }
  if (total != count) return corrupt("day summaries do not add up");
  return ok_status();
}

Result<HistoryChunkStats> decode_stats(std::string_view bytes, std::uint32_t count) {
  series::ByteReader in(bytes);
  HistoryChunkStats stats;
  std::uint8_t flags = 0;
  std::uint64_t min_observed = 0;
  std::uint64_t max_observed = 0;
  if (!in.read_u8(flags) || (flags & ~(kHasNumberSummary | kHasDaySummaries)) != 0 ||
      ((flags & kHasDaySummaries) != 0 && (flags & kHasNumberSummary) == 0) ||
      !in.read_varint(stats.deleted_count) || !in.read_varint(stats.observed_count) ||
      !in.read_u64(min_observed) || !in.read_u64(max_observed) || stats.deleted_count > count ||
      stats.observed_count > count) {
    return corrupt("bad statistics");
  }
  stats.count = count;
  stats.min_observed_at = static_cast<std::int64_t>(min_observed);
  stats.max_observed_at = static_cast<std::int64_t>(max_observed);
  if ((flags & kHasNumberSummary) != 0) {
    series::NumberSummary numbers;
    if (!read_summary(in, count, numbers)) return corrupt("truncated statistics");
    stats.numbers = numbers;
  }
  if ((flags & kHasDaySummaries) != 0) CT_RETURN_IF_ERROR(decode_days(in, count, stats));
  if (in.remaining() != 0) return corrupt("bad statistics");
  return stats;
}

bool key_less(const HistorySample& a, const HistorySample& b) {
  return a.modified_at != b.modified_at ? a.modified_at < b.modified_at : a.sequence < b.sequence;
}

}  // namespace

namespace {

// Everything of a chunk but the sequences section and the checksum; `sequences` gets the
// samples' sequences when asked for.
Result<PreparedHistoryChunk> encode_parts(std::span<const HistorySample> samples,
                                          std::vector<std::int64_t>* sequences) {
  if (samples.size() > series::kMaxChunkSamples) {
    return make_error(ErrorKind::kInternalError, "storage: history chunk too large");
  }
  series::ChunkBuilder builder;
  std::string deleted((samples.size() + 7) / 8, '\0');
  bool any_deleted = false;
  std::vector<std::string> residuals;
  StatsBuilder stats;
  InstantFormatters formatters;
  if (sequences != nullptr) sequences->reserve(samples.size());
  residuals.reserve(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const HistorySample& sample = samples[i];
    Split split = split_instance(sample, formatters);
    stats.add(sample, split.value);
    series::Sample point;
    point.time = sample.modified_at;
    point.time2 = sample.observed_at;
    point.kind = split.value.kind;
    point.number = split.value.number;
    point.boolean = split.value.boolean;
    point.text = std::move(split.value.text);
    builder.add(std::move(point));
    if (sequences != nullptr) sequences->push_back(static_cast<std::int64_t>(sample.sequence));
    if (sample.deleted) {
      any_deleted = true;
      deleted[i / 8] = static_cast<char>(deleted[i / 8] | (1 << (i % 8)));
    }
    residuals.push_back(std::move(split.residual));
  }
  auto chunk = builder.finish();
  if (!chunk.ok()) return std::move(chunk).error();
  std::vector<std::string_view> residual_views(residuals.begin(), residuals.end());
  PreparedHistoryChunk parts;
  parts.count = samples.size();
  series::append_u8(parts.head, kHistoryChunkVersion);
  series::append_section(parts.head, stats.encode());
  series::append_section(parts.head, *chunk);
  series::append_section(parts.tail, any_deleted ? deleted : std::string());
  series::append_section(parts.tail,
                         series::encode_text_column(series::make_text_column(residual_views)));
  return parts;
}

std::string assemble(const PreparedHistoryChunk& parts, std::span<const std::int64_t> sequences) {
  std::string out;
  std::string encoded_sequences = series::encode_timestamps(sequences);
  out.reserve(parts.head.size() + parts.tail.size() + encoded_sequences.size() + 16);
  out += parts.head;
  series::append_section(out, encoded_sequences);
  out += parts.tail;
  series::append_u32(out, series::crc32c(out));
  return out;
}

}  // namespace

Result<std::string> encode_history_chunk(std::span<const HistorySample> samples) {
  // The series builder sorts by time (stably); sorted input keeps every column aligned.
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (key_less(samples[i], samples[i - 1])) {
      return make_error(ErrorKind::kInternalError, "storage: history chunk samples not sorted");
    }
  }
  std::vector<std::int64_t> sequences;
  auto parts = encode_parts(samples, &sequences);
  if (!parts.ok()) return std::move(parts).error();
  return assemble(*parts, sequences);
}

Result<PreparedHistoryChunk> prepare_history_chunk(std::span<const HistorySample> samples) {
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].modified_at <= samples[i - 1].modified_at) {
      return make_error(ErrorKind::kInternalError,
                        "storage: bulk history chunk samples not strictly increasing");
    }
  }
  return encode_parts(samples, nullptr);
}

std::string finish_history_chunk(const PreparedHistoryChunk& prepared, std::uint64_t sequence) {
  std::vector<std::int64_t> sequences(prepared.count, static_cast<std::int64_t>(sequence));
  return assemble(prepared, sequences);
}

namespace {

// The sections before the series chunk's companions, CRC not checked.
struct Front {
  std::uint8_t version = 0;
  std::string_view stats;  // empty in version 1
  std::string_view chunk;
};

Result<Front> read_front(series::ByteReader& in) {
  Front front;
  if (!in.read_u8(front.version)) return corrupt("empty");
  if (front.version != kHistoryChunkVersion && front.version != kHistoryChunkVersionWithoutStats) {
    return corrupt("unknown version");
  }
  if (front.version == kHistoryChunkVersion && !in.read_section(front.stats)) {
    return corrupt("truncated statistics");
  }
  if (!in.read_section(front.chunk)) return corrupt("truncated series chunk");
  return front;
}

// Every section of a chunk whose last 4 bytes are its checksum (not verified here).
struct Sections {
  Front front;
  std::string_view sequences;
  std::string_view deleted;
  std::string_view residuals;
};

Result<Sections> read_sections(std::string_view bytes) {
  if (bytes.size() < 4) return corrupt("truncated");
  series::ByteReader in(bytes.substr(0, bytes.size() - 4));
  auto front = read_front(in);
  if (!front.ok()) return std::move(front).error();
  Sections sections{*front, {}, {}, {}};
  if (!in.read_section(sections.sequences) || !in.read_section(sections.deleted) ||
      !in.read_section(sections.residuals) || in.remaining() != 0) {
    return corrupt("bad sections");
  }
  return sections;
}

bool checksum_matches(std::string_view bytes) {
  if (bytes.size() < 4) return false;
  series::ByteReader trailer(bytes.substr(bytes.size() - 4));
  std::uint32_t stored_crc = 0;
  return trailer.read_u32(stored_crc) &&
         stored_crc == series::crc32c(bytes.substr(0, bytes.size() - 4));
}

}  // namespace

Result<HistoryChunkSummary> peek_history_chunk(std::string_view bytes, ChunkPeek peek) {
  series::ByteReader in(bytes);
  auto front = read_front(in);
  if (!front.ok()) return std::move(front).error();
  auto header = series::peek_chunk_header(front->chunk);
  if (!header.ok()) return std::move(header).error();
  HistoryChunkSummary summary{header->count, header->min_time, header->max_time, std::nullopt};
  if (peek == ChunkPeek::kStatistics && front->version == kHistoryChunkVersion) {
    // Statistics may answer a query without the chunk ever being decoded, so they are
    // trusted only under the checksum that decoding would have verified.
    if (!checksum_matches(bytes)) return corrupt("checksum mismatch");
    auto stats = decode_stats(front->stats, header->count);
    if (!stats.ok()) return std::move(stats).error();
    stats->min_modified_at = header->min_time;
    stats->max_modified_at = header->max_time;
    summary.stats = std::move(*stats);
  }
  return summary;
}

Result<bool> read_observed_decimals(std::string_view bytes, series::Time2Decimals& out) {
  auto sections = read_sections(bytes);
  if (!sections.ok()) return std::move(sections).error();
  if (!sections->deleted.empty()) return false;  // deletions
  return series::read_time2_decimals(sections->front.chunk, out);
}

Result<HistorySample> rebuild_observed_decimal(std::string_view bytes,
                                               const series::Time2Decimals& columns,
                                               std::size_t index) {
  const std::size_t count = columns.times2.size();
  if (index >= count || columns.scaled.size() != count) return corrupt("sample index");
  auto sections = read_sections(bytes);
  if (!sections.ok()) return std::move(sections).error();
  auto residuals = series::TextColumnView::open(sections->residuals, count);
  if (!residuals.ok()) return std::move(residuals).error();
  auto residual = residuals->at(index);
  if (!residual.ok()) return std::move(residual).error();
  HistorySample sample;
  sample.observed_at = columns.times2[index];
  // The newest sample (the one a type is asked of) is the chunk's last by modifiedAt: its
  // time is in the chunk's header, and the column need not be decoded.
  auto header = series::peek_chunk_header(sections->front.chunk);
  if (!header.ok()) return std::move(header).error();
  if (header->count != count) return corrupt("column lengths");
  if (index + 1 == count) {
    sample.modified_at = header->max_time;
  } else {
    auto modified = series::read_chunk_times(sections->front.chunk);
    if (!modified.ok()) return std::move(modified).error();
    if (modified->size() != count) return corrupt("column lengths");
    sample.modified_at = (*modified)[index];
  }
  // The sample's value as restore_instance reads it: a one-entry column.
  series::ChunkColumns value;
  value.kinds = {series::ValueKind::kNumber};
  value.numbers = {
      series::decimal_value(columns.scaled[index], series::power_of_ten(columns.decimal_exponent))};
  CT_RETURN_IF_ERROR(restore_instance(*residual, value, 0, sample));
  return sample;
}

std::function<Result<HistorySample>()> kept_observed_decimal(std::string_view bytes,
                                                             std::size_t index) {
  return [bytes = std::string(bytes), index]() -> Result<HistorySample> {
    series::Time2Decimals columns;
    auto read = read_observed_decimals(bytes, columns);
    if (!read.ok()) return std::move(read).error();
    if (!*read) return corrupt("kept chunk of another shape");
    return rebuild_observed_decimal(bytes, columns, index);
  };
}

Result<DecodedHistoryChunk> DecodedHistoryChunk::open(std::string_view bytes, Checksum checksum) {
  if (bytes.size() < 4) return corrupt("truncated");
  if (checksum == Checksum::kVerify && !checksum_matches(bytes)) {
    return corrupt("checksum mismatch");
  }
  series::ByteReader in(bytes.substr(0, bytes.size() - 4));
  auto front = read_front(in);
  if (!front.ok()) return std::move(front).error();
  std::string_view chunk_bytes = front->chunk;
  std::string_view sequence_bytes, deleted, residual_bytes;
  if (!in.read_section(sequence_bytes) || !in.read_section(deleted) ||
      !in.read_section(residual_bytes) || in.remaining() != 0) {
    return corrupt("bad sections");
  }
  // The history chunk's checksum above covers the embedded series chunk.
  auto reader =
      series::ChunkReader::open(chunk_bytes, series::ChunkReader::Checksum::kCoveredByCaller);
  if (!reader.ok()) return std::move(reader).error();
  std::size_t count = reader->size();
  auto sequences = series::decode_timestamps(sequence_bytes, count);
  if (!sequences.ok()) return std::move(sequences).error();
  if (!deleted.empty() && deleted.size() != (count + 7) / 8) return corrupt("bad deleted flags");
  DecodedHistoryChunk out;
  out.columns_ = std::move(*reader).columns();
  out.sequences_ = std::move(*sequences);
  out.deleted_ = std::string(deleted);
  out.residual_bytes_ = std::string(residual_bytes);
  return out;
}

DecodedHistoryChunk::DecodedHistoryChunk(DecodedHistoryChunk&& other) noexcept
    : columns_(std::move(other.columns_)),
      sequences_(std::move(other.sequences_)),
      deleted_(std::move(other.deleted_)),
      residual_bytes_(std::move(other.residual_bytes_)) {
  other.residuals_.reset();
}

DecodedHistoryChunk& DecodedHistoryChunk::operator=(DecodedHistoryChunk&& other) noexcept {
  columns_ = std::move(other.columns_);
  sequences_ = std::move(other.sequences_);
  deleted_ = std::move(other.deleted_);
  residual_bytes_ = std::move(other.residual_bytes_);
  residuals_.reset();
  other.residuals_.reset();
  return *this;
}

Status DecodedHistoryChunk::load_residuals() const {
  auto residuals = series::TextColumnView::open(residual_bytes_, columns_.size());
  if (!residuals.ok()) return std::move(residuals).error();
  residuals_ = std::move(*residuals);
  return ok_status();
}

bool DecodedHistoryChunk::deleted(std::size_t index) const {
  return !deleted_.empty() &&
         (static_cast<unsigned char>(deleted_[index / 8]) >> (index % 8) & 1) != 0;
}

std::optional<std::int64_t> DecodedHistoryChunk::observed_at(std::size_t index) const {
  if (columns_.times2.empty() || !columns_.time2_present[index]) return std::nullopt;
  return columns_.times2[index];
}

Result<HistorySample> DecodedHistoryChunk::sample(std::size_t index) const {
  if (!residuals_) CT_RETURN_IF_ERROR(load_residuals());
  HistorySample sample;
  sample.modified_at = columns_.times[index];
  sample.observed_at = observed_at(index);
  sample.sequence = sequence(index);
  sample.deleted = deleted(index);
  auto residual = residuals_->at(index);
  if (!residual.ok()) return std::move(residual).error();
  CT_RETURN_IF_ERROR(restore_instance(*residual, columns_, index, sample));
  return sample;
}

Result<std::vector<HistorySample>> decode_history_chunk(std::string_view bytes,
                                                        std::string_view attribute,
                                                        std::string_view dataset_id) {
  auto chunk = DecodedHistoryChunk::open(bytes);
  if (!chunk.ok()) return std::move(chunk).error();
  std::vector<HistorySample> samples;
  samples.reserve(chunk->size());
  for (std::size_t i = 0; i < chunk->size(); ++i) {
    auto sample = chunk->sample(i);
    if (!sample.ok()) return std::move(sample).error();
    sample->attribute = std::string(attribute);
    sample->dataset_id = std::string(dataset_id);
    samples.push_back(std::move(*sample));
  }
  return samples;
}

}  // namespace citytwin::store::kv
