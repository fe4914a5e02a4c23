#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace citytwin {

// The text of the value of member `name` of the JSON object `object_text`, found without
// parsing the rest: for readers that need one member of a large stored document (the types
// of an entity). nullopt when the member is not there, when a key before it is escaped, or
// when the text is not a well-formed object as far as it was read: the caller then parses the
// whole text, which decides. The value's own text is not checked; parse it.
std::optional<std::string_view> top_level_member(std::string_view object_text,
                                                 std::string_view name);

// One top-level member of a JSON object's text: its key (the raw text between the quotes,
// escapes left as they are) and where its value's text lies.
struct JsonMember {
  std::string_view key;
  std::size_t value_begin = 0;
  std::size_t value_end = 0;
};

// Every top-level member in text order, for readers of small stored documents (an attribute
// instance) that look at each member: nullopt unless `text` is one JSON object as far as its
// structure goes. Values' own texts are not checked; parse them.
std::optional<std::vector<JsonMember>> top_level_members(std::string_view text);
// The same into `members` (cleared first), for readers of many documents that keep one
// vector: false where the other gives nullopt.
bool top_level_members(std::string_view text, std::vector<JsonMember>& members);

}  // namespace citytwin
