#pragma once

// What an attribute operation did, attribute by attribute: the UpdateResult of
// ETSI GS CIM 009 V1.8.1, clause 5.2.18 ("updated" and "notUpdated" with a reason), and the
// list of changed attribute names that notifications and the temporal history need.

#include <string>
#include <vector>

namespace citytwin::mutation {

struct NotUpdated {
  std::string name;    // expanded attribute name, as given
  std::string reason;  // why this attribute (instance) was left untouched
};

struct AttributeOutcome {
  // Expanded names of the attributes that changed (appended, replaced or, for Update,
  // deleted with an NGSI-LD Null), each once, in input order.
  std::vector<std::string> updated;
  // Attributes (or instances of them) that were left untouched, one entry per instance.
  std::vector<NotUpdated> not_updated;
};

}  // namespace citytwin::mutation
