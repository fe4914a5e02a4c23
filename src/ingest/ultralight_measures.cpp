// UltraLight 2.0 (the FIWARE IoT Agent UL text format): "key|value|key|value", several
// measure groups separated by '#', a group with an odd number of fields leading with its
// timestamp. See docs/ingest.md, "Payloads".
#include <cctype>
#include <charconv>

#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorKind::kBadRequestData, "UltraLight: " + std::move(detail));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Result<MeasureGroup> group_of(std::string_view text, std::size_t index,
                              const DecodeLimits& limits) {
  std::string where = "group " + std::to_string(index + 1) + ": ";
  std::vector<std::string_view> fields = split(text, '|');
  MeasureGroup group;
  std::size_t first = 0;
  if (fields.size() % 2 == 1) {
    auto instant = parse_date_time(trim(fields[0]));
    if (!instant) {
      return bad(where + "odd number of fields and \"" + std::string(trim(fields[0])) +
                 "\" is not an ISO 8601 timestamp (expected key|value pairs)");
    }
    group.observed_at = *instant;
    first = 1;
  }
  if (fields.size() - first == 0) return bad(where + "has a timestamp but no measures");
  if ((fields.size() - first) / 2 > limits.max_fields) {
    return bad(where + "more than " + std::to_string(limits.max_fields) + " measures");
  }
  for (std::size_t i = first; i + 1 < fields.size(); i += 2) {
    std::string_view key = trim(fields[i]);
    if (key.empty()) return bad(where + "a measure has an empty name");
    group.fields.emplace_back(std::string(key), ultralight_value(trim(fields[i + 1])));
  }
  return group;
}

}  // namespace

boost::json::value ultralight_value(std::string_view text) {
  if (is_json_number(text)) {
    std::int64_t integer = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
    if (ec == std::errc() && end == text.data() + text.size()) return integer;
    double real = 0;
    auto [end2, ec2] = std::from_chars(text.data(), text.data() + text.size(), real);
    if (ec2 == std::errc() && end2 == text.data() + text.size()) return real;
  }
  return boost::json::string(text);
}

Result<std::vector<MeasureGroup>> decode_ultralight_measures(std::string_view payload,
                                                             const DecodeLimits& limits) {
  payload = trim(payload);
  if (payload.empty()) return bad("the payload is empty");
  std::vector<std::string_view> texts = split(payload, '#');
  if (texts.size() > limits.max_groups) {
    return bad("more than " + std::to_string(limits.max_groups) + " groups in one payload");
  }
  std::vector<MeasureGroup> groups;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string_view text = trim(texts[i]);
    if (text.empty()) return bad("group " + std::to_string(i + 1) + " is empty");
    auto group = group_of(text, i, limits);
    if (!group) return std::move(group).error();
    groups.push_back(std::move(*group));
  }
  return groups;
}

}  // namespace citytwin::ingest
