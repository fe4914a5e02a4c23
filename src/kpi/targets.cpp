#include "citytwin/kpi/targets.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/kpi/formula.hpp"
#include "citytwin/kpi/input_rows.hpp"
#include "citytwin/kpi/integrity_log.hpp"

namespace citytwin::kpi {
namespace {

constexpr int kFirstYear = 1990;  // U4SSC baselines are recent; anything earlier is a typo
constexpr int kLastYear = 2100;

std::string text_member(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// "t:" keeps the default tenant's key ("") non-empty.
std::string document_key(std::string_view tenant) {
  return "t:" + std::string(tenant);
}

}  // namespace

boost::json::object Target::to_json() const {
  boost::json::object out{{"code", code}, {"value", number_json(value)}, {"year", year}};
  if (!city.empty()) out["city"] = city;
  if (!note.empty()) out["note"] = note;
  if (!direction.empty()) out["direction"] = direction;
  if (!set_at.empty()) out["setAt"] = set_at;
  return out;
}

Result<Target> parse_target(std::string_view code, const boost::json::value& json) {
  const auto* object = json.if_object();
  if (object == nullptr) {
    return make_error(ErrorKind::kBadRequestData,
                      "a target is {\"value\": number, \"year\": YYYY[, \"city\", \"note\"]}");
  }
  for (const auto& [key, _] : *object) {
    if (key != "value" && key != "year" && key != "city" && key != "note" && key != "code" &&
        key != "setAt" && key != "direction") {
      return make_error(ErrorKind::kBadRequestData,
                        "unknown member '" + std::string(key) + "' in a target");
    }
  }
  Target target;
  target.code = std::string(code);
  const auto* value = object->if_contains("value");
  if (value == nullptr || !value->is_number() || !std::isfinite(value->to_number<double>())) {
    return make_error(ErrorKind::kBadRequestData,
                      "target of " + target.code + ": value must be a finite number");
  }
  target.value = value->to_number<double>();
  const auto* year = object->if_contains("year");
  if (year == nullptr || !year->is_int64() || year->as_int64() < kFirstYear ||
      year->as_int64() > kLastYear) {
    return make_error(ErrorKind::kBadRequestData,
                      "target of " + target.code + ": year must be a whole year " +
                          std::to_string(kFirstYear) + ".." + std::to_string(kLastYear));
  }
  target.year = static_cast<int>(year->as_int64());
  if (object->contains("city")) {
    target.city = text_member(*object, "city");
    if (!valid_city(target.city)) {
      return make_error(ErrorKind::kBadRequestData,
                        "target of " + target.code + ": city must be 1-64 letters, digits, -_.:");
    }
  }
  target.note = text_member(*object, "note");
  if (object->contains("direction")) {
    target.direction = text_member(*object, "direction");
    if (target.direction != "higher" && target.direction != "lower" &&
        target.direction != "target") {
      return make_error(ErrorKind::kBadRequestData,
                        "target of " + target.code + ": direction must be higher, lower or target");
    }
  }
  target.set_at = text_member(*object, "setAt");
  return target;
}

std::string effective_direction(std::string_view catalogue_direction, const Target* target) {
  if (catalogue_direction != "unknown" || target == nullptr || target->direction.empty()) {
    return std::string(catalogue_direction);
  }
  return target->direction;
}

const Target* find_target(const std::vector<Target>& targets, std::string_view code,
                          std::string_view city) {
  const Target* tenant_wide = nullptr;
  for (const auto& target : targets) {
    if (target.code != code) continue;
    if (target.city == city) return &target;
    if (target.city.empty()) tenant_wide = &target;
  }
  return tenant_wide;
}

Result<TargetStore::Loaded> TargetStore::load(std::string_view tenant) const {
  auto text = store_.get_document(kNamespace, document_key(tenant));
  if (!text) return std::move(text).error();
  Loaded loaded;
  if (!*text) return loaded;
  loaded.digest = IntegrityLog::sha256_hex(**text);
  boost::system::error_code ec;
  auto json = citytwin::parse_json(**text, ec);
  if (ec || !json.is_object() || !json.as_object().contains("targets") ||
      !json.as_object().at("targets").is_array()) {
    return make_error(ErrorKind::kInternalError, "stored KPI targets are not JSON");
  }
  for (const auto& item : json.as_object().at("targets").as_array()) {
    const auto* object = item.if_object();
    if (object == nullptr) continue;
    auto target = parse_target(text_member(*object, "code"), item);
    if (!target) return std::move(target).error();
    loaded.targets.push_back(std::move(*target));
  }
  return loaded;
}

Result<std::string> TargetStore::save(std::string_view tenant, std::vector<Target> targets) {
  std::sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) {
    return std::tie(a.code, a.city) < std::tie(b.code, b.city);
  });
  boost::json::array list;
  for (const auto& target : targets) list.push_back(target.to_json());
  std::string text = to_json_text(boost::json::object{{"targets", std::move(list)}});
  CT_RETURN_IF_ERROR(store_.put_document(kNamespace, document_key(tenant), text));
  return IntegrityLog::sha256_hex(text);
}

}  // namespace citytwin::kpi
