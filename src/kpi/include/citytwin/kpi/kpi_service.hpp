#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/kpi/assessment.hpp"
#include "citytwin/kpi/calculator.hpp"
#include "citytwin/kpi/catalogue.hpp"
#include "citytwin/kpi/input_rows.hpp"
#include "citytwin/kpi/input_store.hpp"
#include "citytwin/kpi/integrity_log.hpp"
#include "citytwin/kpi/sensor_rule.hpp"
#include "citytwin/kpi/targets.hpp"

namespace citytwin::kpi {

enum class InputFormat { kCsv, kJson };

struct ImportOutcome {
  bool accepted = false;
  std::vector<RowError> errors;  // every row's problem when not accepted
  std::string import_id;
  std::size_t rows = 0;
  std::size_t results = 0;  // KPI results recomputed and published
};

struct InputFilter {
  std::string city;
  std::string period;
  std::string variable;
};

struct ResultFilter {
  std::string city;
  std::string period;
  std::string dimension;
  std::string code;
};

// The U4SSC KPI engine of one server (docs/kpi.md): the catalogue with the tenants' local
// definitions, statistical inputs, computation and publication of results as NGSI-LD
// KeyPerformanceIndicator entities through core::EntityService (so queries and
// subscriptions see them), and the integrity log. Imports and definition changes are
// serialized so that the log's order is the order in which they took effect.
class KpiService {
 public:
  static constexpr std::string_view kDefinitions = "kpi-definitions";

  static constexpr std::string_view kRules = "kpi-rules";

  // Sensor-derived inputs read the sensors' history straight from `store`'s columns.
  KpiService(store::EntityStore& store, core::EntityService& entities, const Clock& clock,
             Catalogue catalogue);

  const Catalogue& catalogue() const { return catalogue_; }
  const Clock& clock() const { return clock_; }

  // Catalogue entries with the tenant's effective definition and its origin.
  Result<boost::json::array> list_catalogue(std::string_view tenant,
                                            const CatalogueFilter& filter) const;
  Result<boost::json::object> describe(std::string_view tenant, std::string_view code) const;

  // Stores a local definition for a catalogue code (validated: named variables in known
  // units consistent with the catalogue's, referenced KPIs exist, no cycle through kpi
  // references) and recomputes the results it affects.
  Result<boost::json::object> put_definition(std::string_view tenant, std::string_view code,
                                             const boost::json::value& body);
  Result<boost::json::array> list_definitions(std::string_view tenant) const;

  // Validates every row; accepts the whole file (one atomic write, logged) or nothing.
  // Recomputes and publishes every KPI whose definition uses an imported variable, for
  // each city and period in the file.
  Result<ImportOutcome> import(std::string_view tenant, InputFormat format, std::string_view text,
                               const Progress& progress = {});

  Result<boost::json::array> inputs(std::string_view tenant, const InputFilter& filter) const;

  // Sensor-derived inputs (sensor_rule.hpp): a rule per variable, checked against the
  // variable's unit; evaluate_rules computes every rule of a city for a period and imports
  // the values like a file (logged, recomputed). Rules without samples are listed in
  // `skipped` with the reason, and give no input.
  Result<boost::json::object> put_rule(std::string_view tenant, std::string_view variable,
                                       const boost::json::value& body);
  Result<boost::json::array> list_rules(std::string_view tenant) const;
  struct RuleEvaluation {
    ImportOutcome imported;  // accepted = false and no errors when no rule gave a value
    std::vector<std::pair<std::string, std::string>> skipped;  // (variable, reason)
  };
  Result<RuleEvaluation> evaluate_rules(std::string_view tenant, std::string_view city,
                                        std::string_view period);
  Result<boost::json::array> results(std::string_view tenant, const ResultFilter& filter) const;

  // Targets (docs/kpi.md, "Assessment"): the tenant's whole set is one document, logged in
  // the integrity chain with its digest. put_target sets one KPI's target (for one city, or
  // tenant-wide without "city"); put_targets replaces the whole set (an array of targets with
  // "code"), validated whole: one bad target stores nothing.
  Result<boost::json::object> put_target(std::string_view tenant, std::string_view code,
                                         const boost::json::value& body);
  Result<boost::json::array> put_targets(std::string_view tenant, const boost::json::value& body);
  Result<std::vector<Target>> targets(std::string_view tenant) const;

  // The assessment of a city (or district) for a period: every catalogue KPI with value,
  // target, direction-aware status, trend and the per-dimension summary.
  Result<Assessment> assessment(std::string_view tenant, std::string_view city,
                                std::string_view period) const;
  // Several cities side by side (assessment.hpp, compare()).
  Result<boost::json::object> comparison(std::string_view tenant,
                                         const std::vector<std::string>& cities,
                                         std::string_view period) const;

  // The integrity log of one tenant, or of every tenant with a log when `tenant` is nullopt.
  Result<std::vector<IntegrityLog::Report>> verify(std::optional<std::string> tenant) const;

 private:
  Status check_direction(const Target& target) const;
  struct Definitions {
    std::map<std::string, Definition, std::less<>> by_code;
    const Definition* find(std::string_view code) const;
    DefinitionLookup lookup() const;
  };
  Result<std::map<std::string, Definition, std::less<>>> load_local(std::string_view tenant) const;
  Result<Definitions> effective(std::string_view tenant) const;
  std::optional<std::string> variable_unit(const Definitions& definitions,
                                           std::string_view name) const;
  Status check_definition(const Definitions& definitions, const Definition& candidate) const;
  using Place = std::pair<std::string, std::string>;  // (city, period)
  Result<ImportOutcome> accept(std::string_view tenant, const Definitions& definitions,
                               std::vector<InputRow> rows);
  Result<std::vector<Target>> store_targets(std::string_view tenant, std::vector<Target> targets);
  Result<AssessmentSources> assessment_sources(std::string_view tenant) const;
  Result<std::vector<SensorRule>> load_rules(std::string_view tenant) const;
  // Computes the listed codes for each (city, period), publishes the results as entities in
  // one write and logs each; returns how many.
  Result<std::size_t> publish(std::string_view tenant, const Definitions& definitions,
                              const std::map<Place, std::vector<std::string>>& work);

  store::EntityStore& store_;
  core::EntityService& entities_;
  const Clock& clock_;
  Catalogue catalogue_;
  InputStore inputs_;
  TargetStore targets_;
  mutable IntegrityLog log_;
  std::mutex write_mutex_;
};

}  // namespace citytwin::kpi
