#include "citytwin/kpi/input_store.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/kpi/integrity_log.hpp"

namespace citytwin::kpi {
namespace {

std::string prefix_of(std::string_view tenant) {
  return std::string(tenant) + '\x1f';
}

std::optional<InputRow> row_from_json(const boost::json::object& object) {
  InputRow row;
  auto text = [&](std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  row.city = text("city");
  row.period = text("period");
  row.variable = text("variable");
  row.unit = text("unit");
  row.source = text("source");
  row.method = text("method");
  const auto* value = object.if_contains("value");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  row.value = value->to_number<double>();
  if (const auto* confidence = object.if_contains("confidence");
      confidence && confidence->is_number()) {
    row.confidence = confidence->to_number<double>();
  }
  if (const auto* number = object.if_contains("row"); number && number->is_int64()) {
    row.row = static_cast<std::size_t>(number->as_int64());
  }
  return row;
}

Result<InputBatch> batch_from_text(const std::string& text) {
  boost::system::error_code ec;
  auto json = citytwin::parse_json(text, ec);
  if (ec || !json.is_object()) {
    return make_error(ErrorKind::kInternalError, "a stored KPI input batch is not JSON");
  }
  const auto& object = json.as_object();
  InputBatch batch;
  if (const auto* id = object.if_contains("id"); id && id->is_string()) batch.id = id->as_string();
  if (const auto* at = object.if_contains("acceptedAt"); at && at->is_string()) {
    batch.accepted_at = at->as_string();
  }
  if (const auto* rows = object.if_contains("rows"); rows && rows->is_array()) {
    for (const auto& item : rows->as_array()) {
      if (!item.is_object()) continue;
      auto row = row_from_json(item.as_object());
      if (row) batch.rows.push_back(std::move(*row));
    }
  }
  batch.digest = IntegrityLog::sha256_hex(text);
  return batch;
}

}  // namespace

InputIndex::InputIndex(const std::vector<InputBatch>& batches) {
  for (const auto& batch : batches) {
    for (const auto& row : batch.rows) {
      values_[std::make_tuple(row.city, row.period, row.variable)] = InputValue{row, batch.id};
    }
  }
}

const InputValue* InputIndex::find(std::string_view city, std::string_view period,
                                   std::string_view variable) const {
  auto it =
      values_.find(std::make_tuple(std::string(city), std::string(period), std::string(variable)));
  return it == values_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> InputIndex::city_periods() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, _] : values_) {
    std::pair<std::string, std::string> pair{std::get<0>(key), std::get<1>(key)};
    if (out.empty() || out.back() != pair) out.push_back(std::move(pair));
  }
  return out;
}

Result<InputBatch> InputStore::save(std::string_view tenant, std::vector<InputRow> rows,
                                    std::string accepted_at) {
  auto existing = load(tenant);
  if (!existing) return std::move(existing).error();
  char id[32];
  std::snprintf(id, sizeof id, "imp-%08zu", existing->size() + 1);
  boost::json::array json_rows;
  json_rows.reserve(rows.size());
  for (const auto& row : rows) {
    auto object = row.to_json();
    object["row"] = row.row;
    json_rows.push_back(std::move(object));
  }
  boost::json::object document{
      {"id", id}, {"acceptedAt", accepted_at}, {"rows", std::move(json_rows)}};
  std::string text = to_json_text(document);
  CT_RETURN_IF_ERROR(store_.put_document(kNamespace, prefix_of(tenant) + id, text));
  InputBatch batch;
  batch.id = id;
  batch.accepted_at = std::move(accepted_at);
  batch.rows = std::move(rows);
  batch.digest = IntegrityLog::sha256_hex(text);
  return batch;
}

Result<std::vector<InputBatch>> InputStore::load(std::string_view tenant) const {
  auto listed = store_.list_documents(kNamespace);
  if (!listed) return std::move(listed).error();
  const std::string prefix = prefix_of(tenant);
  std::vector<InputBatch> out;
  for (const auto& [key, value] : *listed) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    auto batch = batch_from_text(value);
    if (!batch) return std::move(batch).error();
    out.push_back(std::move(*batch));
  }
  return out;
}

}  // namespace citytwin::kpi
