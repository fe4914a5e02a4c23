#include "citytwin/kpi/input_rows.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <tuple>

#include "citytwin/common/csv.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/utf8.hpp"
#include "citytwin/kpi/formula.hpp"
#include "citytwin/kpi/units.hpp"

namespace citytwin::kpi {
namespace {

constexpr std::size_t kProgressEvery = 5000;
const std::vector<std::string> kRequired = {"city",  "period", "variable",
                                            "value", "unit",   "source"};
const std::vector<std::string> kOptional = {"method", "confidence"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Row checks shared by CSV and JSON, once the fields are extracted as text / numbers.
class RowValidator {
 public:
  RowValidator(const VariableUnits& variables, ParsedInputs& out)
      : variables_(variables), out_(out) {}

  void add(InputRow row, bool value_ok, bool confidence_ok) {
    std::size_t before = out_.errors.size();
    auto fail = [&](std::string column, std::string reason) {
      out_.errors.push_back({row.row, std::move(column), std::move(reason)});
    };
    if (!valid_city(row.city)) {
      fail("city", "city must be 1-64 letters, digits, '-', '_', '.' or ':'");
    }
    if (!valid_period(row.period)) fail("period", "period must be YYYY, YYYY-Qn or YYYY-MM");
    std::optional<std::string> expected;
    if (row.variable.empty()) {
      fail("variable", "variable is required");
    } else {
      expected = variables_(row.variable);
      if (!expected) {
        fail("variable", "unknown variable '" + row.variable +
                             "' (not used by the catalogue or a local definition)");
      }
    }
    if (!value_ok) fail("value", "value must be a finite number");
    auto unit = find_unit(row.unit);
    if (!unit) {
      fail("unit", row.unit.empty() ? "unit is required" : unit.error().detail);
    } else {
      row.unit = unit->code;
      if (expected) {
        auto converted = convert_unit(1, row.unit, *expected);
        if (!converted) {
          fail("unit", "variable '" + row.variable + "' is expected in '" + *expected + "'; '" +
                           row.unit + "' cannot be converted to it");
        }
      }
      if (value_ok && unit->dimension == "count" && row.value < 0) {
        fail("value", "a count cannot be negative");
      }
    }
    if (row.source.empty()) fail("source", "source is required (who published the figure)");
    if (!confidence_ok || (row.confidence && (*row.confidence < 0 || *row.confidence > 1))) {
      fail("confidence", "confidence must be a number from 0 to 1");
    }
    if (out_.errors.size() == before) {
      auto key = std::make_tuple(row.city, row.period, row.variable);
      auto [it, inserted] = seen_.emplace(key, row.row);
      if (!inserted) {
        fail("variable", "same city, period and variable as row " + std::to_string(it->second));
        return;
      }
      out_.rows.push_back(std::move(row));
    }
  }

 private:
  const VariableUnits& variables_;
  ParsedInputs& out_;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> seen_;
};

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) ++start;
  return text.substr(start);
}

}  // namespace

boost::json::object InputRow::to_json() const {
  boost::json::object out{{"city", city},         {"period", period},
                          {"variable", variable}, {"value", number_json(value)},
                          {"unit", unit},         {"source", source}};
  if (!method.empty()) out["method"] = method;
  if (confidence) out["confidence"] = *confidence;
  return out;
}

bool valid_period(std::string_view period) {
  if (period.size() != 4 && period.size() != 7) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!is_digit(period[i])) return false;
  }
  if (period.size() == 4) return true;
  if (period[4] != '-') return false;
  if (period[5] == 'Q') return period[6] >= '1' && period[6] <= '4';
  if (!is_digit(period[5]) || !is_digit(period[6])) return false;
  int month = (period[5] - '0') * 10 + (period[6] - '0');
  return month >= 1 && month <= 12;
}

