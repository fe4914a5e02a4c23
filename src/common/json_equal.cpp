#include "citytwin/common/json_equal.hpp"

#include <boost/json.hpp>

namespace citytwin {

bool json_equal(const boost::json::object& a, const boost::json::object& b) {
  if (a.size() != b.size()) return false;
  auto other = b.begin();
  for (const auto& member : a) {
    // Keys are unique in an object: the same key at the same place with another value means
    // the objects differ; another key means another order, which Boost.JSON sorts out.
    if (member.key() != other->key()) return a == b;
    if (!json_equal(member.value(), other->value())) return false;
    ++other;
  }
  return true;
}

bool json_equal(const boost::json::value& a, const boost::json::value& b) {
  if (a.kind() != b.kind()) return a == b;  // numbers of different kinds may still be equal
  switch (a.kind()) {
    case boost::json::kind::object:
      return json_equal(a.get_object(), b.get_object());
    case boost::json::kind::array: {
      const auto& left = a.get_array();
      const auto& right = b.get_array();
      if (left.size() != right.size()) return false;
      for (std::size_t i = 0; i < left.size(); ++i) {
        if (!json_equal(left[i], right[i])) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

}  // namespace citytwin
