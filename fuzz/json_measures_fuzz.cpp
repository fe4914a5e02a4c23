// IoT Agent JSON measures (src/ingest, docs/ingest.md): one object of measures or an array of
// them, each optionally with TimeInstant, from devices over HTTP (/iot/json) and MQTT. Any
// bytes must decode to measure groups or an Error with a detail; the limits are honoured and
// TimeInstant never appears as a measured field (it becomes the group's observed_at).

#include <string>

#include "citytwin/ingest/measures.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace citytwin;
  std::string_view input = fuzz::as_text(data, size);
  for (const ingest::DecodeLimits& limits : {ingest::DecodeLimits{}, ingest::DecodeLimits{2, 3}}) {
    auto groups = ingest::decode_json_measures(input, limits);
    if (!groups.ok()) {
      if (groups.error().detail.empty()) fuzz::fail("rejected JSON measures without a detail");
      continue;
    }
    if (groups->size() > limits.max_groups) fuzz::fail("more groups than the limit");
    for (const auto& group : *groups) {
      if (group.fields.size() > limits.max_fields) fuzz::fail("more fields than the limit");
      for (const auto& field : group.fields) {
        if (field.first == ingest::kTimeInstant) fuzz::fail("TimeInstant kept as a field");
      }
    }
  }
  return 0;
}
