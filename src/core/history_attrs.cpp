#include "citytwin/core/history_attrs.hpp"

#include <boost/json/array.hpp>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {

Result<boost::json::object> parse_stored_instance(std::string_view text,
                                                  std::string_view attribute) {
  boost::system::error_code ec;
  auto parsed = parse_json(text, ec);
  if (ec || !parsed.is_object()) {
    return make_error(ErrorKind::kInternalError,
                      "stored history of " + std::string(attribute) + " is unreadable");
  }
  return std::move(parsed.as_object());
}

Result<boost::json::object> instance_object(const InstanceText& instance,
                                            std::string_view attribute) {
  auto parsed = parse_stored_instance(instance.text, attribute);
  if (parsed) (*parsed)[model::form::kInstanceId] = instance.instance_id;
  return parsed;
}

Result<boost::json::object> history_attrs_json(const HistoryAttrs& attrs) {
  boost::json::object out;
  for (const HistoryAttribute& attribute : attrs) {
    boost::json::array instances;
    instances.reserve(attribute.instances.size());
    for (const InstanceText& instance : attribute.instances) {
      auto object = instance_object(instance, attribute.name);
      if (!object) return std::move(object).error();
      instances.emplace_back(std::move(*object));
    }
    out[attribute.name] = std::move(instances);
  }
  return out;
}

}  // namespace citytwin::core
