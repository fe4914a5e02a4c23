// KPI statistical input imports (src/kpi/input_rows.hpp, docs/kpi.md): CSV or JSON uploaded
// by a city's statistics office. The first input byte picks the format (even: CSV, odd:
// JSON), the rest is the file, validated against the variables of the embedded U4SSC
// catalogue. Accepted rows are valid (city, period, finite non-negative value, confidence
// within 0..1) and every error names a row of the file; an accepted file, rendered as JSON
// (InputRow::to_json, what the API answers), imports again to the same rows.

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <string>

#include "citytwin/kpi/catalogue.hpp"
#include "citytwin/kpi/input_rows.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

const kpi::Catalogue& catalogue() {
  static const kpi::Catalogue loaded = [] {
    auto embedded = kpi::Catalogue::embedded();
    if (!embedded.ok()) fuzz::fail("embedded catalogue does not load", embedded.error().detail);
    return std::move(*embedded);
  }();
  return loaded;
}

bool same_row(const kpi::InputRow& a, const kpi::InputRow& b) {
  return a.city == b.city && a.period == b.period && a.variable == b.variable &&
         a.value == b.value && a.unit == b.unit && a.source == b.source && a.method == b.method &&
         a.confidence == b.confidence;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  if (input.empty()) return 0;
  bool json = static_cast<unsigned char>(input[0]) % 2 == 1;
  std::string_view file = input.substr(1);
  kpi::VariableUnits units = [](std::string_view name) { return catalogue().variable_unit(name); };
  kpi::ParsedInputs parsed =
      json ? kpi::parse_inputs_json(file, units) : kpi::parse_inputs_csv(file, units);
  // Line breaks as the CSV reader counts them: LF, CRLF, and a lone CR (old Mac files).
  std::size_t lines = 1;
  for (std::size_t i = 0; i < file.size(); ++i) {
    if (file[i] == '\n' || (file[i] == '\r' && (i + 1 == file.size() || file[i + 1] != '\n'))) {
      ++lines;
    }
  }
  for (const auto& error : parsed.errors) {
    if (error.reason.empty()) fuzz::fail("row error without a reason");
    if (!json && error.row > lines) fuzz::fail("CSV error names a line past the end");
  }
  if (!parsed.errors.empty()) return 0;
  boost::json::array rendered;
  for (const auto& row : parsed.rows) {
    if (!kpi::valid_city(row.city) || !kpi::valid_period(row.period)) {
      fuzz::fail("accepted row with an invalid city or period", row.city + " " + row.period);
    }
    if (!std::isfinite(row.value)) fuzz::fail("accepted row with a value that is not finite");
    if (row.confidence && !(*row.confidence >= 0 && *row.confidence <= 1)) {
      fuzz::fail("accepted row with confidence outside 0..1");
    }
    rendered.push_back(row.to_json());
  }
  std::string text = boost::json::serialize(rendered);
  kpi::ParsedInputs again = kpi::parse_inputs_json(text, units);
  if (!again.errors.empty()) fuzz::fail("rendered rows do not import", again.errors[0].reason);
  if (again.rows.size() != parsed.rows.size()) fuzz::fail("rendered rows import to a new count");
  for (std::size_t i = 0; i < parsed.rows.size(); ++i) {
    if (!same_row(parsed.rows[i], again.rows[i])) fuzz::fail("rendered row imports changed", text);
  }
  return 0;
}
