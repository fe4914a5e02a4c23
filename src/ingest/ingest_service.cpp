#include "citytwin/ingest/ingest_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <limits>
#include <set>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/ingest/attribute_instance.hpp"
#include "citytwin/ingest/expression.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "device_mapping.hpp"
#include "device_reports.hpp"
#include "device_state.hpp"
#include "measure_batcher.hpp"
#include "stored_entity.hpp"

namespace citytwin::ingest {

struct IngestService::Resolved {
  ServiceGroup group;
  DeviceConfig device;
  bool new_device = false;
  std::vector<MeasureGroup> groups;
};

namespace {

Error titled(ErrorKind kind, std::string_view title, std::string detail) {
  Error error = make_error(kind, std::move(detail));
  error.title = std::string(title);
  return error;
}

std::string_view outcome_of(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kBadRequestData:
      return "invalid";
    case ErrorKind::kResourceNotFound:
      return "unknown_device";
    case ErrorKind::kUnauthorized:
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kPayloadTooLarge:
      return "too_large";
    case ErrorKind::kTooManyRequests:
      return "rate_limited";
    default:
      return "failed";
  }
}

Result<std::vector<MeasureGroup>> decode(const Measurement& measurement,
                                         const DecodeLimits& limits) {
  if (!measurement.object_id.empty()) {
    // A single-attribute message carries the bare value (IoT Agent ".../attrs/{object_id}").
    MeasureGroup group;
    boost::json::value value;
    if (measurement.format == PayloadFormat::kJson) {
      boost::system::error_code ec;
      value = citytwin::parse_json(measurement.payload, ec);
      if (ec) value = boost::json::string(measurement.payload);
    } else {
      value = ultralight_value(measurement.payload);
    }
    group.fields.emplace_back(measurement.object_id, std::move(value));
    return std::vector<MeasureGroup>{std::move(group)};
  }
  if (measurement.format == PayloadFormat::kJson) {
    return decode_json_measures(measurement.payload, limits);
  }
  return decode_ultralight_measures(measurement.payload, limits);
}

// The stored form of one entity a measure updates: built directly for the shapes mappings
// commonly give, else parsed from its normalized representation, which also says what is
// wrong with it. Both give the same stored entity (stored_entity_test.cpp).
Result<core::BatchItem> stored_item(const DeviceMapping& mapping, MappedEntity entity,
                                    const jsonld::TermMapper& terms,
                                    const model::ParseOptions& options, Instant now) {
  if (auto direct = stored_entity(entity, mapping.servicepath(), terms, options)) {
    return core::BatchItem{std::move(entity.id), std::move(*direct), now, 0};
  }
  boost::json::object normalized = mapping.normalized(std::move(entity));
  auto stored = model::parse_entity(normalized, terms, options);
  if (!stored) {
    return make_error(
        ErrorKind::kBadRequestData,
        "entity " + std::string(normalized.at("id").as_string()) + ": " + stored.error().detail);
  }
  return core::BatchItem{std::string(normalized.at("id").as_string()), std::move(*stored), now, 0};
}

// Whether a measure's Device entity (with its dateLastValueReported) changes nothing else, so
// that the measure writer may defer it. Watched devices (an expected period) are judged by
// that time, so it is never deferred for them.
bool is_report_only(const MappedEntity& entity, const DeviceMapping& mapping) {
  return entity.id != mapping.entity_id() && !mapping.expected_period_s() &&
         entity.attrs.size() == 1;
}

}  // namespace

IngestService::IngestService(DeviceRegistry& registry, core::EntityService& entities,
                             std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                             MetricsRegistry* metrics, IngestOptions options)
    : registry_(registry),
      entities_(entities),
      terms_(std::move(terms)),
      clock_(clock),
      metrics_(metrics),
      options_(options),
      reports_(std::make_unique<DeviceReports>(options.device_report_interval)),
      batcher_(std::make_unique<MeasureBatcher>(
          [this](std::vector<PendingMeasure>& batch) { write_and_acknowledge(batch); },
          options.max_batch, options.batch_linger,
          [this](bool stopping) { write_deferred_reports(stopping); },
          std::min(options.device_report_interval, options.device_report_pass))) {
  if (metrics_ != nullptr) {
    metrics_->describe("citytwin_ingest_measurements_total", "counter",
                       "Device measurements by transport and outcome (docs/ingest.md)");
  }
}

