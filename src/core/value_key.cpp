#include "citytwin/core/value_key.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "citytwin/model/entity_form.hpp"

namespace citytwin::core {
namespace {

namespace json = boost::json;
namespace form = model::form;

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

const json::value* member(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->value();
}

// {"@value": x} stands for x in q comparisons.
const json::value& unwrap(const json::value& value) {
  if (value.is_object()) {
    if (const json::value* inner = member(value.get_object(), "@value")) return *inner;
  }
  return value;
}

// The scalars q compares for one resolved value: the value itself, or each element of an
// array (one level, as q does).
void add_leaves(const std::string& attribute, const json::value& resolved,
                std::vector<store::ValueEntry>& out) {
  auto add = [&](const json::value& leaf) {
    if (auto key = scalar_key(leaf)) out.push_back(store::ValueEntry{attribute, std::move(*key)});
  };
  const json::value& value = unwrap(resolved);
  if (!value.is_array()) {
    add(value);
    return;
  }
  for (const json::value& element : value.get_array()) add(unwrap(element));
}

// The member holding an instance's value according to its type (clause 4.5); instances
// without a known type are read as Properties, as q reads them.
std::string_view value_member(std::string_view type) {
  if (type == form::kRelationship) return form::kObject;
  if (type == form::kListRelationship) return form::kObjectList;
  if (type == form::kListProperty) return form::kValueList;
  if (type == form::kJsonProperty) return form::kJson;
  if (type == form::kVocabProperty) return form::kVocab;
  if (type == form::kLanguageProperty) return form::kLanguageMap;
  return form::kValue;
}

void add_instance(const std::string& attribute, const json::object& instance,
                  std::vector<store::ValueEntry>& out) {
  const json::value* type = member(instance, form::kType);
  std::string_view type_name =
      type != nullptr && type->is_string() ? std::string_view(type->get_string()) : "";
  const json::value* value = member(instance, value_member(type_name));
  if (value == nullptr) return;
  if (type_name == form::kLanguageProperty && value->is_object()) {
    for (const auto& language : value->get_object()) add_leaves(attribute, language.value(), out);
    return;
  }
  add_leaves(attribute, *value, out);
}

}  // namespace

std::string boolean_key(bool value) {
  return {kBooleanKeyTag, static_cast<char>(value ? 1 : 0)};
}

std::string number_key(double value) {
  if (value == 0) value = 0.0;  // -0.0 == 0.0 in q, so both need the same key
  auto bits = std::bit_cast<std::uint64_t>(value);
  bits = (bits & kSignBit) != 0 ? ~bits : bits | kSignBit;
  std::string key(1, kNumberKeyTag);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(bits >> shift));
  return key;
}

std::string string_key(std::string_view text) {
  std::string key(1, kStringKeyTag);
  key.append(text.substr(0, kMaxIndexedStringBytes));
  return key;
}

bool string_key_is_lossy(std::string_view text) {
  return text.size() >= kMaxIndexedStringBytes;
}

std::string first_key_of(char tag) {
  return std::string(1, tag);
}

std::string past_keys_of(char tag) {
  return std::string(1, static_cast<char>(tag + 1));
}

std::optional<std::string> scalar_key(const json::value& value) {
  if (value.is_number()) return number_key(value.to_number<double>());
  if (value.is_string()) return string_key(value.get_string());
  if (value.is_bool()) return boolean_key(value.get_bool());
  return std::nullopt;
}

std::vector<store::ValueEntry> value_entries(const json::object& entity) {
  std::vector<store::ValueEntry> entries;
  const json::value* attrs = member(entity, form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return entries;
  for (const auto& [name, instances] : attrs->get_object()) {
    std::string attribute(name);
    if (instances.is_object()) add_instance(attribute, instances.get_object(), entries);
    if (!instances.is_array()) continue;
    for (const json::value& instance : instances.get_array()) {
      if (instance.is_object()) add_instance(attribute, instance.get_object(), entries);
    }
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

}  // namespace citytwin::core
