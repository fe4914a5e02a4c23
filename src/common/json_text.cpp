#include "citytwin/common/json_text.hpp"
#include "citytwin/common/utf8.hpp"

#include <bit>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace citytwin {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `text` (Unicode 15 table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
  if (length == 0 || text.size() < length) return 0;
  // The second byte's range depends on the lead byte; later ones are plain continuations.
  unsigned char low = 0x80, high = 0xBF;
  if (lead == 0xE0) low = 0xA0;
  if (lead == 0xED) high = 0x9F;
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// JSON text must be UTF-8 (RFC 8259 clause 8.1), but not every string reaches here through
// the JSON parser: paths, query parameters and headers are echoed in error details and may hold
// any bytes. Each byte that does not start a well-formed sequence becomes U+FFFD, so clients
// can always parse the answer.
bool needs_escape(unsigned char byte) {
  return byte < 0x20 || byte >= 0x80 || byte == '"' || byte == '\\';
}

// Where the run of bytes that need no escape starting at `from` ends. Eight bytes are tested
// at once (a word with a flag in the top bit of each byte that may need escaping; the lowest
// flagged byte is exact, the borrows only flag bytes above it): JSON text is mostly such runs,
// and testing them byte by byte was a tenth of the notification dispatcher's CPU
// (bench/subscriptions).
std::size_t plain_run_end(std::string_view text, std::size_t from) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  auto zero_bytes = [](std::uint64_t word) { return (word - kOnes) & ~word & kHighs; };
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    std::uint64_t flags = ((word - kOnes * 0x20) & ~word & kHighs)  // below 0x20
                          | (word & kHighs)                         // 0x80 and above
                          | zero_bytes(word ^ (kOnes * '"')) | zero_bytes(word ^ (kOnes * '\\'));
    if (flags != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return i + static_cast<std::size_t>(std::countr_zero(flags)) / 8;
      } else {
        return i + static_cast<std::size_t>(std::countl_zero(flags)) / 8;
      }
    }
  }
  while (i < text.size() && !needs_escape(static_cast<unsigned char>(text[i]))) ++i;
  return i;
}

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Runs of printable ASCII (nearly all of most documents) are appended in one go: byte by
    // byte they were a visible share of the write path's CPU (bench/subscriptions profile).
    std::size_t run = plain_run_end(text, i);
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      if (i == text.size()) break;
    }
    char c = text[i];
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xF]);
        } else if (byte < 0x80) {
          out.push_back(c);
        } else if (std::size_t length = utf8_sequence_length(text.substr(i)); length > 0) {
          out.append(text.substr(i, length));
          i += length - 1;
        } else {
          out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        }
    }
  }
  out.push_back('"');
}

template <class Number>
void append_number(std::string& out, Number number) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number);
  out.append(buffer, ec == std::errc{} ? end : buffer);
}

// A number of 1 to 99,999.9999 in magnitude with at most four decimals (most sensor readings
// and their aggregates) written from its integer digits: the same text as to_chars' shortest
// form, at a fraction of its cost. m / 10^k is correctly rounded like the text "m e-k" is
// read, so a match means that text reads back as the number; with the smallest such k it has
// no trailing fractional zero, and decimals of at most 15 significant digits that read back
// as the same double are the same decimal, so it is the shortest. Below 10^5 the plain form is
// never longer than the exponent form ("12000" against "1.2e+04"; ties go to the plain form).
bool append_short_decimal(std::string& out, double number) {
  static constexpr std::uint32_t kScales[] = {1, 10, 100, 1000, 10000};
  constexpr std::size_t kMost = std::size(kScales) - 1;
  const double magnitude = std::fabs(number);
  if (!(magnitude >= 1 && magnitude < 1e5)) return false;
  // The digits at four decimals; a number that is m / 10^k for a smaller k has them followed
  // by 4 - k zeros (x·10^4 lies within far less than 0.5 of m·10^(4-k)), so the smallest k
  // is the one left once they are stripped, and if it does not read back, no larger k does
  // (the same decimal). For a product of at least 1, adding 0.5 is exact or rounds below the
  // next integer, so the cast rounds like std::round, without its library call.
  auto digits = static_cast<std::uint32_t>(magnitude * kScales[kMost] + 0.5);
  std::size_t k = kMost;
  while (k > 0 && digits % 10 == 0) {
    digits /= 10;
    --k;
  }
  if (static_cast<double>(digits) / kScales[k] != magnitude) return false;
  char buffer[24];
  char* end = buffer;
  if (number < 0) *end++ = '-';
  end = std::to_chars(end, buffer + sizeof buffer, digits / kScales[k]).ptr;
  if (k > 0) {
    *end++ = '.';
    std::uint32_t fraction = digits % kScales[k];
    for (std::size_t place = k; place-- > 0;) {
      end[place] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    end += k;
  }
  out.append(buffer, end);
  return true;
}

void append_double(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  if (append_short_decimal(out, number)) return;
  append_number(out, number);
}

}  // namespace

std::size_t valid_utf8_prefix(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (std::size_t length = utf8_sequence_length(text.substr(i)); length > 0) {
      i += length;
    } else {
      break;
    }
  }
  return i;
}

void append_json_number(std::string& out, double number) {
  append_double(out, number);
}

void append_json_number(std::string& out, std::uint64_t number) {
  append_number(out, number);
}

void append_json_text(std::string& out, const boost::json::array& array) {
  out.push_back('[');
  bool first = true;
  for (const auto& item : array) {
    if (!first) out.push_back(',');
    first = false;
    append_json_text(out, item);
  }
  out.push_back(']');
}

void append_json_text(std::string& out, const boost::json::object& object) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, item] : object) {
    if (!first) out.push_back(',');
    first = false;
    append_escaped(out, key);
    out.push_back(':');
    append_json_text(out, item);
  }
  out.push_back('}');
}

void append_json_string(std::string& out, std::string_view text) {
  append_escaped(out, text);
}

void append_json_text(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      append_number(out, value.get_int64());
      break;
    case boost::json::kind::uint64:
      append_number(out, value.get_uint64());
      break;
    case boost::json::kind::double_:
      append_double(out, value.get_double());
      break;
    case boost::json::kind::string:
      append_escaped(out, value.get_string());
      break;
    case boost::json::kind::array:
      append_json_text(out, value.get_array());
      break;
    case boost::json::kind::object:
      append_json_text(out, value.get_object());
      break;
  }
}

namespace {
template <class Json>
std::string text_of(const Json& json) {
  std::string out;
  out.reserve(256);
  append_json_text(out, json);
  return out;
}
}  // namespace

std::string to_json_text(const boost::json::value& value) {
  return text_of(value);
}

std::string to_json_text(const boost::json::object& object) {
  return text_of(object);
}

std::string to_json_text(const boost::json::array& array) {
  return text_of(array);
}

}  // namespace citytwin
