#include "citytwin/model/instance_text_renderer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include <boost/json/value.hpp>

#include "attribute_kind.hpp"
#include "citytwin/common/json_member.hpp"
#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"
#include "citytwin/model/entity_form.hpp"

namespace citytwin::model {
namespace {

using detail::AttributeKind;

// The members this renderer knows, in the order render_entity() writes them (the value
// member's place is the type's; instanceId is written from the argument, whatever the text
// holds).
enum Slot : std::size_t {
  kTypeSlot,
  kValueSlot,
  kDatasetSlot,
  kInstanceSlot,
  kObservedSlot,
  kUnitSlot,
  kCreatedSlot,
  kModifiedSlot,
  kDeletedSlot,
  kSlotCount,
};

constexpr std::array<std::string_view, 7> kValueMembers = {
    form::kValue,     form::kObject,     form::kLanguageMap, form::kVocab,
    form::kValueList, form::kObjectList, form::kJson};

std::optional<Slot> slot_of(std::string_view key) {
  for (std::string_view member : kValueMembers) {
    if (key == member) return kValueSlot;
  }
  if (key == form::kType) return kTypeSlot;
  if (key == form::kDatasetId) return kDatasetSlot;
  if (key == form::kInstanceId) return kInstanceSlot;
  if (key == form::kObservedAt) return kObservedSlot;
  if (key == form::kUnitCode) return kUnitSlot;
  if (key == form::kCreatedAt) return kCreatedSlot;
  if (key == form::kModifiedAt) return kModifiedSlot;
  if (key == form::kDeletedAt) return kDeletedSlot;
  return std::nullopt;
}

// A number's text as the parser reads it: an integer literal within int64 stays that integer
// (written back as it is when that is how the writer writes it); anything with a fraction or
// an exponent is a correctly rounded double (json_parse.hpp).
bool append_number(std::string& out, std::string_view text) {
  const char* end = text.data() + text.size();
  if (text.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t integer = 0;
    auto parsed = std::from_chars(text.data(), end, integer);
    if (parsed.ec != std::errc() || parsed.ptr != end) return false;
    char buffer[24];
    auto written = std::to_chars(buffer, buffer + sizeof buffer, integer);
    if (std::string_view(buffer, static_cast<std::size_t>(written.ptr - buffer)) != text) {
      return false;
    }
    out += text;
    return true;
  }
  double number = 0;
  auto parsed = std::from_chars(text.data(), end, number);
  if (parsed.ec != std::errc() || parsed.ptr != end || !std::isfinite(number)) return false;
  append_json_text(out, boost::json::value(number));
  return true;
}

// A member's value as the response writer writes the parsed value: strings without escapes
// and numbers directly, anything else through the parser.
bool append_value(std::string& out, std::string_view text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    std::string_view raw = text.substr(1, text.size() - 2);
    if (raw.find('\\') == std::string_view::npos) {
      append_json_string(out, raw);
      return true;
    }
  } else if (text == "true" || text == "false" || text == "null") {
    out += text;
    return true;
  } else if (!text.empty() &&
             (text.front() == '-' || (text.front() >= '0' && text.front() <= '9'))) {
    if (append_number(out, text)) return true;
  }
  boost::system::error_code ec;
  auto parsed = parse_json(text, ec);
  if (ec) return false;
  append_json_text(out, parsed);
  return true;
}

void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;  // the renderer's own member names: nothing to escape
  out += "\":";
}

// The kind named by the instance's "type" text, when it is one the text can be rendered for.
std::optional<AttributeKind> renderable_kind(std::string_view type_text,
                                             const RenderOptions& options) {
  if (type_text.size() < 2 || type_text.front() != '"' || type_text.back() != '"') {
    return std::nullopt;
  }
  auto kind = detail::kind_from_type_name(type_text.substr(1, type_text.size() - 2));
  if (!kind || *kind == AttributeKind::kVocabProperty) return std::nullopt;
  // The same test as the renderer's: `lang` other than "*" selects a language.
  bool selects_language = !options.lang.empty() && options.lang != "*";
  if (*kind == AttributeKind::kLanguageProperty && selects_language) return std::nullopt;
  return kind;
}

bool append_instance(std::string& out, std::string_view stored, std::string_view instance_id,
                     const RenderOptions& options) {
  auto members = top_level_members(stored);
  if (!members) return false;
  std::array<std::optional<std::string_view>, kSlotCount> slots;
  std::string_view value_key;
  for (const JsonMember& member : *members) {
    auto slot = slot_of(member.key);
    if (!slot || slots[*slot]) return false;  // unknown, or a second value member
    slots[*slot] = stored.substr(member.value_begin, member.value_end - member.value_begin);
    if (*slot == kValueSlot) value_key = member.key;
  }
  if (!slots[kTypeSlot] || !slots[kValueSlot]) return false;
  auto kind = renderable_kind(*slots[kTypeSlot], options);
  if (!kind || value_key != detail::value_member(*kind)) return false;
  out += '{';
  append_key(out, form::kType);
  if (!append_value(out, *slots[kTypeSlot])) return false;
  out += ',';
  append_key(out, value_key);
  if (!append_value(out, *slots[kValueSlot])) return false;
  auto append_member = [&](Slot slot, std::string_view key) {
    if (!slots[slot]) return true;
    out += ',';
    append_key(out, key);
    return append_value(out, *slots[slot]);
  };
  if (!append_member(kDatasetSlot, form::kDatasetId)) return false;
  out += ',';
  append_key(out, form::kInstanceId);
  append_json_string(out, instance_id);
  if (!append_member(kObservedSlot, form::kObservedAt)) return false;
  if (!append_member(kUnitSlot, form::kUnitCode)) return false;
  if (options.sys_attrs) {
    if (!append_member(kCreatedSlot, form::kCreatedAt)) return false;
    if (!append_member(kModifiedSlot, form::kModifiedAt)) return false;
    if (!append_member(kDeletedSlot, form::kDeletedAt)) return false;
  }
  out += '}';
  return true;
}

}  // namespace

bool append_normalized_instance(std::string& out, std::string_view stored,
                                std::string_view instance_id, const RenderOptions& options) {
  if (options.format != RepresentationFormat::kNormalized) return false;
  const std::size_t start = out.size();
  if (append_instance(out, stored, instance_id, options)) return true;
  out.resize(start);
  return false;
}

}  // namespace citytwin::model
