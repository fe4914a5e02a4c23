// Deterministic sensor data for the time-series benchmark (bench/timeseries/run.sh): SENSORS
// sensors x POINTS points, one per minute from 2026-01-01T00:00:00Z. Realistic shapes: 70% of
// the sensors are smooth daily cycles with noise (temperatures, two decimals), 20% are flat,
// 10% are stepped (a thermostat set point changing every few hours). The same seed gives the
// same data, so every system in a run and every run get identical input.
//
//   tsgen SENSORS POINTS lp   > data.lp     (InfluxDB line protocol, for InfluxDB and
//   VictoriaMetrics) tsgen SENSORS POINTS ngsi > data.ndjson (one POST /temporal/entities body per
//   line, up to
//                                            BATCH points of one sensor each)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr std::int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kStep = 60;
constexpr int kBatch = 10000;

// splitmix64: a tiny, well-mixed deterministic generator.
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller
    double u = uniform() + 1e-12;
    double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }
};

double value_at(int sensor, std::int64_t i, Random& random) {
  int shape = sensor % 10;
  if (shape >= 7 && shape <= 8) return 20.0 + sensor % 5;     // flat
  if (shape == 9) return ((i / 180) % 4 == 0) ? 17.0 : 21.0;  // stepped every 3 hours
  double phase = (sensor % 97) / 97.0 * 2.0 * M_PI;
  double day = 2.0 * M_PI * static_cast<double>(i * kStep) / 86400.0;
  double x = 15.0 + 8.0 * std::sin(day + phase) + 0.3 * random.normal();
  return std::round(x * 100.0) / 100.0;
}

void iso(std::int64_t seconds, char* out) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tsgen SENSORS POINTS lp|ngsi\n");
    return 2;
  }
  int sensors = std::atoi(argv[1]);
  std::int64_t points = std::atoll(argv[2]);
  bool ngsi = std::strcmp(argv[3], "ngsi") == 0;
  std::string line;
  char stamp[32];
  for (int s = 0; s < sensors; ++s) {
    Random random{0x5EED0000ull + static_cast<std::uint64_t>(s)};
    for (std::int64_t i = 0; i < points; ++i) {
      double v = value_at(s, i, random);
      std::int64_t t = kStart + i * kStep;
      char number[32];
      std::snprintf(number, sizeof number, "%.17g", v);
      // Shortest form that reads back the same double.
      for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(number, sizeof number, "%.*g", precision, v);
        if (std::strtod(number, nullptr) == v) break;
      }
      if (!ngsi) {
        std::printf("temperature,sensor=s%d value=%s %lld\n", s, number, static_cast<long long>(t));
        continue;
      }
      if (i % kBatch == 0) {
        line = "{\"id\":\"urn:ngsi-ld:TemperatureSensor:s" + std::to_string(s) +
               "\",\"type\":\"TemperatureSensor\",\"temperature\":[";
      } else {
        line += ',';
      }
      iso(t, stamp);
      line += "{\"type\":\"Property\",\"value\":";
      line += number;
      line += ",\"observedAt\":\"";
      line += stamp;
      line += "\"}";
      if (i % kBatch == kBatch - 1 || i == points - 1) {
        line += "]}";
        std::puts(line.c_str());
      }
    }
  }
  return 0;
}
