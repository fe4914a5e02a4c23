#include "device_mapping.hpp"

#include <boost/json.hpp>
#include <map>
#include <optional>

#include "citytwin/ingest/attribute_instance.hpp"
#include "citytwin/ingest/expression.hpp"
#include "citytwin/model/ngsi_names.hpp"

namespace citytwin::ingest {
namespace {

// The IoT Agent context names an expression may read besides the measures: id (device id),
// type (entity type), service and subservice. Made on first use: most measures are mapped
// without reading them, and making them is a good part of mapping a plain measure.
class ContextNames {
 public:
  ContextNames(const ServiceScope& scope, std::string_view device_id, std::string_view entity_type)
      : scope_(scope), device_id_(device_id), entity_type_(entity_type) {}

  const boost::json::value* find(std::string_view name) {
    if (!values_) {
      values_.emplace(std::map<std::string, boost::json::value>{
          {"id", boost::json::string(device_id_)},
          {"type", boost::json::string(entity_type_)},
          {"service", boost::json::string(scope_.tenant)},
          {"subservice", boost::json::string(scope_.servicepath)}});
    }
    auto it = values_->find(std::string(name));
    return it == values_->end() ? nullptr : &it->second;
  }

 private:
  const ServiceScope& scope_;
  std::string_view device_id_;
  std::string_view entity_type_;
  std::optional<std::map<std::string, boost::json::value>> values_;
};

// The fields an expression sees: the measures of the group, then the context names.
Expression::Fields fields_of(const MeasureGroup& measures, ContextNames& context) {
  return [&measures, &context](std::string_view name) -> const boost::json::value* {
    for (const auto& [key, value] : measures.fields) {
      if (key == name) return &value;
    }
    return context.find(name);
  };
}

bool is_measured(const MeasureGroup& measures, std::string_view field) {
  for (const auto& [key, value] : measures.fields) {
    if (key == field) return true;
  }
  return false;
}

Result<boost::json::value> evaluate(const std::string& text, const Expression::Fields& fields) {
  auto expression = Expression::compile(text);
  if (!expression) return std::move(expression).error();
  return expression->evaluate(fields);
}

struct Target {
  std::string type;
  boost::json::object attrs;
};

}  // namespace

std::string device_entity_id(const ServiceScope& scope, std::string_view device_id) {
  std::string path;
  if (scope.servicepath != "/") {
    for (char c : scope.servicepath.substr(1)) path.push_back(c == '/' ? ':' : c);
    path.push_back(':');
  }
  return "urn:ngsi-ld:Device:" + path + std::string(device_id);
}

boost::json::object device_report_attribute(Instant reported_at) {
  return boost::json::object{
      {"type", "Property"},
      {"value", {{"@type", "DateTime"}, {"@value", format_date_time(reported_at)}}}};
}

std::string entity_uri(std::string_view name, std::string_view type) {
  if (model::is_valid_uri(name)) return std::string(name);
  return "urn:ngsi-ld:" + std::string(type) + ":" + std::string(name);
}

DeviceMapping::DeviceMapping(const ServiceGroup& group, const DeviceConfig& device)
    : device_(device) {
  const MappingConfig& own = device.mapping;
  const MappingConfig& shared = group.mapping;
  entity_type_ = !own.entity_type.empty() ? own.entity_type : shared.entity_type;
  if (entity_type_.empty()) entity_type_ = "Thing";
  entity_id_ =
      entity_uri(device.entity_name.empty() ? device.device_id : device.entity_name, entity_type_);
  device_entity_id_ = ingest::device_entity_id(device.scope, device.device_id);
  expected_period_s_ = own.expected_period_s ? own.expected_period_s : shared.expected_period_s;
  // Device settings win over the group's for the same field / attribute name.
  attributes_ = own.attributes;
  for (const auto& mapping : shared.attributes) {
    bool overridden = false;
    for (const auto& mine : own.attributes) overridden |= mine.field() == mapping.field();
    if (!overridden) attributes_.push_back(mapping);
  }
  statics_ = own.static_attributes;
  for (const auto& attribute : shared.static_attributes) {
    bool overridden = false;
    for (const auto& mine : own.static_attributes) overridden |= mine.name == attribute.name;
    if (!overridden) statics_.push_back(attribute);
  }
  explicit_attrs_ = own.explicit_attrs.value_or(shared.explicit_attrs.value_or(false));
}

Result<std::vector<boost::json::object>> DeviceMapping::entities(const MeasureGroup& measures,
                                                                 Instant now, bool with_statics,
                                                                 std::string_view device_transport,
                                                                 std::string_view device_state,
                                                                 bool with_device_links) const {
  auto mapped_entities =
      mapped(measures, now, with_statics, device_transport, device_state, with_device_links);
  if (!mapped_entities) return std::move(mapped_entities).error();
  std::vector<boost::json::object> out;
  out.reserve(mapped_entities->size());
  for (auto& entity : *mapped_entities) out.push_back(normalized(std::move(entity)));
  return out;
}

boost::json::object DeviceMapping::normalized(MappedEntity entity) const {
  boost::json::object out{{"id", entity.id}, {"type", entity.type}};
  if (device_.scope.servicepath != "/") out["scope"] = device_.scope.servicepath;
  for (auto& [name, instance] : entity.attrs) out[name] = std::move(instance);
  return out;
}

const std::string& DeviceMapping::servicepath() const {
  return device_.scope.servicepath;
}

Result<std::vector<MappedEntity>> DeviceMapping::mapped(const MeasureGroup& measures, Instant now,
                                                        bool with_statics,
                                                        std::string_view device_transport,
                                                        std::string_view device_state,
                                                        bool with_device_links) const {
  Instant observed = measures.observed_at.value_or(now);
  ContextNames context(device_.scope, device_.device_id, entity_type_);
  Expression::Fields fields = fields_of(measures, context);
  std::map<std::string, Target> targets;
  targets[entity_id_].type = entity_type_;

  auto put = [&](const AttributeMapping& mapping, const boost::json::value& raw) -> Status {
    boost::json::value value = raw;
    if (!mapping.expression.empty()) {
      auto evaluated = mapping.compiled_expression ? mapping.compiled_expression->evaluate(fields)
                                                   : evaluate(mapping.expression, fields);
      if (!evaluated) {
        return make_error(ErrorKind::kBadRequestData,
                          "attribute " + mapping.name + ": " + evaluated.error().detail);
      }
      value = std::move(*evaluated);
    }
    if (value.is_null()) return ok_status();  // a null result is not written (IoT Agent)
    auto instance = attribute_instance(mapping.type, value, mapping.metadata, observed);
    if (!instance) {
      return make_error(ErrorKind::kBadRequestData,
                        "attribute " + mapping.name + ": " + instance.error().detail);
    }
    std::string target = entity_id_;
    std::string target_type = entity_type_;
    if (!mapping.entity_name.empty()) {
      target_type = mapping.entity_type.empty() ? entity_type_ : mapping.entity_type;
      // IoT Agent multi-entity names may be expressions; a name that does not evaluate to a
      // string is taken literally.
      std::string name = mapping.entity_name;
      if (mapping.compiled_entity_name) {
        auto named = mapping.compiled_entity_name->evaluate(fields);
        if (named && named->is_string() && !named->as_string().empty()) {
          name = std::string(named->as_string());
        }
      }
      target = entity_uri(name, target_type);
    }
    Target& entry = targets[target];
    if (entry.type.empty()) entry.type = target_type;
    entry.attrs[mapping.name] = std::move(*instance);
    return ok_status();
  };

  for (const auto& [key, value] : measures.fields) {
    bool mapped = false;
    for (const auto& mapping : attributes_) {
      if (mapping.field() != key) continue;
      mapped = true;
      CT_RETURN_IF_ERROR(put(mapping, value));
    }
    if (mapped || explicit_attrs_ || key == "id" || key == "type") continue;
    if (!model::is_valid_name(key)) {
      return make_error(ErrorKind::kBadRequestData,
                        "measure \"" + key + "\" is not a valid NGSI-LD attribute name");
    }
    // A GeoJSON geometry (a CayenneLPP GPS fix, a JSON device's position) is an NGSI-LD
    // GeoProperty (clause 4.7) without needing a geo:json mapping.
    bool geometry = value.is_object() && value.as_object().contains("coordinates") &&
                    value.as_object().contains("type");
    auto instance = attribute_instance(geometry ? "geo:json" : "", value, {}, observed);
    if (!instance) return std::move(instance).error();
    targets[entity_id_].attrs[key] = std::move(*instance);
  }
  // Attributes computed only from other fields (an expression, nothing measured under their
  // own field): written whenever the expression yields a value.
  for (const auto& mapping : attributes_) {
    if (mapping.expression.empty() || is_measured(measures, mapping.field())) continue;
    CT_RETURN_IF_ERROR(put(mapping, boost::json::value()));
  }
  if (with_statics) {
    for (const auto& attribute : statics_) {
      auto instance =
          attribute_instance(attribute.type, attribute.value, attribute.metadata, std::nullopt);
      if (!instance) {
        return make_error(ErrorKind::kBadRequestData,
                          "static attribute " + attribute.name + ": " + instance.error().detail);
      }
      targets[entity_id_].attrs[attribute.name] = std::move(*instance);
    }
  }
  if (!device_transport.empty()) {
    // Smart Data Models Device (dataModel.Device): when the device last reported, and what
    // it reports on; battery and signal strength when the device measures them.
    Target& device = targets[device_entity_id_];
    if (device.type.empty()) device.type = "Device";
    boost::json::object& attrs = device.attrs;
    attrs["dateLastValueReported"] = device_report_attribute(now);
    if (with_device_links) {
      if (device_entity_id_ != entity_id_) {
        attrs["controlledAsset"] =
            boost::json::object{{"type", "Relationship"}, {"object", entity_id_}};
      }
      std::string protocol(device_transport);
      for (char& c : protocol) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      attrs["supportedProtocol"] =
          boost::json::object{{"type", "Property"}, {"value", boost::json::array{protocol}}};
    }
    if (!device_state.empty()) {
      attrs["deviceState"] = boost::json::object{
          {"type", "Property"}, {"value", device_state}, {"observedAt", format_date_time(now)}};
    }
    const boost::json::object& measured_attrs = targets[entity_id_].attrs;
    for (std::string_view name : {"batteryLevel", "rssi"}) {
      if (const auto* found = measured_attrs.if_contains(name)) attrs[name] = *found;
    }
  }
  std::vector<MappedEntity> out;
  for (auto& [id, target] : targets) {
    if (target.attrs.empty() && id != device_entity_id_) continue;
    out.push_back(MappedEntity{id, std::move(target.type), std::move(target.attrs)});
  }
  return out;
}

Result<std::string> autoprovisioned_entity_name(const ServiceGroup& group,
                                                const DeviceConfig& device,
                                                const MeasureGroup& measures) {
  ContextNames context(device.scope, device.device_id, group.mapping.entity_type);
  auto name = evaluate(group.entity_name_exp, fields_of(measures, context));
  if (!name) return make_error(ErrorKind::kBadRequestData, "entityNameExp: " + name.error().detail);
  if (!name->is_string() || name->as_string().empty()) {
    return make_error(
        ErrorKind::kBadRequestData,
        "entityNameExp did not give a non-empty string for device " + device.device_id);
  }
  return std::string(name->as_string());
}

}  // namespace citytwin::ingest
