#pragma once

#include <boost/json/object.hpp>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Derives the store's index terms (types, attribute names, GeoProperty boxes) from a stored
// entity and serializes it: the store never parses entity documents.
store::EntityRecord make_record(const boost::json::object& entity);

}  // namespace citytwin::core
