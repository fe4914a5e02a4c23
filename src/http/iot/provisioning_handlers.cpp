// IoT Agent provisioning API (iotagent-node-lib doc/api.md, "Config group operations" and
// "Device operations") over ingest::DeviceRegistry.
#include <boost/json.hpp>
#include <charconv>

#include "citytwin/http/iot_routes.hpp"
#include "iot_handlers.hpp"
#include "iot_support.hpp"

namespace citytwin::http::iot {
namespace {

// limit/offset of the listings (IoT Agent defaults: 20, 0).
Result<std::pair<std::size_t, std::size_t>> page_of(const Request& request) {
  std::size_t values[2] = {20, 0};
  const char* names[2] = {"limit", "offset"};
  for (int i = 0; i < 2; ++i) {
    auto text = request.param(names[i]);
    if (!text) continue;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), values[i]);
    if (ec != std::errc() || end != text->data() + text->size() || (i == 0 && values[i] == 0) ||
        values[i] > 1000000) {
      return make_error(ErrorKind::kBadRequestData,
                        std::string(names[i]) + " must be a non-negative integer");
    }
  }
  return std::pair{values[0], values[1]};
}

template <class T, class Render>
boost::json::array page(const std::vector<T>& items, std::pair<std::size_t, std::size_t> window,
                        Render render) {
  boost::json::array out;
  for (std::size_t i = window.second; i < items.size() && out.size() < window.first; ++i) {
    out.push_back(render(items[i]));
  }
  return out;
}

Result<const boost::json::array*> list_member(const boost::json::object& body,
                                              std::string_view name) {
  const auto* list = body.if_contains(name);
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    return make_error(ErrorKind::kBadRequestData,
                      "the body must have a non-empty \"" + std::string(name) + "\" array");
  }
  return &list->as_array();
}

// apikey and resource select one group in PUT and DELETE /iot/services.
Result<std::pair<std::string, std::string>> group_selector(const Request& request) {
  auto apikey = request.param("apikey");
  if (!apikey || apikey->empty()) {
    return make_error(ErrorKind::kBadRequestData, "the apikey query parameter is required");
  }
  return std::pair{std::string(*apikey), std::string(request.param("resource").value_or(""))};
}

}  // namespace

Response create_groups(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto body = json_body(request);
  if (!body) return iot_error(body.error());
  auto list = list_member(*body, "services");
  if (!list) return iot_error(list.error());
  std::vector<ingest::ServiceGroup> groups;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const auto* object = (**list)[i].if_object();
    if (object == nullptr) {
      return iot_error(make_error(ErrorKind::kBadRequestData,
                                  "services[" + std::to_string(i) + "] must be an object"));
    }
    auto group = ingest::parse_service_group(*object, *scope);
    if (!group) {
      Error error = std::move(group).error();
      error.detail = "services[" + std::to_string(i) + "]: " + error.detail;
      return iot_error(error);
    }
    groups.push_back(std::move(*group));
  }
  auto status = registry.add_groups(std::move(groups));
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(201);
}

Response list_groups(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, true);
  if (!scope) return iot_error(scope.error());
  auto window = page_of(request);
  if (!window) return iot_error(window.error());
  auto groups = registry.groups(*scope);
  return iot_json(200,
                  boost::json::object{{"count", groups.size()},
                                      {"services", page(groups, *window, ingest::group_to_json)}});
}

Response update_group(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto selector = group_selector(request);
  if (!selector) return iot_error(selector.error());
  auto body = json_body(request);
  if (!body) return iot_error(body.error());
  auto status = registry.update_group(*scope, selector->first, selector->second, *body);
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(204);
}

Response delete_group(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto selector = group_selector(request);
  if (!selector) return iot_error(selector.error());
  auto status = registry.remove_group(*scope, selector->first, selector->second);
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(204);
}

Response create_devices(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto body = json_body(request);
  if (!body) return iot_error(body.error());
  auto list = list_member(*body, "devices");
  if (!list) return iot_error(list.error());
  std::vector<ingest::DeviceConfig> devices;
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const auto* object = (**list)[i].if_object();
    if (object == nullptr) {
      return iot_error(make_error(ErrorKind::kBadRequestData,
                                  "devices[" + std::to_string(i) + "] must be an object"));
    }
    auto device = ingest::parse_device(*object, *scope);
    if (!device) {
      Error error = std::move(device).error();
      error.detail = "devices[" + std::to_string(i) + "]: " + error.detail;
      return iot_error(error);
    }
    devices.push_back(std::move(*device));
  }
  auto status = registry.add_devices(std::move(devices));
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(201);
}

Response list_devices(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, true);
  if (!scope) return iot_error(scope.error());
  auto window = page_of(request);
  if (!window) return iot_error(window.error());
  auto devices = registry.devices(*scope);
  return iot_json(200,
                  boost::json::object{{"count", devices.size()},
                                      {"devices", page(devices, *window, ingest::device_to_json)}});
}

Response get_device(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto device = registry.device(*scope, request.path_param("deviceId"));
  if (!device) return iot_error(device.error());
  return iot_json(200, ingest::device_to_json(*device));
}

Response update_device(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto body = json_body(request);
  if (!body) return iot_error(body.error());
  auto status = registry.update_device(*scope, request.path_param("deviceId"), *body);
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(204);
}

Response delete_device(const Request& request, ingest::DeviceRegistry& registry) {
  auto scope = scope_of(request, false);
  if (!scope) return iot_error(scope.error());
  auto status = registry.remove_device(*scope, request.path_param("deviceId"));
  if (!status.ok()) return iot_error(status.error());
  return Response::empty(204);
}

}  // namespace citytwin::http::iot
