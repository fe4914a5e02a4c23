# CityTwin: `make demo` and `make test` work on a fresh Debian 12 machine (run as root or
# with sudo available): they install what they need first.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
ASAN_DIR := build/asan
TSAN_DIR := build/tsan
FUZZ_DIR := build/fuzz
# Seconds each fuzz target runs in `make fuzz`; `make fuzz-smoke` runs each for FUZZ_SMOKE_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
CMAKE_COMMON := -G Ninja -DCITYTWIN_BUILD_TESTS=ON

.PHONY: all deps build test demo test-asan test-tsan fuzz fuzz-build fuzz-smoke soak soak-peak bench bench-timeseries bench-console bench-mqtt bench-coap bench-kpi format clean

all: build

deps:
	@scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(RELEASE_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)
	@echo "built $(RELEASE_DIR)/citytwin"

test: build
	ctest --test-dir $(RELEASE_DIR) --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(RELEASE_DIR)/citytwin

test-asan: deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DCITYTWIN_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# ThreadSanitizer over the whole suite (the black-box tests run the TSan-built server, so the
# event loops, worker pool and commit queue are exercised under concurrent clients). Its
# deadlock detector is off: it tracks at most 64 locks held at once, and a batch holds more
# (one per entity); lock ordering is by sorted stripe, see core/entity_locks.
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITYTWIN_TSAN=ON
	cmake --build $(TSAN_DIR) -j $(JOBS)
	TSAN_OPTIONS="halt_on_error=1 detect_deadlocks=0 suppressions=$(CURDIR)/scripts/tsan.supp" \
	  ctest --test-dir $(TSAN_DIR) --output-on-failure -j $(JOBS)

# libFuzzer targets (fuzz/, docs/reliability.md), built with clang-14 and ASan/UBSan in
# $(FUZZ_DIR). Only the fuzz targets and the libraries they use are built: no server binary.
# -O1 with line tables: fast enough to fuzz, quicker to build than -O2 with full debug info.
fuzz-build:
	CITYTWIN_FUZZ_DEPS=1 scripts/install-deps.sh
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_DIR) -G Ninja -DCITYTWIN_FUZZ=ON \
	  -DCITYTWIN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only"
	cmake --build $(FUZZ_DIR) --target fuzz_targets -j $(JOBS)

# Every target for FUZZ_SECONDS against a copy of its corpus; prints executions per target.
fuzz: fuzz-build
	scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_DIR)

# The short pass for CI: FUZZ_SMOKE_SECONDS per target.
fuzz-smoke: fuzz-build
	scripts/run-fuzz.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_DIR)

# Soak run, not in CI (bench/soak/soak.py, docs/reliability.md): mixed HTTP + MQTT load at
# SOAK_RATE operations/s for SOAK_SECONDS, RSS and latency percentiles every minute.
SOAK_RATE ?= 200
SOAK_SECONDS ?= 3600
soak: build
	/usr/bin/python3 bench/soak/soak.py --binary $(RELEASE_DIR)/citytwin --rate $(SOAK_RATE) \
	  --duration $(SOAK_SECONDS)

# The same mix at half of the peak it first measures (wrk + deviceload, bench/soak/wrk_engine.py).
soak-peak: build
	CITYTWIN_BENCH_DEPS=1 scripts/install-deps.sh
	/usr/bin/python3 bench/soak/soak.py --binary $(RELEASE_DIR)/citytwin --engine wrk \
	  --duration $(SOAK_SECONDS)

bench: build
	CITYTWIN_BENCH_DEPS=1 scripts/install-deps.sh
	bench/run.sh $(RELEASE_DIR)/citytwin

# Time series against InfluxDB 1.x and VictoriaMetrics (TS_SENSORS, TS_POINTS, TS_THREADS).
bench-timeseries: build
	CITYTWIN_BENCH_DEPS=1 scripts/install-deps.sh
	bench/timeseries/run.sh $(RELEASE_DIR)/citytwin

# The web console's map with 50,000 points in headless Chromium (docs/performance.md).
# U4SSC KPIs of a city with 10,000 sensors and a year of history (bench/kpi/, docs/performance.md).
bench-kpi: build
	bench/kpi/run.sh $(RELEASE_DIR)/citytwin

bench-console: build
	CITYTWIN_BIN=$(RELEASE_DIR)/citytwin node bench/console/map_50k.mjs 50000

# MQTT forwarding: the built-in broker against Mosquitto (MQTT_SCENARIOS, docs/performance.md).
bench-mqtt: build
	CITYTWIN_BENCH_DEPS=1 scripts/install-deps.sh
	bench/mqtt/run.sh $(RELEASE_DIR)/citytwin
	/usr/bin/python3 bench/mqtt/ingest.py $(RELEASE_DIR)/citytwin
	bench/mqtt/devices.sh $(RELEASE_DIR)/citytwin

# CoAP measures (libcoap client) against HTTP /iot/json (wrk), both durable, same run.
bench-coap: build
	CITYTWIN_BENCH_DEPS=1 scripts/install-deps.sh
	bench/coap/run.sh $(RELEASE_DIR)/citytwin

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
