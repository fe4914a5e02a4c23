#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::core {

// The instances of a temporal representation (GS CIM 009 clause 4.5.7) as the history keeps
// them: per attribute, the selected instances oldest first, each as its stored-form JSON
// text and its instanceId. Text, not JSON values: the answer writes most instances straight
// from it (model::append_normalized_instance), and parsing, building and freeing them as
// Boost.JSON values was most of the cost of a page of sensors' newest values
// (docs/performance.md, "Temporal instances as text").
struct InstanceText {
  std::string text;         // stored form (entity_form.hpp), without instanceId
  std::string instance_id;  // the temporal API's instanceId
};
struct HistoryAttribute {
  std::string name;  // expanded
  std::vector<InstanceText> instances;
};
using HistoryAttrs = std::vector<HistoryAttribute>;  // in name order

// A stored instance's text as a stored-form object; InternalError when it is unreadable.
Result<boost::json::object> parse_stored_instance(std::string_view text,
                                                  std::string_view attribute);

// The instance as a stored-form object with its "instanceId"; InternalError when the stored
// text is unreadable.
Result<boost::json::object> instance_object(const InstanceText& instance,
                                            std::string_view attribute);

// {name: [instance, ...]} for each attribute: the stored form's shape, for callers that want
// JSON values (TemporalService::retrieve, renderings the text path leaves out).
Result<boost::json::object> history_attrs_json(const HistoryAttrs& attrs);

}  // namespace citytwin::core
