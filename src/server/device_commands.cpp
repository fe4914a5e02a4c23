#include "device_commands.hpp"

#include <spdlog/spdlog.h>

namespace citytwin::server {

DeviceCommands::DeviceCommands(ingest::DeviceRegistry& devices, core::EntityService& entities,
                               std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                               MetricsRegistry& metrics, http::HttpNotificationSender& http_sender,
                               ingest::CommandOptions options)
    : devices_(devices),
      entities_(entities),
      dispatcher_(devices, entities, std::move(terms), clock, &metrics, options),
      http_(http_sender) {
  dispatcher_.add_transport("HTTP", http_);
  metrics.add_gauge("citytwin_ingest_commands_pending",
                    "Device commands queued and waiting for their result", [this] {
                      return std::vector<std::pair<Labels, double>>{
                          {Labels{}, static_cast<double>(dispatcher_.pending())}};
                    });
}

DeviceCommands::~DeviceCommands() {
  stop();
}

Status DeviceCommands::open() {
  auto restored = dispatcher_.restore();
  if (!restored) return std::move(restored).error();
  for (const auto& problem : *restored) spdlog::warn("{}", problem);
  entities_.set_write_hook(&dispatcher_);
  devices_.set_observer([this] { sync(); });
  sync();
  return ok_status();
}

void DeviceCommands::sync() {
  if (auto status = dispatcher_.sync_entities(); !status.ok()) {
    spdlog::warn("commands: cannot give devices their command attributes: {}",
                 status.error().detail);
  }
}

void DeviceCommands::use_broker(mqtt::Broker& broker) {
  mqtt_ = std::make_unique<MqttCommandTransport>(broker);
  dispatcher_.add_transport("MQTT", *mqtt_);
}

void DeviceCommands::stop() {
  dispatcher_.stop();
  entities_.set_write_hook(nullptr);
}

}  // namespace citytwin::server
