#pragma once

#include <boost/json/value.hpp>

namespace citytwin {

// The same answer as `a == b` (Boost.JSON's equality: object members in any order), found
// faster when both sides list their members in the same order, as an entity and its copy
// being written do: members are then compared pairwise instead of looked up one by one. An
// object whose members are in another order is compared by Boost.JSON.
bool json_equal(const boost::json::value& a, const boost::json::value& b);
bool json_equal(const boost::json::object& a, const boost::json::object& b);

}  // namespace citytwin