void IngestService::count(std::string_view transport, std::string_view outcome) {
  if (metrics_ == nullptr) return;
  metrics_->add_counter(
      "citytwin_ingest_measurements_total",
      Labels{{"transport", std::string(transport)}, {"outcome", std::string(outcome)}});
}

void IngestService::reject(std::string_view transport, std::string_view apikey,
                           std::string_view device_id, const Error& error) {
  count(transport, outcome_of(error));
  spdlog::warn("ingest {}: device '{}' apikey '{}' rejected: {}", transport, device_id, apikey,
               error.detail);
}

Result<IngestService::Resolved> IngestService::resolve(const Measurement& measurement) {
  if (measurement.payload.size() > options_.max_payload_bytes) {
    return make_error(
        ErrorKind::kPayloadTooLarge,
        "payload larger than " + std::to_string(options_.max_payload_bytes) + " bytes");
  }
  if (!is_valid_apikey(measurement.apikey)) {
    return make_error(ErrorKind::kBadRequestData, "the apikey (k) is missing or malformed");
  }
  if (!is_valid_device_id(measurement.device_id)) {
    return make_error(ErrorKind::kBadRequestData, "the device id (i) is missing or malformed");
  }
  Resolved resolved;
  auto group = registry_.find_group(measurement.apikey, measurement.resource);
  if (!group) return std::move(group).error();
  resolved.group = std::move(*group);
  const ServiceScope& scope = resolved.group.scope;
  if (measurement.authorize) CT_RETURN_IF_ERROR(measurement.authorize(scope.tenant));

  auto device = registry_.find_device(scope, measurement.device_id);
  if (device && !device->apikey.empty() && device->apikey != measurement.apikey) {
    return titled(
        ErrorKind::kResourceNotFound, kDeviceNotFound,
        "device " + measurement.device_id + " is not provisioned for apikey " + measurement.apikey);
  }
  if (!device && !resolved.group.autoprovision) {
    return titled(ErrorKind::kResourceNotFound, kDeviceNotFound,
                  "device " + measurement.device_id +
                      " is not provisioned and its service group does not autoprovision");
  }
  auto groups = decode(measurement, options_.decode);
  if (!groups) return std::move(groups).error();
  resolved.groups = std::move(*groups);

  if (device) {
    resolved.device = std::move(*device);
  } else {
    resolved.new_device = true;
    resolved.device.scope = scope;
    resolved.device.device_id = measurement.device_id;
    resolved.device.apikey = measurement.apikey;
    std::string transport = measurement.transport;
    for (char& c : transport) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (is_known_transport(transport)) resolved.device.transport = std::move(transport);
    resolved.device.protocol = measurement.format == PayloadFormat::kJson ? "IoTA-JSON" : "IoTA-UL";
    resolved.device.autoprovisioned = true;
    if (!resolved.group.entity_name_exp.empty()) {
      auto name =
          autoprovisioned_entity_name(resolved.group, resolved.device, resolved.groups.front());
      if (!name) return std::move(name).error();
      resolved.device.entity_name = std::move(*name);
    }
    // What is registered must read back at the next start-up: the same checks as the API.
    auto checked = parse_device(device_to_json(resolved.device), scope);
    if (!checked) return std::move(checked).error();
  }
  return resolved;
}

IngestService::~IngestService() = default;

Result<PreparedMeasure> IngestService::prepare(const Measurement& measurement) {
  auto resolved = resolve(measurement);
  auto prepared = resolved ? prepare_resolved(measurement, *resolved)
                           : Result<PreparedMeasure>(resolved.error());
  if (!prepared)
    reject(measurement.transport, measurement.apikey, measurement.device_id, prepared.error());
  return prepared;
}

Result<IngestReceipt> IngestService::write(const Measurement& measurement) {
  auto prepared = prepare(measurement);
  if (!prepared) return std::move(prepared).error();
  std::vector<PendingMeasure> one;
  one.push_back(PendingMeasure{std::move(*prepared), {}});
  return std::move(write_prepared(one).front());
}

