#include "citytwin/core/aggregated_attrs.hpp"

#include <algorithm>
#include <boost/json/array.hpp>

#include "citytwin/common/json_parse.hpp"

namespace citytwin::core {

Result<boost::json::object> aggregated_attrs_json(const AggregatedAttrs& attrs) {
  boost::json::object out;
  for (const AggregatedAttribute& attribute : attrs) {
    boost::json::array datasets;
    for (const std::string& text : attribute.datasets) {
      boost::system::error_code ec;
      auto parsed = parse_json(text, ec);
      if (ec || !parsed.is_object()) {
        return make_error(ErrorKind::kInternalError,
                          "aggregated answer of " + attribute.name + " is not a JSON object");
      }
      datasets.emplace_back(std::move(parsed));
    }
    out[attribute.name] = std::move(datasets);
  }
  return out;
}

void redact_aggregated(const ReadRestriction& restriction, const boost::json::value& entity_types,
                       AggregatedAttrs& attrs) {
  NameSet hidden = restriction.hidden_for(entity_types);
  if (hidden.empty()) return;
  std::erase_if(
      attrs, [&](const AggregatedAttribute& attribute) { return hidden.contains(attribute.name); });
}

}  // namespace citytwin::core
