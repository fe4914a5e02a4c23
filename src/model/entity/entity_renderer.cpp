#include "citytwin/model/entity_renderer.hpp"

#include <string_view>

#include "attribute_renderer.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;

// pick / omit (clause 4.21): `member` is "id", "type", "scope" or an expanded attribute name.
bool is_picked(std::string_view member, const RenderOptions& options) {
  if (!options.pick.empty() && !options.pick.contains(member)) return false;
  return !options.omit.contains(member);
}

bool is_projected(std::string_view attribute, const RenderOptions& options) {
  if (!options.attrs.empty() && !options.attrs.contains(attribute)) return false;
  return is_picked(attribute, options);
}

// A single type or scope as a string, several as an array (clause 4.5.1).
json::value one_or_many(json::array values) {
  if (values.size() == 1) return std::move(values.front());
  return values;
}

json::value render_types(const json::array& types, const jsonld::TermMapper& terms) {
  json::array names;
  for (const json::value& type : types) {
    names.emplace_back(json::string(terms.compact(type.get_string())));
  }
  return one_or_many(std::move(names));
}

void render_attributes(const json::object& attrs, const jsonld::TermMapper& terms,
                       const RenderOptions& options, json::object& out) {
  const detail::AttributeRenderer renderer(terms, options);
  for (const auto& attribute : attrs) {
    if (!is_projected(attribute.key(), options)) continue;
    const json::array& stored = attribute.value().get_array();
    // Without a datasetId to select, the stored instances are rendered in place: selecting
    // copied every instance of every attribute first (bench/write_notify_bench: a fifth of
    // rendering a notification's entity).
    if (!options.dataset_id) {
      if (!stored.empty()) out[terms.compact(attribute.key())] = renderer.render(stored);
      continue;
    }
    const json::array instances = detail::select_instances(stored, options.dataset_id);
    if (instances.empty()) continue;
    out[terms.compact(attribute.key())] = renderer.render(instances);
  }
}

void render_system_attributes(const json::object& stored, json::object& out) {
  for (std::string_view member : {form::kCreatedAt, form::kModifiedAt, form::kDeletedAt}) {
    if (const json::value* value = stored.if_contains(member)) out[member] = *value;
  }
}

}  // namespace

json::object render_entity(const json::object& stored, const jsonld::TermMapper& terms,
                           const RenderOptions& options) {
  json::object out;
  if (const json::value* id = stored.if_contains(form::kId); id && is_picked(form::kId, options)) {
    out[form::kId] = *id;
  }
  if (const json::value* types = stored.if_contains(form::kType);
      types && is_picked(form::kType, options)) {
    out[form::kType] = render_types(types->get_array(), terms);
  }
  if (const json::value* scope = stored.if_contains(form::kScope);
      scope && is_picked(form::kScope, options)) {
    out[form::kScope] = one_or_many(scope->get_array());
  }
  if (const json::value* attrs = stored.if_contains(form::kAttrs)) {
    render_attributes(attrs->get_object(), terms, options, out);
  }
  if (options.sys_attrs) render_system_attributes(stored, out);
  if (options.include_context) out["@context"] = options.context;
  return out;
}

}  // namespace citytwin::model
