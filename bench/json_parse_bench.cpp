// Cost of correctly rounded number parsing (src/common/json_parse.cpp) against Boost.JSON's
// own parser, on the documents CityTwin parses most: a stored entity and a device's measures.
// `ninja -C build/release json_parse_bench && build/release/src/common/json_parse_bench`.

#include <benchmark/benchmark.h>

#include <string>

#include <boost/json/parse.hpp>

#include "citytwin/common/json_parse.hpp"

namespace {

const std::string kEntity = R"({"id":"urn:ngsi-ld:AirQualityObserved:station-17",)"
                            R"("type":"AirQualityObserved","dateObserved":{"type":"Property",)"
                            R"("value":{"@type":"DateTime","@value":"2026-12-05T09:00:00Z"}},)"
                            R"("location":{"type":"GeoProperty","value":{"type":"Point",)"
                            R"("coordinates":[-3.7037902183271,40.416775401489]}},)"
                            R"("pm25":{"type":"Property","value":17.348912,"unitCode":"GQ",)"
                            R"("observedAt":"2026-12-05T09:00:00Z"},)"
                            R"("pm10":{"type":"Property","value":31.07,"unitCode":"GQ"},)"
                            R"("no2":{"type":"Property","value":44.930000000000007},)"
                            R"("temperature":{"type":"Property","value":12.4,"unitCode":"CEL"},)"
                            R"("relativeHumidity":{"type":"Property","value":0.73}})";

const std::string kMeasures =
    R"([{"t":21.37,"h":48.2,"p":1013.25,"TimeInstant":"2026-12-05T09:00:00Z"},)"
    R"({"t":21.41,"h":48.0,"p":1013.2,"TimeInstant":"2026-12-05T09:01:00Z"}])";

void BoostJsonParse(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    boost::system::error_code ec;
    benchmark::DoNotOptimize(boost::json::parse(text, ec));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void PreciseParse(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    boost::system::error_code ec;
    benchmark::DoNotOptimize(citytwin::parse_json(text, ec));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

BENCHMARK_CAPTURE(BoostJsonParse, entity, kEntity);
BENCHMARK_CAPTURE(PreciseParse, entity, kEntity);
BENCHMARK_CAPTURE(BoostJsonParse, measures, kMeasures);
BENCHMARK_CAPTURE(PreciseParse, measures, kMeasures);

}  // namespace

BENCHMARK_MAIN();
