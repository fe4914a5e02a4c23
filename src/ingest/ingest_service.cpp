#include "citytwin/ingest/ingest_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <set>

#include "citytwin/ingest/attribute_instance.hpp"
#include "citytwin/ingest/expression.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/geo/validation.hpp"
#include "citytwin/model/ngsi_names.hpp"
#include "citytwin/model/query/scope_filter.hpp"
#include "device_mapping.hpp"
#include "device_state.hpp"

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
      value = boost::json::parse(measurement.payload, ec);
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

model::ParseOptions parse_options() {
  model::ParseOptions options;
  options.validate_geometry = [](const boost::json::value& geometry) {
    return geo::validate_geometry(geometry);
  };
  options.validate_scope = [](std::string_view scope) -> Status {
    if (query::ScopeFilter::is_valid_scope(scope)) return ok_status();
    return make_error(ErrorKind::kBadRequestData, "invalid scope " + std::string(scope));
  };
  return options;
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
      options_(options) {
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

Result<IngestReceipt> IngestService::write(const Measurement& measurement) {
  auto resolved = resolve(measurement);
  Result<IngestReceipt> result =
      resolved ? write_resolved(measurement, *resolved) : Result<IngestReceipt>(resolved.error());
  if (!result) {
    reject(measurement.transport, measurement.apikey, measurement.device_id, result.error());
    return result;
  }
  count(measurement.transport, "accepted");
  return result;
}

Result<IngestReceipt> IngestService::write_resolved(const Measurement& measurement,
                                                    Resolved& resolved) {
  const std::string& tenant = resolved.group.scope.tenant;
  DeviceMapping mapping(resolved.group, resolved.device);
  std::string statics_key = tenant + "|" + mapping.entity_id();
  std::uint64_t version = registry_.version();
  bool with_statics;
  {
    std::lock_guard lock(statics_mutex_);
    auto it = statics_written_.find(statics_key);
    with_statics = it == statics_written_.end() || it->second != version;
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
  std::vector<std::vector<core::BatchItem>> writes;
  model::ParseOptions options = parse_options();
  for (std::size_t i = 0; i < resolved.groups.size(); ++i) {
    bool last = i + 1 == resolved.groups.size();
    auto entities = mapping.entities(resolved.groups[i], now, with_statics && i == 0,
                                     last ? measurement.transport : std::string_view(),
                                     last ? device_state : std::string_view());
    if (!entities) return std::move(entities).error();
    std::vector<core::BatchItem> items;
    for (const auto& entity : *entities) {
      auto stored = model::parse_entity(entity, *terms_, options);
      if (!stored) {
        return make_error(
            ErrorKind::kBadRequestData,
            "entity " + std::string(entity.at("id").as_string()) + ": " + stored.error().detail);
      }
      items.push_back(
          core::BatchItem{std::string(entity.at("id").as_string()), std::move(*stored)});
    }
    writes.push_back(std::move(items));
  }
  IngestReceipt receipt;
  if (resolved.new_device) {
    auto added = registry_.add_if_absent(resolved.device);
    if (!added) return std::move(added).error();
    receipt.autoprovisioned = true;
    spdlog::info("ingest: autoprovisioned device '{}' in service '{}' path {}",
                 resolved.device.device_id, tenant, resolved.device.scope.servicepath);
  }
  for (auto& items : writes) {
    auto outcome = entities_.batch(tenant, core::BatchKind::kUpsertUpdate, std::move(items));
    for (const auto& item : outcome.items) {
      if (item.error) {
        Error error = *item.error;
        error.detail = "entity " + item.id + ": " + error.detail;
        return error;
      }
    }
  }
  if (with_statics) {
    std::lock_guard lock(statics_mutex_);
    statics_written_[statics_key] = version;
  }
  receipt.tenant = tenant;
  receipt.entity_id = mapping.entity_id();
  receipt.device_entity_id = mapping.device_entity_id();
  receipt.groups = resolved.groups.size();
  return receipt;
}

void IngestService::ingest(const Measurement& measurement,
                           std::function<void(Result<IngestReceipt>)> done) {
  auto receipt = write(measurement);
  if (!receipt) {
    done(std::move(receipt).error());
    return;
  }
  store::EntityStore& store = entities_.store();
  store.when_durable(store.write_mark(),
                     [done = std::move(done), receipt = std::move(*receipt)](Status status) {
                       if (status.ok()) {
                         done(receipt);
                       } else {
                         done(std::move(status).error());
                       }
                     });
}

}  // namespace citytwin::ingest
