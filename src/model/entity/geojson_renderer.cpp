#include "citytwin/model/geojson_renderer.hpp"

#include <utility>

#include "attribute_renderer.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;

// The instance that provides the Feature geometry: the datasetId-selected one if a filter is
// set, else the default instance (no datasetId), else the first.
const json::object* geometry_instance(const json::array& instances) {
  for (const json::value& instance : instances) {
    if (!instance.get_object().contains(form::kDatasetId)) return &instance.get_object();
  }
  return instances.empty() ? nullptr : &instances.front().get_object();
}

// Clause 6.3.15: "geometry" is the value of the GeoProperty named by the geometryProperty
// parameter, or null when the entity has no such GeoProperty.
json::value feature_geometry(const json::object& stored, std::string_view geometry_property_iri,
                             const std::optional<std::string>& dataset_id) {
  const json::value* attrs = stored.if_contains(form::kAttrs);
  if (attrs == nullptr) return nullptr;
  const json::value* attribute = attrs->get_object().if_contains(geometry_property_iri);
  if (attribute == nullptr) return nullptr;
  const json::array selected = detail::select_instances(attribute->get_array(), dataset_id);
  const json::object* instance = geometry_instance(selected);
  if (instance == nullptr) return nullptr;
  const json::value& type = instance->at(form::kType);
  if (!type.is_string() || std::string_view(type.get_string()) != form::kGeoProperty) {
    return nullptr;
  }
  const json::value& value = instance->at(form::kValue);
  return value.is_object() ? value : json::value(nullptr);
}

}  // namespace

json::object render_feature(const json::object& stored, const jsonld::TermMapper& terms,
                            const RenderOptions& options, std::string_view geometry_property_iri) {
  RenderOptions property_options = options;
  property_options.include_context = false;
  json::object properties = render_entity(stored, terms, property_options);
  properties.erase(form::kId);

  json::object feature;
  if (const json::value* id = stored.if_contains(form::kId)) feature[form::kId] = *id;
  feature[form::kType] = "Feature";
  feature["geometry"] = feature_geometry(stored, geometry_property_iri, options.dataset_id);
  feature["properties"] = std::move(properties);
  if (options.include_context) feature["@context"] = options.context;
  return feature;
}

json::object make_feature_collection(std::vector<json::object> features,
                                     std::optional<json::value> context) {
  json::array items;
  items.reserve(features.size());
  for (json::object& feature : features) items.emplace_back(std::move(feature));
  json::object collection;
  collection[form::kType] = "FeatureCollection";
  collection["features"] = std::move(items);
  if (context) collection["@context"] = std::move(*context);
  return collection;
}

}  // namespace citytwin::model
