#include "q_target.hpp"

#include "citytwin/model/entity_form.hpp"

namespace citytwin::query {
namespace {

namespace json = boost::json;
namespace form = citytwin::model::form;

const json::value* find_member(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->value();
}

// Follows the path steps from an instance: a sub-attribute lives in "sub" under its expanded
// name; an instance member (observedAt...) is a plain member and must be the last step.
// Yields the instance reached or the member's value; both null when the path does not exist.
struct StepResult {
  const json::object* instance = nullptr;
  const json::value* member = nullptr;
};

StepResult walk_steps(const json::object& instance, const std::vector<PathStep>& steps) {
  const json::object* current = &instance;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    if (step.instance_member) {
      if (i + 1 != steps.size()) return {};
      return {nullptr, find_member(*current, step.name)};
    }
    const json::value* sub = find_member(*current, form::kSub);
    if (sub == nullptr || !sub->is_object()) return {};
    const json::value* next = find_member(sub->get_object(), step.name);
    if (next == nullptr || !next->is_object()) return {};
    current = &next->get_object();
  }
  return {current, nullptr};
}

// Descends through compound keys; arrays along the way fan out to their object elements.
void navigate(const json::value& value, const std::vector<std::string>& keys, std::size_t next,
              bool vocab, std::vector<Target>& out) {
  if (next == keys.size()) {
    out.push_back({&value, vocab});
    return;
  }
  if (value.is_array()) {
    for (const json::value& element : value.get_array()) {
      if (element.is_object()) navigate(element, keys, next, vocab, out);
    }
    return;
  }
  if (!value.is_object()) return;
  if (const json::value* member = find_member(value.get_object(), keys[next])) {
    navigate(*member, keys, next + 1, vocab, out);
  }
}

// The value member of an instance according to its "type" (clause 4.5).
const json::value* instance_value(const json::object& instance, bool& vocab, bool& language) {
  const json::value* type = find_member(instance, form::kType);
  std::string_view name = type != nullptr && type->is_string()
                              ? std::string_view(type->get_string())
                              : std::string_view();
  if (name == form::kRelationship) return find_member(instance, form::kObject);
  if (name == form::kListRelationship) return find_member(instance, form::kObjectList);
  if (name == form::kListProperty) return find_member(instance, form::kValueList);
  if (name == form::kJsonProperty) return find_member(instance, form::kJson);
  if (name == form::kVocabProperty) {
    vocab = true;
    return find_member(instance, form::kVocab);
  }
  if (name == form::kLanguageProperty) {
    language = true;
    return find_member(instance, form::kLanguageMap);
  }
  return find_member(instance, form::kValue);
}

void resolve_instance(const json::object& instance, const AttrPath& path,
                      std::vector<Target>& out) {
  StepResult reached = walk_steps(instance, path.steps);
  if (reached.member != nullptr) {
    navigate(*reached.member, path.members, 0, false, out);
    return;
  }
  if (reached.instance == nullptr) return;
  const json::object* target_instance = reached.instance;
  bool vocab = false, language = false;
  const json::value* value = instance_value(*target_instance, vocab, language);
  if (value == nullptr) return;
  if (language && path.members.empty() && value->is_object()) {
    // Without "[lang]" a LanguageProperty matches on any of its languages.
    for (const auto& entry : value->get_object()) out.push_back({&entry.value(), false});
    return;
  }
  navigate(*value, path.members, 0, vocab, out);
}

}  // namespace

std::vector<Target> resolve_targets(const json::object& entity, const AttrPath& path) {
  std::vector<Target> out;
  const json::value* attrs = find_member(entity, form::kAttrs);
  if (attrs == nullptr || !attrs->is_object()) return out;
  const json::value* instances = find_member(attrs->get_object(), path.attr);
  if (instances == nullptr) return out;
  if (instances->is_object()) {
    resolve_instance(instances->get_object(), path, out);  // tolerate a lone instance
    return out;
  }
  if (!instances->is_array()) return out;
  for (const json::value& instance : instances->get_array()) {
    if (instance.is_object()) resolve_instance(instance.get_object(), path, out);
  }
  return out;
}

void append_leaves(const Target& target, std::vector<Target>& leaves) {
  auto unwrap = [](const json::value& value) -> const json::value& {
    if (value.is_object()) {
      if (const json::value* inner = find_member(value.get_object(), "@value")) return *inner;
    }
    return value;
  };
  const json::value& value = unwrap(*target.value);
  if (!value.is_array()) {
    leaves.push_back({&value, target.vocab});
    return;
  }
  for (const json::value& element : value.get_array()) {
    leaves.push_back({&unwrap(element), target.vocab});
  }
}

}  // namespace citytwin::query