Result<PreparedMeasure> IngestService::prepare_resolved(const Measurement& measurement,
                                                        Resolved& resolved) {
  const std::string& tenant = resolved.group.scope.tenant;
  DeviceMapping mapping(resolved.group, resolved.device);
  PreparedMeasure prepared;
  prepared.transport = measurement.transport;
  std::string statics_key = tenant + "|" + mapping.entity_id();
  std::uint64_t version = registry_.version();
  bool with_statics;
  {
    std::lock_guard lock(statics_mutex_);
    auto it = statics_written_.find(statics_key);
    with_statics = it == statics_written_.end() || it->second != version;
  }
  if (with_statics) {
    prepared.statics_key = std::move(statics_key);
    prepared.statics_version = version;
  }
  std::string links_key = tenant + "|" + mapping.device_entity_id();
  bool with_links;
  {
    std::lock_guard lock(statics_mutex_);
    auto it = links_written_.find(links_key);
    with_links = it == links_written_.end() || it->second.version != version ||
                 it->second.transport != measurement.transport;
  }
  if (with_links) {
    prepared.links_key = std::move(links_key);
    prepared.statics_version = version;
    prepared.links_transport = measurement.transport;
  }
  Instant now = clock_.now();
  // A watched device that was flagged silent (or never had a state) is "ok" again.
  std::string_view device_state;
  if (mapping.expected_period_s()) {
    auto current = entities_.get(tenant, mapping.device_entity_id());
    if (!current.ok() || device_report(*current, *terms_).state != kDeviceStateOk) {
      device_state = kDeviceStateOk;
    }
  }
  // Everything is mapped and validated before the first write: bad input writes nothing.
  model::ParseOptions options = measure_parse_options();
  for (std::size_t i = 0; i < resolved.groups.size(); ++i) {
    bool last = i + 1 == resolved.groups.size();
    auto entities = mapping.mapped(resolved.groups[i], now, with_statics && i == 0,
                                   last ? measurement.transport : std::string_view(),
                                   last ? device_state : std::string_view(), with_links);
    if (!entities) return std::move(entities).error();
    for (auto& entity : *entities) {
      if (last && entity.id == mapping.device_entity_id() &&
          entity.attrs.contains("dateLastValueReported")) {
        prepared.report =
            DeviceReportWrite{tenant, mapping.device_entity_id(), mapping.servicepath(), now};
        prepared.report_deferrable = is_report_only(entity, mapping);
        if (prepared.report_deferrable) continue;  // the writer adds it when it is due
      }
      auto item = stored_item(mapping, std::move(entity), *terms_, options, now);
      if (!item) return std::move(item).error();
      prepared.items.push_back(std::move(*item));
    }
  }
  if (resolved.new_device) {
    auto added = registry_.add_if_absent(resolved.device);
    if (!added) return std::move(added).error();
    prepared.receipt.autoprovisioned = true;
    spdlog::info("ingest: autoprovisioned device '{}' in service '{}' path {}",
                 resolved.device.device_id, tenant, resolved.device.scope.servicepath);
  }
  prepared.receipt.tenant = tenant;
  prepared.receipt.entity_id = mapping.entity_id();
  prepared.receipt.device_entity_id = mapping.device_entity_id();
  prepared.receipt.groups = resolved.groups.size();
  return prepared;
}

std::vector<Result<IngestReceipt>> IngestService::write_prepared(
    std::vector<PendingMeasure>& batch) {
  std::vector<Result<IngestReceipt>> results;
  results.reserve(batch.size());
  std::map<std::string, std::vector<std::size_t>> by_tenant;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    PreparedMeasure& prepared = batch[k].prepared;
    Status reported = schedule_report(prepared);
    if (reported.ok()) by_tenant[prepared.receipt.tenant].push_back(k);
    results.emplace_back(reported.ok() ? Result<IngestReceipt>(std::move(prepared.receipt))
                                       : Result<IngestReceipt>(std::move(reported).error()));
  }
  for (const auto& [tenant, members] : by_tenant) {
    // Each measure is one all-or-none unit of the batch: its entities are written together
    // or not at all, whatever the other measures do.
    std::vector<core::BatchItem> items;
    std::vector<std::size_t> first_item;
    for (std::size_t unit = 0; unit < members.size(); ++unit) {
      first_item.push_back(items.size());
      for (auto& item : batch[members[unit]].prepared.items) {
        item.unit = unit + 1;
        items.push_back(std::move(item));
      }
    }
    first_item.push_back(items.size());
    auto outcome = entities_.batch(tenant, core::BatchKind::kUpsertUpdate, std::move(items));
    for (std::size_t unit = 0; unit < members.size(); ++unit) {
      for (std::size_t i = first_item[unit]; i < first_item[unit + 1]; ++i) {
        const auto& item = outcome.items[i];
        if (!item.error) continue;
        Error error = *item.error;
        error.detail = "entity " + item.id + ": " + error.detail;
        results[members[unit]] = std::move(error);
        break;
      }
    }
  }
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const PreparedMeasure& prepared = batch[k].prepared;
    if (!results[k]) {
      reject(prepared.transport, "", prepared.receipt.device_entity_id, results[k].error());
      continue;
    }
    count(prepared.transport, "accepted");
    if (prepared.statics_key.empty() && prepared.links_key.empty()) continue;
    std::lock_guard lock(statics_mutex_);
    if (!prepared.statics_key.empty()) {
      statics_written_[prepared.statics_key] = prepared.statics_version;
    }
    if (!prepared.links_key.empty()) {
      links_written_[prepared.links_key] =
          DeviceLinks{prepared.statics_version, prepared.links_transport};
    }
  }
  return results;
}

