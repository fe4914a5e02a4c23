#include "citytwin/common/json_member.hpp"

#include <cstring>

namespace citytwin {
namespace {

constexpr std::size_t kNone = std::string_view::npos;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_space(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  return pos;
}

// The end of the string starting at text[pos] == '"', or kNone. Quotes are found with
// memchr (the chunk encoder reads every imported instance's members this way); one is the
// end unless an odd run of backslashes escapes it.
std::size_t skip_string(std::string_view text, std::size_t pos) {
  const std::size_t first = pos + 1;
  std::size_t from = first;
  while (from < text.size()) {
    const void* found = std::memchr(text.data() + from, '"', text.size() - from);
    if (found == nullptr) return kNone;
    const std::size_t quote =
        static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    std::size_t backslashes = 0;
    while (quote - backslashes > first && text[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return kNone;
}

// The end of the value starting at text[pos], or kNone. Strings are skipped as strings, so
// brackets in them do not count.
std::size_t skip_value(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return kNone;
  if (text[pos] == '"') return skip_string(text, pos);
  if (text[pos] == '{' || text[pos] == '[') {
    int depth = 0;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '"') {
        pos = skip_string(text, pos);
        if (pos == kNone) return pos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return kNone;
  }
  std::size_t start = pos;
  while (pos < text.size() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
         !is_space(text[pos])) {
    ++pos;
  }
  return pos == start ? kNone : pos;
}

// Reads an object's members one by one, so that a reader can stop at the one it wants.
class MemberReader {
 public:
  explicit MemberReader(std::string_view text) : text_(text) {}

  // The first member, or false when the text does not start an object with one.
  bool first(JsonMember& member) {
    pos_ = skip_space(text_, 0);
    if (pos_ >= text_.size() || text_[pos_] != '{') return false;
    pos_ = skip_space(text_, pos_ + 1);
    return member_at(member);
  }
  // The next member: false at the end of the object (then closed() says whether it ended
  // well) or at text that is not a member.
  bool next(JsonMember& member) {
    pos_ = skip_space(text_, pos_);
    if (pos_ >= text_.size() || text_[pos_] != ',') return false;
    pos_ = skip_space(text_, pos_ + 1);
    return member_at(member);
  }
  // After next() returned false: the object closed here and nothing but space follows.
  bool closed() const {
    return !failed_ && pos_ < text_.size() && text_[pos_] == '}' &&
           skip_space(text_, pos_ + 1) == text_.size();
  }
  // The object is "{}".
  bool empty() {
    std::size_t pos = skip_space(text_, 0);
    if (pos >= text_.size() || text_[pos] != '{') return false;
    pos = skip_space(text_, pos + 1);
    return pos < text_.size() && text_[pos] == '}' && skip_space(text_, pos + 1) == text_.size();
  }

 private:
  bool member_at(JsonMember& member) {
    failed_ = !read_member(member);
    return !failed_;
  }
  bool read_member(JsonMember& member) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    std::size_t key_end = skip_string(text_, pos_);
    if (key_end == kNone) return false;
    member.key = text_.substr(pos_ + 1, key_end - pos_ - 2);
    pos_ = skip_space(text_, key_end);
    if (pos_ >= text_.size() || text_[pos_] != ':') return false;
    pos_ = skip_space(text_, pos_ + 1);
    member.value_begin = pos_;
    member.value_end = skip_value(text_, pos_);
    if (member.value_end == kNone) return false;
    pos_ = member.value_end;
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace

std::optional<std::string_view> top_level_member(std::string_view object_text,
                                                 std::string_view name) {
  MemberReader reader(object_text);
  JsonMember member;
  for (bool more = reader.first(member); more; more = reader.next(member)) {
    if (member.key.find('\\') != std::string_view::npos) return std::nullopt;
    if (member.key == name) {
      return object_text.substr(member.value_begin, member.value_end - member.value_begin);
    }
  }
  return std::nullopt;
}

bool top_level_members(std::string_view text, std::vector<JsonMember>& members) {
  members.clear();
  MemberReader reader(text);
  if (reader.empty()) return true;
  JsonMember member;
  for (bool more = reader.first(member); more; more = reader.next(member)) {
    members.push_back(member);
  }
  return !members.empty() && reader.closed();
}

std::optional<std::vector<JsonMember>> top_level_members(std::string_view text) {
  std::vector<JsonMember> members;
  members.reserve(8);  // a stored instance's usual count at most: no regrowth
  if (!top_level_members(text, members)) return std::nullopt;
  return members;
}

}  // namespace citytwin