bool valid_city(std::string_view city) {
  if (city.empty() || city.size() > 64) return false;
  for (char c : city) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

ParsedInputs parse_inputs_csv(std::string_view text, const VariableUnits& variables,
                              const Progress& progress) {
  ParsedInputs out;
  // Imported text ends up in JSON (rows, results, the integrity log), which must be UTF-8
  // (RFC 8259 clause 8.1); the JSON import gets this check from its parser.
  if (std::size_t valid = valid_utf8_prefix(text); valid < text.size()) {
    auto line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + valid, '\n'));
    out.errors.push_back(
        {line + 1, "",
         "the file is not UTF-8 text (invalid byte " + std::to_string(valid + 1) + ")"});
    return out;
  }
  std::vector<CsvRecord> records;
  if (!split_csv(text, records)) {
    out.errors.push_back({0, "", "unterminated double quote"});
    return out;
  }
  if (records.empty()) {
    out.errors.push_back({1, "", "the file is empty (a header line is required)"});
    return out;
  }
  std::map<std::string, std::size_t> columns;
  for (std::size_t c = 0; c < records[0].fields.size(); ++c) {
    std::string name = trim(records[0].fields[c]);
    bool known = std::find(kRequired.begin(), kRequired.end(), name) != kRequired.end() ||
                 std::find(kOptional.begin(), kOptional.end(), name) != kOptional.end();
    if (!known) {
      out.errors.push_back({1, name, "unknown column"});
    } else if (!columns.emplace(name, c).second) {
      out.errors.push_back({1, name, "column given twice"});
    }
  }
  for (const auto& name : kRequired) {
    if (!columns.count(name)) out.errors.push_back({1, name, "required column missing"});
  }
  if (!out.errors.empty()) return out;
  RowValidator validator(variables, out);
  const std::size_t total = records.size() - 1;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& record = records[r];
    if (record.fields.size() != records[0].fields.size()) {
      out.errors.push_back({record.line, "",
                            "expected " + std::to_string(records[0].fields.size()) +
                                " fields, found " + std::to_string(record.fields.size())});
      continue;
    }
    auto field = [&](const std::string& name) {
      auto it = columns.find(name);
      return it == columns.end() ? std::string() : trim(record.fields[it->second]);
    };
    InputRow row;
    row.row = record.line;
    row.city = field("city");
    row.period = field("period");
    row.variable = field("variable");
    row.unit = field("unit");
    row.source = field("source");
    row.method = field("method");
    auto value = parse_number(field("value"));
    if (value) row.value = *value;
    bool confidence_ok = true;
    if (std::string text = field("confidence"); !text.empty()) {
      row.confidence = parse_number(text);
      confidence_ok = row.confidence.has_value();
    }
    validator.add(std::move(row), value.has_value(), confidence_ok);
    if (progress && r % kProgressEvery == 0) progress(r, total);
  }
  if (progress) progress(total, total);
  return out;
}

ParsedInputs parse_inputs_json(std::string_view text, const VariableUnits& variables,
                               const Progress& progress) {
  ParsedInputs out;
  boost::system::error_code ec;
  auto json = citytwin::parse_json(text, ec);
  if (ec || !json.is_array()) {
    out.errors.push_back({0, "", "the body must be a JSON array of input objects"});
    return out;
  }
  RowValidator validator(variables, out);
  const auto& items = json.as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    InputRow row;
    row.row = i + 1;
    const auto* object = items[i].if_object();
    if (object == nullptr) {
      out.errors.push_back({row.row, "", "each input must be a JSON object"});
      continue;
    }
    bool typed = true;
    for (const auto& [key, value] : *object) {
      bool known = std::find(kRequired.begin(), kRequired.end(), key) != kRequired.end() ||
                   std::find(kOptional.begin(), kOptional.end(), key) != kOptional.end();
      if (!known) {
        out.errors.push_back({row.row, std::string(key), "unknown member"});
        typed = false;
      }
    }
    auto text = [&](std::string_view key) -> std::string {
      const auto* value = object->if_contains(key);
      if (value == nullptr) return {};
      if (!value->is_string()) {
        out.errors.push_back({row.row, std::string(key), "must be a string"});
        typed = false;
        return {};
      }
      return std::string(value->as_string());
    };
    row.city = text("city");
    row.period = text("period");
    row.variable = text("variable");
    row.unit = text("unit");
    row.source = text("source");
    row.method = text("method");
    bool value_ok = false;
    if (const auto* value = object->if_contains("value"); value && value->is_number()) {
      row.value = value->to_number<double>();
      value_ok = std::isfinite(row.value);
    }
    bool confidence_ok = true;
    if (const auto* confidence = object->if_contains("confidence");
        confidence && !confidence->is_null()) {
      confidence_ok = confidence->is_number();
      if (confidence_ok) row.confidence = confidence->to_number<double>();
    }
    if (!typed) continue;
    validator.add(std::move(row), value_ok, confidence_ok);
    if (progress && (i + 1) % kProgressEvery == 0) progress(i + 1, items.size());
  }
  if (progress) progress(items.size(), items.size());
  return out;
}

}  // namespace citytwin::kpi
