#include "citytwin/core/history_export.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <utility>

#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace {

namespace form = model::form;
namespace json = boost::json;

constexpr std::size_t kEntitiesPerPage = 100;
constexpr std::string_view kCsvHeader =
    "id,type,attribute,datasetId,observedAt,modifiedAt,value,unitCode\r\n";

// RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string string_member(const json::object& object, std::string_view name) {
  const auto* member = object.if_contains(name);
  return member != nullptr && member->is_string() ? std::string(member->get_string()) : "";
}

// The instance's value member, whatever its attribute type (clause 4.5).
const json::value* value_of(const json::object& instance) {
  static constexpr std::string_view kMembers[] = {
      form::kValue,     form::kObject,     form::kLanguageMap, form::kVocab,
      form::kValueList, form::kObjectList, form::kJson};
  for (std::string_view member : kMembers) {
    if (const auto* value = instance.if_contains(member)) return value;
  }
  return nullptr;
}

std::string text_of(const json::value* value) {
  if (value == nullptr) return "";
  if (value->is_string()) return std::string(value->get_string());
  return to_json_text(*value);
}

struct Row {
  std::string id;
  std::string type;
  std::string attribute;
  const json::object* instance;
};

void append_row(std::string& out, const Row& row, HistoryExport::Format format) {
  const json::object& instance = *row.instance;
  const json::value* value = value_of(instance);
  if (format == HistoryExport::Format::kJsonLines) {
    json::object line{{"id", row.id},
                      {"type", row.type},
                      {"attribute", row.attribute},
                      {"value", value != nullptr ? *value : json::value(nullptr)}};
    for (std::string_view member :
         {form::kDatasetId, form::kObservedAt, form::kModifiedAt, form::kUnitCode}) {
      if (const auto* found = instance.if_contains(member)) line[member] = *found;
    }
    append_json_text(out, line);
    out += '\n';
    return;
  }
  const std::string fields[] = {row.id,
                                row.type,
                                row.attribute,
                                string_member(instance, form::kDatasetId),
                                string_member(instance, form::kObservedAt),
                                string_member(instance, form::kModifiedAt),
                                text_of(value),
                                string_member(instance, form::kUnitCode)};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i != 0) out += ',';
    append_csv_field(out, fields[i]);
  }
  out += "\r\n";
}

std::string types_text(const json::value& types, const jsonld::TermMapper& terms) {
  std::string out;
  if (!types.is_array()) return out;
  for (const auto& type : types.get_array()) {
    if (!type.is_string()) continue;
    if (!out.empty()) out += ',';
    out += terms.compact(type.get_string());
  }
  return out;
}

}  // namespace

HistoryExport::HistoryExport(const EntityService& entities, const TemporalService& temporal,
                             const jsonld::TermMapper& terms, std::string tenant,
                             EntityQuery selection, TemporalQuery temporal_query, Format format)
    : entities_(entities),
      temporal_(temporal),
      terms_(terms),
      tenant_(std::move(tenant)),
      selection_(std::move(selection)),
      temporal_query_(std::move(temporal_query)),
      format_(format) {
  selection_.limit = kEntitiesPerPage;
  selection_.offset = 0;
  selection_.count = false;
  temporal_query_.aggregation.reset();
  temporal_query_.page_size = 0;
  if (temporal_query_.property == TemporalQuery::TimeProperty::kDeletedAt) {
    temporal_query_.property = TemporalQuery::TimeProperty::kObservedAt;
  }
}

// Entities are walked by id order a page at a time; one written meanwhile may be missed
// or, if an earlier one is deleted, seen twice, as with any paged query.
Status HistoryExport::fill_entities() {
  auto page = entities_.query(tenant_, selection_);
  if (!page) return std::move(page).error();
  for (const auto& entity : page->entities) {
    pending_ids_.emplace_back(entity.at(form::kId).as_string());
  }
  std::reverse(pending_ids_.begin(), pending_ids_.end());  // popped from the back
  selection_.offset += page->entities.size();
  entities_done_ = !page->more;
  return ok_status();
}

// With `attrs` one attribute at a time, which bounds what is held in memory by max_samples
// per attribute; without, every attribute the history holds (bounded per entity).
Status HistoryExport::export_entity(const std::string& id, std::string& out) {
  std::vector<std::set<std::string, std::less<>>> selections;
  for (const std::string& attribute : temporal_query_.attrs) selections.push_back({attribute});
  if (selections.empty()) selections.emplace_back();
  for (auto& selection : selections) {
    TemporalQuery query = temporal_query_;
    query.attrs = std::move(selection);
    auto history = temporal_.retrieve(tenant_, id, query);
    if (!history) {
      if (history.error().kind == ErrorKind::kResourceNotFound) return ok_status();
      return std::move(history).error();
    }
    std::string types = types_text(history->at(form::kType), terms_);
    for (const auto& [attribute, instances] : history->at(form::kAttrs).as_object()) {
      Row row{id, types, terms_.compact(attribute), nullptr};
      for (const auto& instance : instances.as_array()) {
        row.instance = &instance.as_object();
        append_row(out, row, format_);
      }
    }
  }
  return ok_status();
}

Result<std::optional<std::string>> HistoryExport::next(std::size_t chunk_bytes) {
  std::string out;
  if (!header_written_) {
    header_written_ = true;
    if (format_ == Format::kCsv) out += kCsvHeader;
  }
  while (out.size() < chunk_bytes) {
    if (pending_ids_.empty()) {
      if (entities_done_) break;
      CT_RETURN_IF_ERROR(fill_entities());
      if (pending_ids_.empty()) break;
    }
    std::string id = std::move(pending_ids_.back());
    pending_ids_.pop_back();
    CT_RETURN_IF_ERROR(export_entity(id, out));
  }
  if (out.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(out));
}

}  // namespace citytwin::core
