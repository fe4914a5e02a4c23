#include "q_lexer.hpp"

#include <cstdint>

namespace citytwin::query {
namespace {

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_bare_delimiter(char c) {
  switch (c) {
    case ';':
    case '|':
    case '(':
    case ')':
    case ',':
    case '"':
    case ' ':
    case '\t':
    case '\r':
    case '\n':
      return true;
    default:
      return false;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

bool is_name_char(char c) {
  return is_ascii_alnum(c) || c == '_' || c == ':' || c == '-';
}

bool QLexer::consume(char c) {
  if (peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

bool QLexer::consume(std::string_view token) {
  if (!peek_is(token)) return false;
  pos_ += token.size();
  return true;
}

std::string_view QLexer::take_name() {
  std::size_t start = pos_;
  while (!at_end() && is_name_char(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

Result<std::string> QLexer::take_quoted() {
  std::size_t start = pos_;
  if (!consume('"')) return error_here("expected '\"'");
  std::string out;
  while (!at_end()) {
    char c = text_[pos_++];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (at_end()) break;
    std::size_t escape_at = pos_ - 1;
    char e = text_[pos_++];
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        // Four hex digits; a lone surrogate cannot be encoded in UTF-8 and is refused.
        if (pos_ + 4 > text_.size()) return error_at(escape_at, "incomplete \\u escape");
        std::uint32_t code = 0;
        for (int i = 0; i < 4; ++i) {
          int digit = hex_digit(text_[pos_ + i]);
          if (digit < 0) return error_at(escape_at, "invalid \\u escape");
          code = code * 16 + static_cast<std::uint32_t>(digit);
        }
        pos_ += 4;
        if (code >= 0xD800 && code <= 0xDFFF) {
          return error_at(escape_at, "\\u escape of a surrogate code point");
        }
        append_utf8(out, code);
        break;
      }
      default:
        return error_at(escape_at, "unknown escape sequence in string");
    }
  }
  return error_at(start, "unterminated string");
}

std::string_view QLexer::take_bare_value() {
  std::size_t start = pos_;
  while (!at_end() && !is_bare_delimiter(text_[pos_]) && !peek_is("..")) ++pos_;
  return text_.substr(start, pos_ - start);
}

std::string_view QLexer::take_raw_pattern() {
  std::size_t start = pos_;
  int depth = 0;
  bool in_class = false;
  while (!at_end()) {
    char c = text_[pos_];
    if (c == '\\') {
      pos_ = pos_ + 2 <= text_.size() ? pos_ + 2 : text_.size();
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth == 0) break;
      --depth;
    } else if ((c == ';' || c == '|') && depth == 0) {
      break;
    }
    ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

Error QLexer::error_at(std::size_t at, std::string_view what) const {
  return make_error(ErrorKind::kInvalidRequest,
                    "q: at position " + std::to_string(at + 1) + ": " + std::string(what));
}

std::string QLexer::describe_current() const {
  if (at_end()) return "end of q";
  return "'" + std::string(1, text_[pos_]) + "'";
}

}  // namespace citytwin::query
