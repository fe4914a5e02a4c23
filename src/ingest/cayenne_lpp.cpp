#include "citytwin/ingest/cayenne_lpp.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <set>
#include <string>

namespace citytwin::ingest {
namespace {

// How one LPP type is laid out (Cayenne LPP 1.0 table; sizes in bytes).
struct LppType {
  std::uint8_t id;
  const char* name;
  std::size_t size;
  bool is_signed;
  int divisor;  // raw integer / divisor = value in the type's unit (1: an integer value)
};

constexpr LppType kTypes[] = {
    {0, "digital_in", 1, false, 1},        {1, "digital_out", 1, false, 1},
    {2, "analog_in", 2, true, 100},        {3, "analog_out", 2, true, 100},
    {101, "luminosity", 2, false, 1},      {102, "presence", 1, false, 1},
    {103, "temperature", 2, true, 10},     {104, "relative_humidity", 1, false, 2},
    {113, "accelerometer", 6, true, 1000}, {115, "barometric_pressure", 2, false, 10},
    {134, "gyrometer", 6, true, 100},      {136, "gps", 9, true, 0},
};

const LppType* find_type(std::uint8_t id) {
  for (const auto& type : kTypes) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

// Big-endian integer of `size` bytes at `at`, sign-extended when `is_signed`.
std::int64_t read_int(std::string_view bytes, std::size_t at, std::size_t size, bool is_signed) {
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < size; ++i) {
    raw = (raw << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  if (is_signed && (raw & (std::uint64_t{1} << (size * 8 - 1))) != 0) {
    raw |= ~std::uint64_t{0} << (size * 8);
  }
  return static_cast<std::int64_t>(raw);
}

// Integers stay integers (digital values, lux); scaled values are divided, not multiplied by
// the resolution, so 215 tenths of a degree read 21.5, not 21.500000000000004.
boost::json::value scaled(std::int64_t raw, int divisor) {
  if (divisor == 1) return boost::json::value(raw);
  return boost::json::value(static_cast<double>(raw) / divisor);
}

Error bad(std::size_t at, const std::string& what) {
  return make_error(ErrorKind::kBadRequestData,
                    "CayenneLPP: " + what + " at byte " + std::to_string(at));
}

Result<boost::json::value> gps_point(std::string_view bytes, std::size_t at) {
  // Latitude and longitude in 0.0001 degrees, altitude in 0.01 m, 3 signed bytes each.
  double latitude = static_cast<double>(read_int(bytes, at, 3, true)) / 10000;
  double longitude = static_cast<double>(read_int(bytes, at + 3, 3, true)) / 10000;
  double altitude = static_cast<double>(read_int(bytes, at + 6, 3, true)) / 100;
  if (latitude < -90 || latitude > 90 || longitude < -180 || longitude > 180) {
    return bad(at, "GPS position out of range");
  }
  return boost::json::value(boost::json::object{
      {"type", "Point"}, {"coordinates", boost::json::array{longitude, latitude, altitude}}});
}

boost::json::value axes(std::string_view bytes, std::size_t at, int divisor) {
  return boost::json::object{{"x", scaled(read_int(bytes, at, 2, true), divisor)},
                             {"y", scaled(read_int(bytes, at + 2, 2, true), divisor)},
                             {"z", scaled(read_int(bytes, at + 4, 2, true), divisor)}};
}

}  // namespace

Result<MeasureGroup> decode_cayenne_lpp(std::string_view payload, std::size_t max_fields) {
  if (payload.empty()) return bad(0, "empty payload");
  MeasureGroup group;
  std::set<std::string> seen;
  std::size_t at = 0;
  while (at < payload.size()) {
    if (payload.size() - at < 2) return bad(at, "truncated item header");
    auto channel = static_cast<unsigned char>(payload[at]);
    auto type_id = static_cast<unsigned char>(payload[at + 1]);
    const LppType* type = find_type(type_id);
    if (type == nullptr) return bad(at + 1, "unknown type " + std::to_string(type_id));
    std::size_t value_at = at + 2;
    if (payload.size() - value_at < type->size) {
      return bad(at, std::string("truncated ") + type->name + " value");
    }
    std::string name = std::string(type->name) + "_" + std::to_string(channel);
    if (!seen.insert(name).second) return bad(at, "repeated channel and type " + name);
    if (group.fields.size() >= max_fields) return bad(at, "too many items");
    boost::json::value value;
    if (type->size == 9) {
      auto point = gps_point(payload, value_at);
      if (!point) return std::move(point).error();
      value = std::move(*point);
    } else if (type->size == 6) {
      value = axes(payload, value_at, type->divisor);
    } else {
      value = scaled(read_int(payload, value_at, type->size, type->is_signed), type->divisor);
    }
    group.fields.emplace_back(std::move(name), std::move(value));
    at = value_at + type->size;
  }
  return group;
}

}  // namespace citytwin::ingest
