// POST /citytwin/v1/import/entities: entities from a CSV file (the console's Import view,
// docs/console.md). One row is one entity: columns `id` and `type`, one column per attribute
// (`name` or `name[unitCode]`), optionally `longitude` + `latitude` (a GeoProperty `location`
// Point) and `observedAt` (for every attribute of the row). Each row is validated on its own
// and a bad row is reported by line, never written; the good rows are upserted (clause 6.15
// upsert with update semantics) in batches of kBatchRows, each batch one durable write, so a
// failure part-way leaves whole batches, never a half-written row.
#include <charconv>
#include <cmath>
#include <set>

#include "citytwin/common/csv.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/http/problem.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "handler_support.hpp"
#include "handlers.hpp"
#include "media_type.hpp"

namespace citytwin::http::ngsi {
namespace {

namespace json = boost::json;

constexpr std::size_t kBatchRows = 500;

struct Column {
  enum class Kind { kId, kType, kLongitude, kLatitude, kObservedAt, kAttribute };
  Kind kind = Kind::kAttribute;
  std::string header;  // as written, for error messages
  std::string name;    // the attribute
  std::string unit;    // from "name[unit]"
};

struct RowError {
  std::size_t line = 0;
  std::string column;
  std::string reason;
};

json::array errors_json(const std::vector<RowError>& errors) {
  json::array list;
  for (const auto& error : errors) {
    list.push_back({{"row", error.line}, {"column", error.column}, {"reason", error.reason}});
  }
  return list;
}

// A refusal of the whole file: ProblemDetails with the problems found.
Response refused(std::string detail, const std::vector<RowError>& errors) {
  Response response = problem_response(make_error(ErrorKind::kBadRequestData, std::move(detail)));
  boost::system::error_code ec;
  auto body = citytwin::parse_json(response.body, ec);
  if (ec || !body.is_object()) return response;
  body.as_object()["errors"] = errors_json(errors);
  response.body = to_json_text(body);
  return response;
}

Column column_of(std::string header) {
  Column column;
  column.header = header;
  static const std::pair<std::string_view, Column::Kind> kSpecial[] = {
      {"id", Column::Kind::kId},
      {"type", Column::Kind::kType},
      {"longitude", Column::Kind::kLongitude},
      {"latitude", Column::Kind::kLatitude},
      {"observedAt", Column::Kind::kObservedAt}};
  for (const auto& [name, kind] : kSpecial) {
    if (header == name) {
      column.kind = kind;
      return column;
    }
  }
  auto open = header.find('[');
  if (open != std::string::npos && header.back() == ']') {
    column.unit = header.substr(open + 1, header.size() - open - 2);
    header.resize(open);
  }
  column.name = std::move(header);
  return column;
}

std::vector<Column> read_header(const CsvRecord& header, std::vector<RowError>& errors) {
  std::vector<Column> columns;
  std::set<std::string> seen;
  bool has_id = false, has_type = false, has_longitude = false, has_latitude = false;
  for (const auto& field : header.fields) {
    Column column = column_of(field);
    auto fail = [&](std::string reason) {
      errors.push_back({header.line, field, std::move(reason)});
    };
    if (!seen.insert(column.kind == Column::Kind::kAttribute ? column.name : field).second) {
      fail("column named twice");
    }
    has_id |= column.kind == Column::Kind::kId;
    has_type |= column.kind == Column::Kind::kType;
    has_longitude |= column.kind == Column::Kind::kLongitude;
    has_latitude |= column.kind == Column::Kind::kLatitude;
    if (column.kind == Column::Kind::kAttribute) {
      if (!model::is_valid_name(column.name) || is_entity_member(column.name)) {
        fail("not a valid attribute name");
      } else if (column.name == "location" && (has_longitude || has_latitude)) {
        fail("location is given by longitude and latitude already");
      }
    }
    columns.push_back(std::move(column));
  }
  if (!has_id) errors.push_back({header.line, "id", "an id column is required"});
  if (!has_type) errors.push_back({header.line, "type", "a type column is required"});
  if (has_longitude != has_latitude) {
    errors.push_back({header.line, has_longitude ? "latitude" : "longitude",
                      "longitude and latitude go together"});
  }
  return columns;
}

std::optional<double> number_of(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// A cell's JSON value: a number or boolean when it reads as one, else the text.
json::value cell_value(const std::string& text) {
  if (auto number = number_of(text)) {
    double whole = 0;
    if (std::modf(*number, &whole) == 0 && std::abs(*number) < 9e15) {
      return json::value(static_cast<std::int64_t>(*number));
    }
    return json::value(*number);
  }
  if (text == "true") return json::value(true);
  if (text == "false") return json::value(false);
  return json::value(text);
}

// The row as an NGSI-LD normalized entity (nullopt when a cell is already wrong).
std::optional<json::object> row_entity(const std::vector<Column>& columns, const CsvRecord& row,
                                       std::size_t line, std::vector<RowError>& errors) {
  json::object entity;
  json::object attributes;
  std::optional<double> longitude, latitude;
  std::string observed_at;
  std::size_t before = errors.size();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const Column& column = columns[i];
    std::string cell = i < row.fields.size() ? row.fields[i] : std::string();
    if (cell.empty()) continue;
    auto coordinate = [&](std::optional<double>& out, double limit) {
      out = number_of(cell);
      if (!out || std::abs(*out) > limit) {
        errors.push_back({line, column.header, "not a coordinate in degrees"});
      }
    };
    switch (column.kind) {
      case Column::Kind::kId:
        entity["id"] = cell;
        break;
      case Column::Kind::kType:
        entity["type"] = cell;
        break;
      case Column::Kind::kLongitude:
        coordinate(longitude, 180);
        break;
      case Column::Kind::kLatitude:
        coordinate(latitude, 90);
        break;
      case Column::Kind::kObservedAt:
        observed_at = cell;
        break;
      case Column::Kind::kAttribute: {
        json::object attribute{{"type", "Property"}, {"value", cell_value(cell)}};
        if (!column.unit.empty()) attribute["unitCode"] = column.unit;
        attributes[column.name] = std::move(attribute);
      }
    }
  }
  if (row.fields.size() > columns.size()) {
    errors.push_back({line, "", "more cells than columns"});
  }
  if (!entity.contains("id")) errors.push_back({line, "id", "id is required"});
  if (!entity.contains("type")) errors.push_back({line, "type", "type is required"});
  if (longitude.has_value() != latitude.has_value()) {
    errors.push_back({line, "longitude", "longitude and latitude go together"});
  }
  if (errors.size() != before) return std::nullopt;
  if (longitude) {
    attributes["location"] = json::object{
        {"type", "GeoProperty"},
        {"value", {{"type", "Point"}, {"coordinates", json::array{*longitude, *latitude}}}}};
  }
  for (auto& [name, attribute] : attributes) {
    if (!observed_at.empty()) attribute.as_object()["observedAt"] = observed_at;
    entity[name] = std::move(attribute);
  }
  return entity;
}

struct ImportTally {
  std::size_t rows = 0;
  std::size_t written = 0;
  std::size_t created = 0;
  std::vector<RowError> errors;
};

void write_batch(NgsiApi& api, const RequestEnv& env, std::vector<core::BatchItem>& items,
                 std::vector<std::size_t>& lines, ImportTally& tally) {
  if (items.empty()) return;
  auto outcome = api.entities.batch(env.tenant, core::BatchKind::kUpsertUpdate, std::move(items));
  for (std::size_t i = 0; i < outcome.items.size(); ++i) {
    const auto& item = outcome.items[i];
    if (item.error) {
      tally.errors.push_back({lines[i], "", item.error->detail});
    } else {
      ++tally.written;
      tally.created += item.created ? 1 : 0;
    }
  }
  items.clear();
  lines.clear();
}

}  // namespace

Response import_entities(Request& request, NgsiApi& api) {
  auto env = prepare_read(request, api);
  if (!env) return problem_response(env.error());
  if (media_type_essence(request.header("content-type").value_or("")) != "text/csv") {
    return problem_response(
        make_error(ErrorKind::kUnsupportedMediaType, "Content-Type must be text/csv"));
  }
  // A client sending a large file in parts names where each part starts, so that errors
  // name lines of the whole file.
  std::size_t first_line = 0;
  if (auto param = request.param("firstLine")) {
    auto number = number_of(*param);
    if (!number || *number < 2 || *number != std::floor(*number)) {
      return problem_response(
          make_error(ErrorKind::kBadRequestData, "firstLine must be a line number >= 2"));
    }
    first_line = static_cast<std::size_t>(*number);
  }
  std::vector<CsvRecord> records;
  if (!split_csv(request.body, records)) {
    return refused("the CSV text has an unterminated quote", {});
  }
  if (records.empty()) return refused("the CSV file is empty", {});
  ImportTally tally;
  auto columns = read_header(records.front(), tally.errors);
  if (!tally.errors.empty()) return refused("the header line is not usable", tally.errors);
  std::size_t offset = records.size() > 1 && first_line > 0 ? first_line - records[1].line : 0;

  std::vector<core::BatchItem> items;
  std::vector<std::size_t> lines;
  for (std::size_t r = 1; r < records.size(); ++r) {
    ++tally.rows;
    std::size_t line = records[r].line + offset;
    auto entity = row_entity(columns, records[r], line, tally.errors);
    if (!entity) continue;
    auto parsed = model::parse_entity(*entity, *env->context, parse_options(true, true));
    if (!parsed) {
      tally.errors.push_back({line, "", parsed.error().detail});
      continue;
    }
    std::string id(parsed->at(model::form::kId).as_string());
    items.push_back(core::BatchItem{std::move(id), std::move(*parsed)});
    lines.push_back(line);
    if (items.size() == kBatchRows) write_batch(api, *env, items, lines, tally);
  }
  write_batch(api, *env, items, lines, tally);
  json::object body{{"rows", tally.rows},
                    {"written", tally.written},
                    {"created", tally.created},
                    {"errors", errors_json(tally.errors)}};
  return Response::with_body(tally.errors.empty() ? 201 : 207, "application/json",
                             to_json_text(body));
}

}  // namespace citytwin::http::ngsi
