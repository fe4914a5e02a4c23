// IoT Agent provisioning bodies (POST /iot/services, POST /iot/devices; src/ingest/
// provisioning.hpp, docs/ingest.md). The input is parsed as JSON; each object it holds (the
// body itself, and each element of its "services" / "devices" arrays, as the HTTP handlers
// take them) goes through parse_service_group and parse_device in two scopes. What parses
// must render (group_to_json / device_to_json, what GET answers and what is persisted) to a
// document that parses again to the same rendering: the registry reloads exactly these
// documents after a restart (device_registry.cpp), so a group or device that did not would
// be lost or refused at startup.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "citytwin/ingest/provisioning.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

void check_group(const boost::json::object& body, const ingest::ServiceScope& scope) {
  auto group = ingest::parse_service_group(body, scope);
  if (!group.ok()) {
    if (group.error().detail.empty()) fuzz::fail("rejected service group without a detail");
    return;
  }
  boost::json::object stored = ingest::group_to_json(*group);
  auto again = ingest::parse_service_group(stored, scope);
  if (!again.ok()) fuzz::fail("stored service group does not parse", again.error().detail);
  if (ingest::group_to_json(*again) != stored) {
    fuzz::fail("stored service group changes when reloaded", boost::json::serialize(stored));
  }
}

void check_device(const boost::json::object& body, const ingest::ServiceScope& scope) {
  auto device = ingest::parse_device(body, scope);
  if (!device.ok()) {
    if (device.error().detail.empty()) fuzz::fail("rejected device without a detail");
    return;
  }
  boost::json::object stored = ingest::device_to_json(*device);
  auto again = ingest::parse_device(stored, scope);
  if (!again.ok()) fuzz::fail("stored device does not parse", again.error().detail);
  if (ingest::device_to_json(*again) != stored) {
    fuzz::fail("stored device changes when reloaded", boost::json::serialize(stored));
  }
}

void check_object(const boost::json::object& body) {
  for (const ingest::ServiceScope& scope :
       {ingest::ServiceScope{}, ingest::ServiceScope{"smartcity", "/parking/north"}}) {
    check_group(body, scope);
    check_device(body, scope);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(fuzz::as_text(data, size), ec);
  if (ec || !json.is_object()) return 0;
  const boost::json::object& body = json.get_object();
  check_object(body);
  for (std::string_view list : {"services", "devices"}) {
    const auto* items = body.if_contains(list);
    if (items == nullptr || !items->is_array()) continue;
    for (const auto& item : items->get_array()) {
      if (item.is_object()) check_object(item.get_object());
    }
  }
  return 0;
}
