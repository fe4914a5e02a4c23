#include "rollup_rows.hpp"

#include <bit>

#include "citytwin/series/byte_io.hpp"

namespace citytwin::core {
namespace {

constexpr std::uint8_t kVersion = 1;

Error corrupt() {
  return make_error(ErrorKind::kInternalError, "corrupt rollup row");
}

void append_double(std::string& out, double value) {
  series::append_u64(out, std::bit_cast<std::uint64_t>(value));
}

bool read_double(series::ByteReader& in, double& out) {
  std::uint64_t bits = 0;
  if (!in.read_u64(bits)) return false;
  out = std::bit_cast<double>(bits);
  return true;
}

void append_rows(std::string& out, const std::vector<RollupRow>& rows) {
  series::append_varint(out, rows.size());
  for (const RollupRow& row : rows) {
    series::append_u8(out, row.slot);
    series::append_varint(out, row.numbers.count);
    if (row.numbers.count != 0) {
      for (double value : {row.numbers.sum, row.numbers.sumsq, row.numbers.mean, row.numbers.m2,
                           row.numbers.min, row.numbers.max}) {
        append_double(out, value);
      }
    }
    series::append_varint(out, row.others);
    series::append_u64(out, static_cast<std::uint64_t>(row.newest));
    series::append_section(out, row.type);
  }
}

bool read_rows(series::ByteReader& in, std::vector<RollupRow>& rows) {
  std::uint64_t size = 0;
  if (!in.read_varint(size) || size > 24) return false;
  for (std::uint64_t i = 0; i < size; ++i) {
    RollupRow row;
    std::uint64_t newest = 0;
    std::string_view type;
    if (!in.read_u8(row.slot) || row.slot >= 24 || !in.read_varint(row.numbers.count)) {
      return false;
    }
    if (row.numbers.count != 0) {
      for (double* value : {&row.numbers.sum, &row.numbers.sumsq, &row.numbers.mean,
                            &row.numbers.m2, &row.numbers.min, &row.numbers.max}) {
        if (!read_double(in, *value)) return false;
      }
    }
    if (!in.read_varint(row.others) || !in.read_u64(newest) || !in.read_section(type)) {
      return false;
    }
    row.newest = static_cast<std::int64_t>(newest);
    row.type = std::string(type);
    rows.push_back(std::move(row));
  }
  return true;
}

}  // namespace

std::int64_t resolution_micros(RollupResolution resolution) {
  return resolution == RollupResolution::kHour ? kHourMicros : kDayMicros;
}

std::int64_t day_start(std::int64_t time) {
  std::int64_t rest = time % kDayMicros;
  return rest < 0 ? time - rest - kDayMicros : time - rest;
}

void RollupRow::merge(const RollupRow& other) {
  if (other.empty()) return;
  if (empty() || other.newest >= newest) {
    newest = other.newest;
    type = other.type;
  }
  numbers.merge(other.numbers);
  others += other.others;
}

std::string encode_rollup_day(const RollupDay& day) {
  std::string out;
  series::append_u8(out, kVersion);
  series::append_u8(out, static_cast<std::uint8_t>(day.resolution));
  append_rows(out, day.rows);
  append_rows(out, day.archived);
  return out;
}

Result<RollupDay> decode_rollup_day(std::string_view bytes) {
  series::ByteReader in(bytes);
  std::uint8_t version = 0;
  std::uint8_t resolution = 0;
  RollupDay day;
  if (!in.read_u8(version) || version != kVersion || !in.read_u8(resolution) || resolution > 1) {
    return corrupt();
  }
  day.resolution = static_cast<RollupResolution>(resolution);
  if (!read_rows(in, day.rows) || !read_rows(in, day.archived) || in.remaining() != 0) {
    return corrupt();
  }
  return day;
}

RollupRow& RowSet::at(std::uint8_t slot) {
  RollupRow& row = rows_.at(slot);
  row.slot = slot;
  return row;
}

void RowSet::merge(const std::vector<RollupRow>& rows, RollupResolution from) {
  for (const RollupRow& row : rows) {
    at(resolution_ == from ? row.slot : std::uint8_t{0}).merge(row);
  }
}

std::vector<RollupRow> RowSet::take() {
  std::vector<RollupRow> kept;
  for (RollupRow& row : rows_) {
    if (!row.empty()) kept.push_back(std::move(row));
  }
  rows_ = std::vector<RollupRow>(24);
  return kept;
}

}  // namespace citytwin::core
