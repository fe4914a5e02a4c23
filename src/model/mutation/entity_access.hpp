#pragma once

// Private helpers for reaching into a stored entity's attribute map (entity_form.hpp).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "citytwin/common/result.hpp"

namespace citytwin::mutation::detail {

// InternalError unless the entity's "attrs" (when present) is an object of arrays: a stored
// entity that breaks the form is a bug elsewhere, not the client's fault.
Status check_stored_entity(const boost::json::object& entity);

// The entity's attribute map, created empty when missing.
boost::json::object& attrs_of(boost::json::object& entity);

// The instances of attribute `name`, or nullptr.
boost::json::array* find_attribute(boost::json::object& entity, std::string_view name);

// Removes one instance; the attribute disappears with its last instance.
void erase_instance(boost::json::object& entity, std::string_view name, std::size_t index);

// Appends `name` unless it is already listed (outcome lists name each attribute once).
void note_name(std::vector<std::string>& names, std::string_view name);

}  // namespace citytwin::mutation::detail
