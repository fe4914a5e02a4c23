#pragma once

#include <optional>
#include <string_view>

namespace citytwin {

// The text of the value of member `name` of the JSON object `object_text`, found without
// parsing the rest: for readers that need one member of a large stored document (the types
// of an entity). nullopt when the member is not there, when a key before it is escaped, or
// when the text is not a well-formed object as far as it was read: the caller then parses the
// whole text, which decides. The value's own text is not checked; parse it.
std::optional<std::string_view> top_level_member(std::string_view object_text,
                                                 std::string_view name);

}  // namespace citytwin
