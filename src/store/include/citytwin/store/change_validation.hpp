#pragma once

#include <span>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// Checks what every EntityStore implementation requires of apply()'s changes, so that all of
// them reject the same input the same way: ids are not empty, and every geo box has finite
// coordinates with min <= max (a NaN or inverted box would silently corrupt an R-tree).
// Core validates user input earlier; a failure here is kBadRequestData.
Status validate_changes(std::span<const Change> changes);

}  // namespace citytwin::store
