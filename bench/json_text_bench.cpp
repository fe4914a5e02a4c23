// Cost of writing JSON text (src/common/json_text.cpp) against Boost.JSON's serializer, on
// what CityTwin writes most: a stored entity (its expanded form, long IRIs as member names)
// and the short strings of a notification's envelope.
// `ninja -C build/release json_text_bench && build/release/src/common/json_text_bench`.

#include <benchmark/benchmark.h>

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "citytwin/common/json_text.hpp"

namespace {

// An entity as the store holds it: expanded attribute names, instances with system times.
const std::string kStoredEntity =
    R"({"id":"urn:ngsi-ld:AirQualityObserved:station-17",)"
    R"("type":["https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"],)"
    R"("createdAt":"2026-12-05T09:00:00.000Z","modifiedAt":"2026-12-05T09:10:00.000Z",)"
    R"("attrs":{"https://smartdatamodels.org/dataModel.Environment/pm25":[{"type":"Property",)"
    R"("value":17.348912,"unitCode":"GQ","observedAt":"2026-12-05T09:00:00.000Z",)"
    R"("createdAt":"2026-12-05T09:00:00.000Z","modifiedAt":"2026-12-05T09:10:00.000Z"}],)"
    R"("https://smartdatamodels.org/dataModel.Environment/no2":[{"type":"Property",)"
    R"("value":44.93,"createdAt":"2026-12-05T09:00:00.000Z"}],)"
    R"("https://smartdatamodels.org/address":[{"type":"Property","value":{"streetAddress":)"
    R"("Calle de Alcalá 1","addressLocality":"Madrid \"Centro\""}}],)"
    R"("https://uri.etsi.org/ngsi-ld/location":[{"type":"GeoProperty","value":{"type":"Point",)"
    R"("coordinates":[-3.7037902183271,40.416775401489]}}]}})";

const boost::json::value kEntity = boost::json::parse(kStoredEntity);

void CityTwinText(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(citytwin::to_json_text(kEntity));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kStoredEntity.size()));
}

void BoostJsonSerialize(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::serialize(kEntity));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kStoredEntity.size()));
}

// The strings of a notification envelope: its id, the subscription's id, notifiedAt and the
// trigger reason.
void EnvelopeStrings(benchmark::State& state) {
  const std::string notification_id = "urn:ngsi-ld:Notification:5f0c2a9e7b41d3886a1f0c2a9e7b41d3";
  const std::string subscription_id = "urn:ngsi-ld:Subscription:bench-000417";
  const std::string notified_at = "2026-12-07T15:04:05.123Z";
  std::string out;
  for (auto _ : state) {
    out.clear();
    citytwin::append_json_string(out, notification_id);
    citytwin::append_json_string(out, subscription_id);
    citytwin::append_json_string(out, notified_at);
    citytwin::append_json_string(out, "attributeUpdated");
    benchmark::DoNotOptimize(out.data());
  }
}

BENCHMARK(CityTwinText);
BENCHMARK(BoostJsonSerialize);
BENCHMARK(EnvelopeStrings);

}  // namespace

BENCHMARK_MAIN();
