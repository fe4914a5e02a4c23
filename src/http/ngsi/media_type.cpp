#include "media_type.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace citytwin::http::ngsi {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 clause 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
// Anything unreadable counts as 0 so that a garbled range is never preferred.
double parse_quality(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0 || value > 1) return 0;
  return value;
}

// The "q" parameter among the ';'-separated parameters after the type; 1 when absent.
double quality_of(std::string_view parameters) {
  while (!parameters.empty()) {
    const std::size_t semicolon = parameters.find(';');
    const std::string_view parameter = trim(parameters.substr(0, semicolon));
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && lower(trim(parameter.substr(0, equals))) == "q") {
      return parse_quality(trim(parameter.substr(equals + 1)));
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon + 1);
  }
  return 1.0;
}

}  // namespace

std::string media_type_essence(std::string_view media_type) {
  return lower(trim(media_type.substr(0, media_type.find(';'))));
}

std::vector<MediaRange> parse_accept(std::string_view header) {
  std::vector<MediaRange> ranges;
  while (true) {
    const std::size_t comma = header.find(',');
    const std::string_view item = header.substr(0, comma);
    const std::size_t semicolon = item.find(';');
    MediaRange range{media_type_essence(item), 1.0};
    if (semicolon != std::string_view::npos) range.quality = quality_of(item.substr(semicolon + 1));
    if (!range.type.empty()) ranges.push_back(std::move(range));
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const MediaRange& a, const MediaRange& b) { return a.quality > b.quality; });
  return ranges;
}

}  // namespace citytwin::http::ngsi
