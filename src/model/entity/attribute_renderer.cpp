#include "attribute_renderer.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "attribute_kind.hpp"
#include "citytwin/model/entity_form.hpp"
#include "language_selection.hpp"

namespace citytwin::model::detail {
namespace {

namespace json = boost::json;

json::string_view to_json(std::string_view text) {
  return {text.data(), text.size()};
}

AttributeKind kind_of(const json::object& instance) {
  return kind_from_type_name(instance.at(form::kType).get_string())
      .value_or(AttributeKind::kProperty);
}

void copy_member(const json::object& from, std::string_view key, json::object& to) {
  if (const json::value* value = from.if_contains(key)) to[key] = *value;
}

}  // namespace

json::array select_instances(const json::array& instances,
                             const std::optional<std::string>& dataset_id) {
  if (!dataset_id) return instances;
  json::array selected;
  for (const json::value& instance : instances) {
    const json::value* id = instance.get_object().if_contains(form::kDatasetId);
    const bool matches = *dataset_id == "@none"
                             ? id == nullptr
                             : id != nullptr && id->get_string() == to_json(*dataset_id);
    if (matches) selected.push_back(instance);
  }
  return selected;
}

json::value AttributeRenderer::render(const json::array& instances) const {
  if (instances.size() == 1) return render_instance(instances.front().get_object(), true);
  if (options_.format == RepresentationFormat::kSimplified) return simplified_datasets(instances);
  json::array rendered;
  for (const json::value& instance : instances) {
    rendered.push_back(render_instance(instance.get_object(), false));
  }
  return rendered;
}

json::value AttributeRenderer::render_instance(const json::object& instance,
                                               bool allow_bare) const {
  switch (options_.format) {
    case RepresentationFormat::kNormalized:
      return render_full(instance);
    case RepresentationFormat::kConcise:
      return concise(render_full(instance), allow_bare);
    case RepresentationFormat::kSimplified:
      return simplified(instance);
  }
  return render_full(instance);
}

bool AttributeRenderer::selects_language() const {
  return !options_.lang.empty() && options_.lang != "*";
}

// The normalized rendering (clause 4.5.1 ...), with sub-attributes in options_.format.
json::object AttributeRenderer::render_full(const json::object& instance) const {
  json::object out;
  out[form::kType] = instance.at(form::kType);
  render_value_member(instance, out);
  render_metadata(instance, out);
  if (const json::value* subs = instance.if_contains(form::kSub)) {
    for (const auto& sub : subs->get_object()) {
      out[terms_.compact(sub.key())] = render_instance(sub.value().get_object(), true);
    }
  }
  if (options_.sys_attrs) {
    copy_member(instance, form::kCreatedAt, out);
    copy_member(instance, form::kModifiedAt, out);
    copy_member(instance, form::kDeletedAt, out);
  }
  return out;
}

void AttributeRenderer::render_value_member(const json::object& instance, json::object& out) const {
  const AttributeKind kind = kind_of(instance);
  const std::string_view member = value_member(kind);
  const json::value& value = instance.at(member);
  if (kind == AttributeKind::kVocabProperty) {
    out[member] = compact_names(value);
    return;
  }
  if (kind == AttributeKind::kLanguageProperty && selects_language()) {
    // Clause 4.15: with `lang`, a LanguageProperty is returned as a Property holding the
    // string of the chosen language and "lang" naming it.
    if (auto choice = select_language(value.get_object(), options_.lang)) {
      out[form::kType] = to_json(form::kProperty);
      out[form::kValue] = std::move(choice->text);
      out["lang"] = std::move(choice->tag);
      return;
    }
  }
  out[member] = value;
}

void AttributeRenderer::render_metadata(const json::object& instance, json::object& out) const {
  if (const json::value* object_type = instance.if_contains(form::kObjectType)) {
    out[form::kObjectType] = compact_names(*object_type);
  }
  copy_member(instance, form::kDatasetId, out);
  copy_member(instance, form::kInstanceId, out);
  copy_member(instance, form::kObservedAt, out);
  copy_member(instance, form::kUnitCode, out);
}

// Concise (clause 4.5.2.2 ...): lossless, so "type" is dropped only where the parser infers it
// back, and an instance with nothing but its value is reduced to the bare value only where the
// parser reads that value as the same attribute type.
json::value AttributeRenderer::concise(json::object full, bool allow_bare) const {
  const AttributeKind kind = kind_of(full);
  const std::string_view member = value_member(kind);
  if (allow_bare && full.size() == 2 &&
      (kind == AttributeKind::kProperty || kind == AttributeKind::kGeoProperty)) {
    const json::value& bare = full.at(member);
    const auto inference = infer_instance(bare);
    if (inference && inference->kind == kind && inference->whole_is_value &&
        !is_instance_array(bare)) {
      return bare;
    }
  }
  json::object untyped = full;
  untyped.erase(form::kType);
  const auto inference = infer_instance(untyped);
  if (inference && inference->kind == kind && !inference->whole_is_value) return untyped;
  return full;
}

// Simplified / keyValues (clause 4.5.3 ...): a Property, GeoProperty or Relationship is its bare
// value or object. Every other attribute type keeps its value member as the one key of an object
// ({"languageMap": ...}, {"vocab": ...}, {"valueList": ...}, {"objectList": ...}, {"json": ...}):
// the core @context gives those keys the JSON-LD containers and types (@language, @vocab, @list,
// @json) that make the simplified form expand to the same graph, so a bare value would lose it.
// A LanguageProperty read with `lang` is a Property (clause 4.15), hence the chosen string alone.
json::value AttributeRenderer::simplified(const json::object& instance) const {
  const AttributeKind kind = kind_of(instance);
  const std::string_view member = value_member(kind);
  const json::value& value = instance.at(member);
  switch (kind) {
    case AttributeKind::kProperty:
    case AttributeKind::kGeoProperty:
    case AttributeKind::kRelationship:
      return value;
    case AttributeKind::kVocabProperty:
      return json::object{{member, compact_names(value)}};
    case AttributeKind::kLanguageProperty:
      if (selects_language()) {
        if (auto choice = select_language(value.get_object(), options_.lang)) return choice->text;
      }
      break;
    case AttributeKind::kListProperty:
    case AttributeKind::kListRelationship:
    case AttributeKind::kJsonProperty:
      break;
  }
  return json::object{{member, value}};
}

// Simplified multi-attribute (clause 4.5.5): {"dataset": {datasetId: simplified value}}, the
// default instance under "@none" ("dataset" is an @index container in the core @context).
json::value AttributeRenderer::simplified_datasets(const json::array& instances) const {
  json::object by_dataset;
  for (const json::value& item : instances) {
    const json::object& instance = item.get_object();
    const json::value* id = instance.if_contains(form::kDatasetId);
    const json::string_view key =
        id != nullptr ? json::string_view(id->get_string()) : json::string_view("@none");
    by_dataset[key] = simplified(instance);
  }
  return json::object{{"dataset", std::move(by_dataset)}};
}

json::value AttributeRenderer::compact_names(const json::value& iris) const {
  if (iris.is_string()) return json::value(to_json(terms_.compact(iris.get_string())));
  json::array names;
  for (const json::value& iri : iris.get_array()) {
    names.emplace_back(json::string(terms_.compact(iri.get_string())));
  }
  return names;
}

}  // namespace citytwin::model::detail
