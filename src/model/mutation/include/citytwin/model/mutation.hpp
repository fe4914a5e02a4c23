#pragma once

// The pure operations that change a stored entity (ETSI GS CIM 009 V1.8.1, clause 5.6).

#include "citytwin/model/mutation/append_update.hpp"      // IWYU pragma: export
#include "citytwin/model/mutation/attribute_outcome.hpp"  // IWYU pragma: export
#include "citytwin/model/mutation/delete_attribute.hpp"   // IWYU pragma: export
#include "citytwin/model/mutation/entity_types.hpp"       // IWYU pragma: export
#include "citytwin/model/mutation/instances.hpp"          // IWYU pragma: export
#include "citytwin/model/mutation/json_merge_patch.hpp"   // IWYU pragma: export
#include "citytwin/model/mutation/merge.hpp"              // IWYU pragma: export
#include "citytwin/model/mutation/ngsild_null.hpp"        // IWYU pragma: export
#include "citytwin/model/mutation/partial_update.hpp"     // IWYU pragma: export
#include "citytwin/model/mutation/replace_attribute.hpp"  // IWYU pragma: export
#include "citytwin/model/mutation/timestamps.hpp"         // IWYU pragma: export
