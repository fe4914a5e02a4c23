// CayenneLPP payloads (src/ingest/cayenne_lpp.cpp, docs/ingest.md "LoRaWAN") arrive base64
// in LoRaWAN webhooks from any device of a network: any bytes must decode to one measure group
// or an Error, never undefined behaviour. Accepted payloads keep the format's invariants.

#include <boost/json.hpp>
#include <cmath>
#include <set>
#include <string>

#include "citytwin/ingest/cayenne_lpp.hpp"
#include "fuzz_support.hpp"

namespace {

void check_finite(const boost::json::value& value, const std::string& name) {
  if (value.is_double() && !std::isfinite(value.get_double())) {
    citytwin::fuzz::fail("non-finite CayenneLPP value", name);
  }
  if (const auto* object = value.if_object()) {
    for (const auto& [key, member] : *object) check_finite(member, name);
  }
  if (const auto* array = value.if_array()) {
    for (const auto& member : *array) check_finite(member, name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  std::string_view input = fuzz::as_text(data, size);
  for (std::size_t max_fields : {std::size_t{1000}, std::size_t{2}}) {
    auto group = ingest::decode_cayenne_lpp(input, max_fields);
    if (!group.ok()) {
      if (group.error().detail.empty()) fuzz::fail("rejected CayenneLPP without a detail");
      continue;
    }
    if (group->fields.size() > max_fields) fuzz::fail("more fields than the limit");
    // Every item is at least a channel, a type and one byte of value.
    if (group->fields.size() * 3 > input.size()) fuzz::fail("more fields than the bytes hold");
    std::set<std::string> names;
    for (const auto& [name, value] : group->fields) {
      if (!names.insert(name).second) fuzz::fail("repeated field", name);
      if (name.rfind('_') == std::string::npos) fuzz::fail("field without a channel", name);
      check_finite(value, name);
      if (name.rfind("gps_", 0) == 0) {
        const auto& coordinates = value.at("coordinates").as_array();
        double longitude = coordinates.at(0).to_number<double>();
        double latitude = coordinates.at(1).to_number<double>();
        if (std::fabs(latitude) > 90 || std::fabs(longitude) > 180) {
          fuzz::fail("GPS position out of range", name);
        }
      }
    }
  }
  return 0;
}
