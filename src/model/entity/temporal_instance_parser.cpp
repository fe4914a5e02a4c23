#include "citytwin/model/temporal_instance_parser.hpp"

#include <charconv>
#include <cmath>
#include <utility>

#include <boost/json/serialize.hpp>

#include "citytwin/common/date_time_buffer.hpp"
#include "citytwin/common/instant.hpp"
#include "citytwin/common/serialized_double.hpp"
#include "citytwin/model/attribute_parser.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/ngsi_names.hpp"

namespace citytwin::model {
namespace {

namespace json = boost::json;

// Room for what the history appends to every instance: its createdAt and modifiedAt.
constexpr std::size_t kStampRoom = 96;

// Characters Boost.JSON writes as they are inside a string (it escapes '"', '\\' and
// controls); anything else goes through its serializer, so escapes come out the same.
bool is_plain_text(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

std::optional<std::int64_t> observed_at_of(const json::object& instance) {
  const json::value* observed = instance.if_contains(form::kObservedAt);
  if (observed == nullptr || !observed->is_string()) return std::nullopt;
  auto instant = parse_date_time(std::string_view(observed->get_string()));
  if (!instant) return std::nullopt;
  return instant->micros;
}

// A year outside 0000-9999 is formatted with more or fewer digits, which reads back
// differently (or not at all): only then is the stored text parsed again.
bool reads_back_exactly(std::string_view formatted) {
  return (formatted.size() == 24 || formatted.size() == 27) && formatted[4] == '-' &&
         formatted[0] >= '0' && formatted[0] <= '9';
}

}  // namespace

Result<TemporalInstance> TemporalInstanceParser::parse(std::string_view name,
                                                       const json::value& body) {
  if (body.is_object() && is_valid_name(name)) {
    if (auto plain = plain_property(body.get_object())) return std::move(*plain);
  }
  auto parsed = parse_attribute(name, body, terms_, options_);
  if (!parsed.ok()) return std::move(parsed).error();
  // An object body is one instance (an array is a multi-attribute only at the top level).
  json::array& instances = parsed->begin()->value().as_array();
  if (instances.size() != 1) {
    return make_error(ErrorKind::kInternalError,
                      "attribute '" + std::string(name) + "': one instance expected");
  }
  const json::object& instance = instances.front().as_object();
  TemporalInstance out;
  out.text = json::serialize(instance);
  if (const json::value* dataset = instance.if_contains(form::kDatasetId);
      dataset != nullptr && dataset->is_string()) {
    out.dataset_id = std::string(dataset->get_string());
  }
  out.observed_at = observed_at_of(instance);
  return out;
}

std::optional<TemporalInstance> TemporalInstanceParser::plain_property(const json::object& body) {
  if (options_.allow_null) return std::nullopt;  // nulls and "urn:ngsi-ld:null" become markers
  const json::value* value = nullptr;
  const json::value* observed = nullptr;
  const json::value* unit = nullptr;
  const json::value* dataset = nullptr;
  for (const auto& member : body) {
    const std::string_view key = member.key();
    const json::value& item = member.value();
    if (key == form::kValue) {
      value = &item;
    } else if (key == form::kType) {
      if (!item.is_string() || item.get_string() != form::kProperty) return std::nullopt;
    } else if (key == form::kObservedAt) {
      observed = &item;
    } else if (key == form::kUnitCode) {
      unit = &item;
    } else if (key == form::kDatasetId) {
      dataset = &item;
    } else {
      return std::nullopt;  // sub-attributes, other kinds, system members: the general path
    }
  }
  if (value == nullptr || !(value->is_number() || value->is_string() || value->is_bool())) {
    return std::nullopt;
  }
  if (unit != nullptr && (!unit->is_string() || unit->get_string().empty())) return std::nullopt;
  if (dataset != nullptr && (!dataset->is_string() || !is_valid_uri(dataset->get_string()))) {
    return std::nullopt;
  }
  std::optional<Instant> instant;
  if (observed != nullptr) {
    if (!observed->is_string()) return std::nullopt;
    instant = parse_date_time(std::string_view(observed->get_string()));
    if (!instant) return std::nullopt;
  }

  // The members in the order parse_attribute sets them: type, value, observedAt, unitCode,
  // datasetId.
  TemporalInstance out;
  out.text.reserve(128 + kStampRoom + (value->is_string() ? value->get_string().size() : 0) +
                   (unit != nullptr ? unit->get_string().size() : 0) +
                   (dataset != nullptr ? dataset->get_string().size() : 0));
  out.text += R"({"type":"Property","value":)";
  InstanceLayout& layout = out.layout;
  layout.value.begin = static_cast<std::uint32_t>(out.text.size());
  layout.written = append_json(out.text, *value);
  layout.value.end = static_cast<std::uint32_t>(out.text.size());
  if (layout.written == WrittenValue::kDouble) layout.number = value->get_double();
  if (layout.written == WrittenValue::kInteger) {
    layout.number = static_cast<double>(value->get_int64());
  }
  if (layout.written == WrittenValue::kBool) layout.boolean = value->get_bool();
  if (instant) {
    const std::string_view formatted = observed_at_.format(*instant);
    out.text += R"(,"observedAt":")";
    layout.observed_at.begin = static_cast<std::uint32_t>(out.text.size() - 1);
    out.text += formatted;
    out.text += '"';
    layout.observed_at.end = static_cast<std::uint32_t>(out.text.size());
    out.observed_at = instant->micros;
    if (!reads_back_exactly(formatted)) {  // what the history reads from the stored text
      auto again = parse_date_time(formatted);
      out.observed_at = again ? std::optional<std::int64_t>(again->micros) : std::nullopt;
    }
  }
  if (unit != nullptr) {
    out.text += R"(,"unitCode":)";
    append_json(out.text, *unit);
  }
  if (dataset != nullptr) {
    out.text += R"(,"datasetId":)";
    append_json(out.text, *dataset);
    out.dataset_id = std::string(dataset->get_string());
  }
  out.text += '}';
  layout.size = static_cast<std::uint32_t>(out.text.size());
  return out;
}

WrittenValue TemporalInstanceParser::append_json(std::string& out, const json::value& value) {
  if (value.is_int64()) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof(digits), value.get_int64()).ptr;
    out.append(digits, end);
    // Larger integers are not exact doubles: the history keeps them as their text.
    return is_exact_double(value.get_int64()) ? WrittenValue::kInteger : WrittenValue::kUnknown;
  }
  if (value.is_double() && std::isfinite(value.get_double())) {
    append_serialized_double(out, value.get_double());
    return WrittenValue::kDouble;
  }
  if (value.is_string() && is_plain_text(value.get_string())) {
    out += '"';
    out.append(value.get_string().data(), value.get_string().size());
    out += '"';
    return WrittenValue::kPlainString;
  }
  if (value.is_bool()) {
    out += value.get_bool() ? "true" : "false";
    return WrittenValue::kBool;
  }
  serializer_.reset(&value);
  char buffer[128];
  while (!serializer_.done()) {
    json::string_view piece = serializer_.read(buffer, sizeof(buffer));
    out.append(piece.data(), piece.size());
  }
  return WrittenValue::kUnknown;
}

}  // namespace citytwin::model
