#pragma once

#include "citytwin/http/router.hpp"
#include "citytwin/kpi/kpi_service.hpp"

namespace citytwin::http {

// The U4SSC KPI API (docs/kpi.md), per tenant (NGSILD-Tenant header):
//   GET  /kpi/v1/catalogue             ?dimension, subDimension, coreOrAdvanced, sdg
//   GET  /kpi/v1/catalogue/{code}
//   GET  /kpi/v1/definitions           the tenant's local definitions
//   PUT  /kpi/v1/definitions/{code}    a local definition (numerator/denominator/multiplier)
//   POST /kpi/v1/inputs                text/csv or application/json; whole file or nothing
//   GET  /kpi/v1/inputs                ?city, period, variable
//   GET  /kpi/v1/results               ?city, period, dimension, code
//   GET  /kpi/v1/integrity             verifies the tenant's hash-chained log
//   GET  /kpi/v1/rules                 sensor-derived input rules
//   PUT  /kpi/v1/rules/{variable}      a rule computing `variable` from sensor history
//   POST /kpi/v1/rules/evaluate        {"city", "period"}: evaluate and import
void add_kpi_routes(Router& router, kpi::KpiService& service);

}  // namespace citytwin::http
