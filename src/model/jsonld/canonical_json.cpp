#include "canonical_json.hpp"

#include <algorithm>
#include <vector>

#include <boost/json/serialize.hpp>

namespace citytwin::jsonld {
namespace {

void append(const boost::json::value& value, std::string& out) {
  if (value.is_object()) {
    const boost::json::object& object = value.get_object();
    std::vector<const boost::json::key_value_pair*> members;
    members.reserve(object.size());
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ',';
      out += boost::json::serialize(boost::json::string_view(members[i]->key()));
      out += ':';
      append(members[i]->value(), out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const boost::json::value& item : value.get_array()) {
      if (!first) out += ',';
      first = false;
      append(item, out);
    }
    out += ']';
  } else {
    out += boost::json::serialize(value);
  }
}

}  // namespace

std::string canonical_json(const boost::json::value& value) {
  std::string out;
  append(value, out);
  return out;
}

}  // namespace citytwin::jsonld
