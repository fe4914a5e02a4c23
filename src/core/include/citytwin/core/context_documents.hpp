#pragma once

#include "citytwin/model/context_persistence.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Keeps the @context registry's hosted and downloaded documents in the store's document
// namespace "jsonld-contexts", so they survive restarts (GS CIM 009 clause 5.13).
class StoreContextPersistence final : public jsonld::ContextPersistence {
 public:
  explicit StoreContextPersistence(store::EntityStore& store) : store_(store) {}

  Status save(const jsonld::ContextEntry& entry) override;
  Status remove(std::string_view url) override;
  Result<std::vector<jsonld::ContextEntry>> load_all() override;

 private:
  store::EntityStore& store_;
};

}  // namespace citytwin::core
