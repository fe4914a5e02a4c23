#include "citytwin/common/json_member.hpp"

#include <cstddef>

namespace citytwin {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t')) {
      ++at_;
    }
  }
  bool take(char c) {
    skip_space();
    if (at_ >= text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  bool peek(char c) {
    skip_space();
    return at_ < text_.size() && text_[at_] == c;
  }
  // After the opening quote: the string's raw text, and whether it holds an escape.
  bool string(std::string_view& raw, bool& escaped) {
    const std::size_t start = at_;
    escaped = false;
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') {
        raw = text_.substr(start, at_ - 1 - start);
        return true;
      }
      if (c == '\\') {
        escaped = true;
        ++at_;
      }
    }
    return false;
  }
  // One value of any kind: strings are skipped as strings, so brackets in them do not count.
  bool value() {
    skip_space();
    int depth = 0;
    while (at_ < text_.size()) {
      char c = text_[at_];
      if (c == '"') {
        ++at_;
        std::string_view raw;
        bool escaped = false;
        if (!string(raw, escaped)) return false;
      } else if (c == '{' || c == '[') {
        ++depth;
        ++at_;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return true;  // the end of the enclosing object
        --depth;
        ++at_;
      } else if (c == ',' && depth == 0) {
        return true;
      } else {
        ++at_;
      }
      if (depth == 0 && (c == '"' || c == '}' || c == ']')) return true;
    }
    return depth == 0;
  }
  std::size_t at() {
    skip_space();
    return at_;
  }
  std::size_t end() const { return at_; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::string_view> top_level_member(std::string_view object_text,
                                                 std::string_view name) {
  Scanner scan(object_text);
  if (!scan.take('{') || scan.peek('}')) return std::nullopt;
  do {
    if (!scan.take('"')) return std::nullopt;
    std::string_view key;
    bool escaped = false;
    if (!scan.string(key, escaped) || escaped || !scan.take(':')) return std::nullopt;
    const std::size_t start = scan.at();
    if (!scan.value()) return std::nullopt;
    if (key == name) {
      std::string_view value = object_text.substr(start, scan.end() - start);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\n' ||
                                value.back() == '\r' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      if (value.empty()) return std::nullopt;
      return value;
    }
  } while (scan.take(','));
  return std::nullopt;
}

}  // namespace citytwin
