#pragma once

#include <memory>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::store {

// An EntityStore held in process memory: std::map containers under one reader/writer lock.
// Same semantics as the RocksDB store except durability (nothing survives the process) and
// stats().bytes_on_disk (always 0). Spatial queries test every box of the attribute, which
// keeps it an independent oracle for the R-tree in the conformance tests.
// Cursors re-seek on every step, so they stay valid while the store changes and see ids
// written after the scan started.
std::unique_ptr<EntityStore> make_memory_store();

}  // namespace citytwin::store
