#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace citytwin::series {

// What an attribute instance's value is. Values other than numbers and booleans stay
// opaque: strings hold the UTF-8 text, JSON holds the JSON text of an object or array,
// and null marks a deleted instance (NGSI-LD's "urn:ngsi-ld:null").
enum class ValueKind : std::uint8_t {
  kNumber = 0,
  kString = 1,
  kJson = 2,
  kBool = 3,
  kNull = 4,
};
inline constexpr int kValueKindCount = 5;

// One attribute instance of a series.
struct Sample {
  std::int64_t time = 0;              // primary timestamp, µs since epoch (e.g. observedAt)
  std::optional<std::int64_t> time2;  // optional second timestamp (e.g. modifiedAt)
  ValueKind kind = ValueKind::kNull;
  double number = 0;     // when kind == kNumber
  bool boolean = false;  // when kind == kBool
  std::string text;      // when kind == kString or kJson

  static Sample of_number(std::int64_t time, double value) {
    Sample s;
    s.time = time;
    s.kind = ValueKind::kNumber;
    s.number = value;
    return s;
  }
  static Sample of_bool(std::int64_t time, bool value) {
    Sample s;
    s.time = time;
    s.kind = ValueKind::kBool;
    s.boolean = value;
    return s;
  }
  static Sample of_string(std::int64_t time, std::string value) {
    Sample s;
    s.time = time;
    s.kind = ValueKind::kString;
    s.text = std::move(value);
    return s;
  }
  static Sample of_json(std::int64_t time, std::string json_text) {
    Sample s;
    s.time = time;
    s.kind = ValueKind::kJson;
    s.text = std::move(json_text);
    return s;
  }
  static Sample of_null(std::int64_t time) {
    Sample s;
    s.time = time;
    return s;
  }
};

}  // namespace citytwin::series
