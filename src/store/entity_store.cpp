#include "citytwin/store/entity_store.hpp"

#include <algorithm>
#include <limits>

#include "citytwin/store/history_columns_builder.hpp"

namespace citytwin::store {

// A store without a value index reports every range as too large, which sends the caller to
// its plan without the index: slower, never wrong.
Result<ValueScan> EntityStore::scan_values(std::string_view, std::string_view, const ValueRange&,
                                           std::size_t) const {
  ValueScan scan;
  scan.truncated = true;
  return scan;
}

Status EntityStore::apply_deferred(std::string_view tenant, std::span<const Change> changes) {
  return apply(tenant, changes);
}

Status EntityStore::visit_history(std::string_view tenant, std::string_view entity,
                                  std::string_view attribute, const HistoryRange& range,
                                  const HistoryVisitor& visit) const {
  auto samples = history(tenant, entity, attribute, range, std::numeric_limits<std::size_t>::max());
  if (!samples) return std::move(samples).error();
  for (const HistorySample& sample : *samples) {
    if (!visit(sample)) break;
  }
  return ok_status();
}

Status EntityStore::visit_history_columns(std::string_view tenant, std::string_view entity,
                                          std::string_view attribute, const HistoryRange& range,
                                          const HistoryColumnsVisitor& visit) const {
  HistoryColumnsBuilder builder(visit);
  CT_RETURN_IF_ERROR(visit_history(
      tenant, entity, attribute, range,
      [&builder](const HistorySample& sample) { return builder.add_sample(sample); }));
  builder.flush();
  return ok_status();
}

NewestLookup EntityStore::find_newest(std::string_view, std::string_view, std::string_view,
                                      NewestOrder) const {
  return {};
}

void EntityStore::fill_newest(std::string_view, std::string_view, std::string_view, NewestOrder,
                              const std::optional<HistorySample>&, std::uint64_t) const {}

Status EntityStore::write_health() const {
  return ok_status();
}

Status EntityStore::compact_history() {
  return ok_status();
}

std::uint64_t EntityStore::write_mark() const {
  return 0;
}

void EntityStore::when_durable(std::uint64_t, std::function<void(Status)> done) {
  done(ok_status());
}

Result<std::optional<std::string>> EntityStore::get_latest(std::string_view tenant,
                                                           std::string_view id) const {
  return get(tenant, id);
}

Result<std::vector<std::optional<std::string>>> EntityStore::multi_get_latest(
    std::string_view tenant, std::span<const std::string> ids) const {
  return multi_get(tenant, ids);
}

Result<std::vector<std::pair<std::string, std::string>>> EntityStore::documents_between(
    std::string_view ns, std::string_view lower, std::string_view upper) const {
  auto all = list_documents(ns);
  if (!all) return std::move(all).error();
  std::vector<std::pair<std::string, std::string>> inside;
  for (auto& entry : *all) {
    if (entry.first >= lower && entry.first < upper) inside.push_back(std::move(entry));
  }
  std::sort(inside.begin(), inside.end());
  return inside;
}

Status EntityStore::delete_documents(std::string_view ns, std::span<const std::string> keys) {
  for (const auto& key : keys) CT_RETURN_IF_ERROR(delete_document(ns, key));
  return ok_status();
}

Status EntityStore::write_documents(std::span<const DocumentChange> changes) {
  for (const auto& change : changes) {
    CT_RETURN_IF_ERROR(change.value ? put_document(change.ns, change.key, *change.value)
                                    : delete_document(change.ns, change.key));
  }
  return ok_status();
}

}  // namespace citytwin::store
