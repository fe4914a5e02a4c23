#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::kpi {

// A city's target for one KPI (issue #8, "Assessment"): reach `value` by `year`. `city` empty
// means every city and district of the tenant; a target for one city overrides it there.
struct Target {
  std::string code;
  std::string city;
  double value = 0;
  int year = 0;
  std::string note;  // why this target (a plan, a council decision), for people
  // "higher", "lower" or "target": which way is better, stated by the city for a KPI whose
  // direction the catalogue leaves unknown (the reference does not say for most KPIs); empty
  // otherwise. A direction that contradicts the catalogue's is refused (KpiService).
  std::string direction;
  std::string set_at;  // ISO 8601, when it was stored

  boost::json::object to_json() const;
};

// Parses {"value": n, "year": YYYY, "city"?: "...", "note"?: "...", "direction"?: "higher" |
// "lower" | "target"} for `code` (the code is checked against the catalogue by the caller).
Result<Target> parse_target(std::string_view code, const boost::json::value& json);

// Which way is better for a KPI: the catalogue's direction, else the one the applying target
// states, else "unknown".
std::string effective_direction(std::string_view catalogue_direction, const Target* target);

// The target that applies to `code` in `city`: the city's own, else the tenant-wide one.
const Target* find_target(const std::vector<Target>& targets, std::string_view code,
                          std::string_view city);

// All targets of a tenant are ONE store document, so replacing the whole set (PUT
// /kpi/v1/targets) is a single atomic, durable write and the integrity log vouches for it
// with one digest.
class TargetStore {
 public:
  static constexpr std::string_view kNamespace = "kpi-targets";

  explicit TargetStore(store::EntityStore& store) : store_(store) {}

  struct Loaded {
    std::vector<Target> targets;  // sorted by code, then city
    std::string digest;           // SHA-256 of the stored document ("" when none is stored)
  };
  Result<Loaded> load(std::string_view tenant) const;
  // Stores `targets` as the tenant's whole set; returns the stored document's digest.
  Result<std::string> save(std::string_view tenant, std::vector<Target> targets);

 private:
  store::EntityStore& store_;
};

}  // namespace citytwin::kpi
