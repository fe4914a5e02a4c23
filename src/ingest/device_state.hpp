#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/instant.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::ingest {

// Values of the Device entity's deviceState (Smart Data Models Device) CityTwin writes for
// devices with an expected reporting period.
inline constexpr std::string_view kDeviceStateOk = "ok";
inline constexpr std::string_view kDeviceStateSilent = "silent";

// What a Device entity (stored form) says about its device's reports.
struct DeviceReport {
  std::optional<Instant> last_reported;  // dateLastValueReported
  std::string state;                     // deviceState ("" when absent)
};

DeviceReport device_report(const boost::json::object& stored, const jsonld::TermMapper& terms);

}  // namespace citytwin::ingest
