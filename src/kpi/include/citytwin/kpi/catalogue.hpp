#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"
#include "citytwin/kpi/formula.hpp"

namespace citytwin::kpi {

// One U4SSC KPI as the catalogue (data/kpi/catalogue.json, built by
// scripts/build_kpi_catalogue.py from the reference facts) describes it.
struct KpiEntry {
  std::string code;  // normalized, e.g. "EC.ICT.ICT.1C"
  std::string name;
  std::string dimension;         // Economy, Environment, Society and Culture
  std::string sub_dimension;     // e.g. ICT
  std::string core_or_advanced;  // core | advanced
  std::vector<std::string> sdg;  // SDG target/indicator references, e.g. "17.8.1"
  std::string direction;         // higher | lower | target | unknown
  // computable (official formula below), pending (the reference has no complete formula)
  // or qualitative (a complete method without arithmetic).
  std::string status;
  std::optional<Formula> formula;  // official definition, when status is computable
  boost::json::object json;        // the whole entry as shipped, for GET /kpi/v1/catalogue
};

// Filters of GET /kpi/v1/catalogue; empty = any.
struct CatalogueFilter {
  std::string dimension;
  std::string sub_dimension;
  std::string core_or_advanced;
  std::string sdg;  // an entry matches when one of its references equals or starts with it
                    // ("11" matches "11.2")
  bool matches(const KpiEntry& entry) const;
};

class Catalogue {
 public:
  // Parses the catalogue file's text; every computable entry must carry a valid formula.
  static Result<Catalogue> parse(std::string_view text);
  // The catalogue embedded in the binary at build time (src/kpi/CMakeLists.txt).
  static Result<Catalogue> embedded();

  const std::vector<KpiEntry>& entries() const { return entries_; }
  const KpiEntry* find(std::string_view code) const;
  // The unit an official formula expects a variable in; nullopt for unknown variables.
  std::optional<std::string> variable_unit(std::string_view name) const;

 private:
  std::vector<KpiEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> by_code_;
  std::map<std::string, std::string, std::less<>> variable_units_;
};

}  // namespace citytwin::kpi
