#pragma once

// Durable storage for ContextRegistry entries, so hosted and downloaded @contexts survive a
// restart (GS CIM 009 clause 5.13). Implemented by the store layer; core entries are never
// passed to it. Implementations must be safe to call from several threads.

#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/model/context_entry.hpp"

namespace citytwin::jsonld {

class ContextPersistence {
 public:
  virtual ~ContextPersistence() = default;

  // Inserts or replaces the entry with this URL.
  virtual Status save(const ContextEntry& entry) = 0;
  // Removes the entry with this URL; removing an absent URL is not an error.
  virtual Status remove(std::string_view url) = 0;
  // Every saved entry, for ContextRegistry::restore() at start-up.
  virtual Result<std::vector<ContextEntry>> load_all() = 0;
};

}  // namespace citytwin::jsonld
