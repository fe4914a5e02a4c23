#include "citytwin/core/discovery.hpp"

#include <boost/json.hpp>
#include <functional>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace form = model::form;

namespace {

constexpr std::size_t kBatch = 256;

// Calls `visit` with every entity document the cursor yields.
Status for_each_entity(const store::EntityStore& store, std::string_view tenant,
                       const store::IndexSelector& selector,
                       const std::function<void(const boost::json::object&)>& visit) {
  auto cursor = store.scan(tenant, selector);
  cursor->seek("");
  std::vector<std::string> ids;
  auto flush = [&]() -> Status {
    auto documents = store.multi_get(tenant, ids);
    if (!documents) return std::move(documents).error();
    for (const auto& document : *documents) {
      if (!document) continue;
      boost::system::error_code ec;
      auto parsed = citytwin::parse_json(*document, ec);
      if (!ec && parsed.is_object()) visit(parsed.as_object());
    }
    ids.clear();
    return ok_status();
  };
  for (; cursor->valid(); cursor->next()) {
    ids.emplace_back(cursor->id());
    if (ids.size() == kBatch) CT_RETURN_IF_ERROR(flush());
  }
  CT_RETURN_IF_ERROR(cursor->status());
  return flush();
}

// Adds the instances of one attribute (its stored array) to `usage`.
void tally(const boost::json::value& instances, AttributeUsage& usage) {
  if (!instances.is_array()) return;
  for (const auto& instance : instances.as_array()) {
    const auto* object = instance.if_object();
    if (object == nullptr) continue;
    ++usage.instance_count;
    if (const auto* type = object->if_contains(form::kType); type && type->is_string()) {
      usage.kinds.insert(std::string(type->as_string()));
    }
  }
}

void collect_types(const boost::json::object& entity, std::set<std::string>& names) {
  const auto* types = entity.if_contains(form::kType);
  if (types == nullptr || !types->is_array()) return;
  for (const auto& type : types->as_array()) {
    if (type.is_string()) names.insert(std::string(type.as_string()));
  }
}

}  // namespace

Result<std::vector<store::TermCount>> Discovery::types(std::string_view tenant,
                                                       const ReadRestriction* restriction) const {
  auto counts = store_.type_counts(tenant);
  if (!counts || restriction == nullptr) return counts;
  std::erase_if(*counts, [restriction](const store::TermCount& count) {
    return !restriction->admits_type(count.term);
  });
  return counts;
}

Result<std::vector<store::TermCount>> Discovery::attributes(std::string_view tenant) const {
  return store_.attribute_counts(tenant);
}

Result<TypeDetails> Discovery::type_details(std::string_view tenant, const std::string& type,
                                            const ReadRestriction* restriction) const {
  if (restriction != nullptr && !restriction->admits_type(type)) {
    return make_error(ErrorKind::kResourceNotFound, "no entity of type " + type);
  }
  TypeDetails details;
  details.type = type;
  auto status = for_each_entity(store_, tenant, store::IndexSelector::type(type),
                                [&](const boost::json::object& entity) {
                                  ++details.entity_count;
                                  const auto* attrs = entity.if_contains(form::kAttrs);
                                  if (attrs == nullptr || !attrs->is_object()) return;
                                  NameSet hidden;
                                  const auto* types = entity.if_contains(form::kType);
                                  if (restriction != nullptr && types != nullptr) {
                                    hidden = restriction->hidden_for(*types);
                                  }
                                  for (const auto& [name, instances] : attrs->as_object()) {
                                    if (hidden.contains(name)) continue;
                                    tally(instances, details.attributes[std::string(name)]);
                                  }
                                });
  if (!status.ok()) return std::move(status).error();
  if (details.entity_count == 0) {
    return make_error(ErrorKind::kResourceNotFound, "no entity of type " + type);
  }
  return details;
}

Result<AttributeDetails> Discovery::attribute_details(std::string_view tenant,
                                                      const std::string& attribute) const {
  AttributeDetails details;
  details.attribute = attribute;
  auto visit = [&](const boost::json::object& entity) {
    const auto* attrs = entity.if_contains(form::kAttrs);
    if (attrs == nullptr || !attrs->is_object()) return;
    const auto* instances = attrs->as_object().if_contains(attribute);
    if (instances == nullptr) return;
    ++details.entity_count;
    tally(*instances, details.usage);
    collect_types(entity, details.type_names);
  };
  auto status = for_each_entity(store_, tenant, store::IndexSelector::attribute(attribute), visit);
  if (!status.ok()) return std::move(status).error();
  if (details.entity_count == 0) {
    return make_error(ErrorKind::kResourceNotFound, "no entity has attribute " + attribute);
  }
  return details;
}

}  // namespace citytwin::core
