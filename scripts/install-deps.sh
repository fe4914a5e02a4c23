#!/usr/bin/env bash
# Installs every Debian package CityTwin needs to build, test and benchmark
# (CITYTWIN_BENCH_DEPS=1: benchmark tools; CITYTWIN_FUZZ_DEPS=1: clang for the fuzz targets).
# Idempotent: packages already present are skipped quickly.
set -euo pipefail

build_packages=(
  build-essential g++ cmake ninja-build ccache pkg-config clang-format
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librocksdb-dev libssl-dev libcli11-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmosquitto-dev
  libcoap3-dev
)
test_packages=(python3 python3-pytest python3-requests python3-cryptography curl openssl
  poppler-utils mosquitto-clients python3-paho-mqtt mosquitto
  libcoap3-bin)
# The web console (web/): built with Node.js and npm at build time, tested end to end in
# Debian's headless Chromium (tests/e2e/).
web_packages=(nodejs chromium)
# The KPI self-assessment report (docs/kpi.md): Chromium prints it to PDF; Noto fonts cover
# the six UN languages (Latin, Cyrillic and Arabic in fonts-noto-core, Chinese in
# fonts-noto-cjk).
report_packages=(fonts-noto-core fonts-noto-cjk)
bench_packages=(nginx-light wrk influxdb victoria-metrics mosquitto)
# clang and its runtime libraries (libFuzzer, ASan, UBSan) for `make fuzz`; the normal build
# uses g++ only.
fuzz_packages=(clang-14 libclang-rt-14-dev)

wanted=("${build_packages[@]}" "${test_packages[@]}" "${web_packages[@]}" "${report_packages[@]}")
if [ "${CITYTWIN_BENCH_DEPS:-0}" = "1" ]; then wanted+=("${bench_packages[@]}"); fi
if [ "${CITYTWIN_FUZZ_DEPS:-0}" = "1" ]; then wanted+=("${fuzz_packages[@]}"); fi

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Debian's nodejs comes without npm (a package of its own); NodeSource's carries it.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