void IngestService::write_and_acknowledge(std::vector<PendingMeasure>& batch) {
  auto results = write_prepared(batch);
  using Done = std::function<void(Result<IngestReceipt>)>;
  auto written = std::make_shared<std::vector<std::pair<Done, IngestReceipt>>>();
  for (std::size_t k = 0; k < batch.size(); ++k) {
    if (!results[k]) {
      batch[k].done(std::move(results[k]).error());
    } else {
      written->emplace_back(std::move(batch[k].done), std::move(*results[k]));
    }
  }
  if (written->empty()) return;
  store::EntityStore& store = entities_.store();
  store.when_durable(store.write_mark(), [written](Status status) {
    for (auto& [done, receipt] : *written) {
      if (status.ok()) {
        done(std::move(receipt));
      } else {
        done(status.error());
      }
    }
  });
}

Status IngestService::schedule_report(PreparedMeasure& prepared) {
  if (!prepared.report || !reports_->due(*prepared.report, prepared.report_deferrable)) {
    return ok_status();
  }
  if (!prepared.report_deferrable) return ok_status();  // its Device entity is in the items
  auto item = report_item(*prepared.report);
  if (!item) {
    reports_->forget(*prepared.report);
    return std::move(item).error();
  }
  prepared.items.push_back(std::move(*item));
  return ok_status();
}

Result<core::BatchItem> IngestService::report_item(const DeviceReportWrite& report) const {
  MappedEntity device{
      report.device_entity_id, "Device",
      boost::json::object{{"dateLastValueReported", device_report_attribute(report.at)}}};
  auto stored = stored_entity(device, report.servicepath, *terms_, measure_parse_options());
  if (!stored) {
    return make_error(ErrorKind::kBadRequestData,
                      "the Device entity " + report.device_entity_id + " cannot be written");
  }
  return core::BatchItem{report.device_entity_id, std::move(*stored), report.at, 0};
}

std::size_t IngestService::write_deferred_reports(bool all) {
  std::map<std::string, std::vector<core::BatchItem>> by_tenant;
  auto ripe = all ? reports_->take_ripe(std::nullopt, std::numeric_limits<std::size_t>::max())
                  : reports_->take_ripe(clock_.now(), kReportsPerPass);
  for (const DeviceReportWrite& report : ripe) {
    auto item = report_item(report);
    if (item) {
      by_tenant[report.tenant].push_back(std::move(*item));
    } else {
      spdlog::warn("ingest: {} (tenant '{}')", item.error().detail, report.tenant);
    }
  }
  std::size_t written = 0;
  for (auto& [tenant, items] : by_tenant) {
    auto outcome = entities_.batch(tenant, core::BatchKind::kUpsertUpdate, std::move(items));
    const core::BatchItemResult* first_failure = nullptr;
    std::size_t failures = 0;
    for (const auto& item : outcome.items) {
      if (!item.error) {
        ++written;
      } else if (failures++ == 0) {
        first_failure = &item;
      }
    }
    // One line per pass: a failing store would otherwise log every device.
    if (first_failure != nullptr) {
      spdlog::warn(
          "ingest: {} deferred dateLastValueReported writes in tenant '{}' failed ({}: {})",
          failures, tenant, first_failure->id, first_failure->error->detail);
    }
  }
  return written;
}

void IngestService::ingest(const Measurement& measurement,
                           std::function<void(Result<IngestReceipt>)> done) {
  auto prepared = prepare(measurement);
  if (!prepared) {
    done(std::move(prepared).error());
    return;
  }
  batcher_->push(PendingMeasure{std::move(*prepared), std::move(done)});
}

}  // namespace citytwin::ingest
