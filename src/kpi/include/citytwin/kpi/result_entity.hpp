#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "citytwin/kpi/calculator.hpp"
#include "citytwin/kpi/catalogue.hpp"

namespace citytwin::kpi {

// Results are NGSI-LD entities of the Smart Data Models type KeyPerformanceIndicator
// (dataModel.KeyPerformanceIndicator: kpiValue, calculationPeriod, calculationFrequency,
// calculationMethod, calculationFormula, category, area, name, description, source,
// updatedAt) plus U4SSC members the model leaves open (kpiCode, dimension, definitionOrigin,
// dataStatus, missingInputs, provenance, ...). Names are terms of the NGSI-LD core context's
// default vocabulary, so a client without its own @context sees the short names.
inline constexpr std::string_view kKpiType = "KeyPerformanceIndicator";

std::string result_entity_id(std::string_view city, std::string_view period, std::string_view code);

// The stored-form entity (model/entity_form.hpp) for a result.
boost::json::object result_entity(const KpiResult& result, const KpiEntry& entry,
                                  std::string_view formula_text, std::string_view updated_at);

// A result entity (stored form) as the flat JSON object GET /kpi/v1/results returns.
boost::json::object result_view(const boost::json::object& entity);

// The expanded IRI of a default-vocabulary term.
std::string vocab_iri(std::string_view term);

}  // namespace citytwin::kpi
