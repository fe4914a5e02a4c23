#include "citytwin/common/json_document.hpp"
#include "citytwin/common/json_parse.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace citytwin {

// An explicit stack rather than recursion: outside documents may nest deeply.
bool has_non_finite_number(const boost::json::value& value) {
  std::vector<const boost::json::value*> pending{&value};
  while (!pending.empty()) {
    const boost::json::value* current = pending.back();
    pending.pop_back();
    if (const double* number = current->if_double()) {
      if (!std::isfinite(*number)) return true;
    } else if (const auto* array = current->if_array()) {
      for (const auto& element : *array) pending.push_back(&element);
    } else if (const auto* object = current->if_object()) {
      for (const auto& member : *object) pending.push_back(&member.value());
    }
  }
  return false;
}

Result<boost::json::value> parse_json_document(std::string_view text, std::string_view what,
                                               const boost::json::parse_options& options,
                                               boost::json::storage_ptr storage) {
  boost::system::error_code ec;
  boost::json::value value = citytwin::parse_json(text, ec, std::move(storage), options);
  if (ec) {
    return make_error(ErrorKind::kInvalidRequest,
                      std::string(what) + " is not valid JSON: " + ec.message());
  }
  if (has_non_finite_number(value)) {
    return make_error(
        ErrorKind::kBadRequestData,
        std::string(what) + " has a number beyond the range of a 64-bit double (about 1.8e308)");
  }
  return value;
}

}  // namespace citytwin
