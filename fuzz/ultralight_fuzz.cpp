// UltraLight 2.0 payloads (src/ingest, docs/ingest.md) arrive from devices over HTTP
// (/iot/d) and MQTT (/<apikey>/<device>/attrs): any bytes must decode to measure groups or an
// Error, never undefined behaviour. The limits are honoured, every field has a name, and a
// value is a number or a string (ultralight_value, the UltraLight typing rule).

#include <string>

#include "citytwin/ingest/measures.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  std::string_view input = fuzz::as_text(data, size);
  // Small limits too, so the "too many groups / fields" paths are reached.
  for (const ingest::DecodeLimits& limits : {ingest::DecodeLimits{}, ingest::DecodeLimits{2, 3}}) {
    auto groups = ingest::decode_ultralight_measures(input, limits);
    if (!groups.ok()) {
      if (groups.error().detail.empty()) fuzz::fail("rejected UltraLight without a detail");
      continue;
    }
    if (groups->size() > limits.max_groups) fuzz::fail("more groups than the limit");
    for (const auto& group : *groups) {
      if (group.fields.size() > limits.max_fields) fuzz::fail("more fields than the limit");
      for (const auto& [name, value] : group.fields) {
        if (!value.is_number() && !value.is_string()) {
          fuzz::fail("UltraLight value neither number nor string", name);
        }
      }
    }
  }
  // The typing rule alone on the whole input: a number only for JSON number text.
  boost::json::value typed = ingest::ultralight_value(input);
  if (!typed.is_number() && !typed.is_string()) fuzz::fail("ultralight_value gave another kind");
  return 0;
}
