# Every third-party library comes from a Debian package (see docs/dependencies.md).
find_package(Threads REQUIRED)
find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
# libmosquitto: the client of mqtt:// notification endpoints (src/mqtt/client).
pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
# libcoap 3 built with OpenSSL (DTLS): the CoAP southbound of device measurements (src/server).
pkg_check_modules(COAP REQUIRED IMPORTED_TARGET libcoap-3-openssl)
# jemalloc for the server binary (docs/decisions.md item 20: glibc malloc made a write with
# subscriptions 28 % dearer). Sanitizer builds keep the allocator the sanitizers intercept.
if(NOT CITYTWIN_SANITIZE AND NOT CITYTWIN_TSAN AND NOT CITYTWIN_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
add_library(citytwin_rocksdb INTERFACE)
target_link_libraries(citytwin_rocksdb INTERFACE ${ROCKSDB_LIBRARY})
target_include_directories(citytwin_rocksdb SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})
if(CITYTWIN_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
