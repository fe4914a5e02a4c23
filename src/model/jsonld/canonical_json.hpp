#pragma once

// A canonical serialization of a JSON value: object members sorted by key, no whitespace.
// Two @context values that differ only in member order get the same cache key.

#include <string>

#include <boost/json/value.hpp>

namespace citytwin::jsonld {

std::string canonical_json(const boost::json::value& value);

}  // namespace citytwin::jsonld
