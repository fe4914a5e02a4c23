#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/kpi/input_rows.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::kpi {

// One accepted import: all its rows are stored as ONE document, so a file is in the store
// entirely or not at all (EntityStore::put_document is a single atomic, durable write).
struct InputBatch {
  std::string id;           // "imp-00000001", increasing per tenant: later imports win
  std::string accepted_at;  // ISO 8601
  std::vector<InputRow> rows;
  std::string digest;  // SHA-256 of the stored document text (what the integrity log vouches)
};

// The value a computation uses for one variable, with where it came from.
struct InputValue {
  InputRow row;
  std::string import_id;
};

// The newest value of each (city, period, variable) across a tenant's batches.
class InputIndex {
 public:
  explicit InputIndex(const std::vector<InputBatch>& batches);
  const InputValue* find(std::string_view city, std::string_view period,
                         std::string_view variable) const;
  // Every (city, period) that has at least one input.
  std::vector<std::pair<std::string, std::string>> city_periods() const;

 private:
  std::map<std::tuple<std::string, std::string, std::string>, InputValue, std::less<>> values_;
};

class InputStore {
 public:
  static constexpr std::string_view kNamespace = "kpi-inputs";

  explicit InputStore(store::EntityStore& store) : store_(store) {}

  // Stores the rows as the tenant's next batch.
  Result<InputBatch> save(std::string_view tenant, std::vector<InputRow> rows,
                          std::string accepted_at);
  // The tenant's batches in import order.
  Result<std::vector<InputBatch>> load(std::string_view tenant) const;

 private:
  store::EntityStore& store_;
};

}  // namespace citytwin::kpi
