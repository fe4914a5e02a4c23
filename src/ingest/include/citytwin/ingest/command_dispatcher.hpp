#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/entity_write_hook.hpp"
#include "citytwin/ingest/command.hpp"
#include "citytwin/ingest/command_transport.hpp"
#include "citytwin/ingest/device_registry.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::ingest {

struct CommandOptions {
  // Seconds a command waits for its result (PENDING or DELIVERED) before it is EXPIRED.
  // Default 3600 (one hour).
  std::int64_t expiry_s = 3600;
  // How often the delivery thread looks for expired commands. Default 1 s.
  std::chrono::milliseconds check_interval{1000};
};

// Device commands (docs/ingest.md, "Commands"). It is the EntityService's write hook: a
// change of a command attribute of a device's entity (any NGSI-LD update) gets
// `<cmd>_status` PENDING and the command's queue record (store namespace "iot.command") in
// the same atomic write, so the update is acknowledged only once the command is durably
// queued, and a queued command survives a crash. Once that write is durable the command is
// handed to its transport on the delivery thread; results (MQTT cmdexe, HTTP push answers,
// HTTP command results) set `<cmd>_status` OK and `<cmd>_info`; commands without a result
// after CommandOptions::expiry_s become EXPIRED. Commands of devices without a transport
// (HTTP without endpoint, or no transport registered for the device's protocol) wait to be
// polled (poll()). Counted in citytwin_ingest_commands_total{transport,outcome} and
// citytwin_ingest_command_results_total{transport,outcome}. Thread-safe.
class CommandDispatcher final : public core::EntityWriteHook {
 public:
  CommandDispatcher(DeviceRegistry& registry, core::EntityService& entities,
                    std::shared_ptr<const jsonld::TermMapper> terms, const Clock& clock,
                    MetricsRegistry* metrics = nullptr, CommandOptions options = {});
  ~CommandDispatcher() override;

  // Registers the transport for devices whose `transport` is `name` ("MQTT", "HTTP" for
  // push endpoints, "LORAWAN", ...). MQTT also serves devices that name no transport and
  // have no endpoint (the IoT Agent default). May be called while commands flow (the MQTT
  // broker is started before its transport exists).
  void add_transport(std::string name, CommandTransport& transport);

  // Loads the commands queued before a restart; problems are reported, not fatal.
  Result<std::vector<std::string>> restore();
  // Starts the delivery thread (which sends restored commands that are due again).
  void start();
  void stop();

  // Gives every provisioned device with commands its command attributes (`<cmd>` = "",
  // `<cmd>_status` UNKNOWN, `<cmd>_info` ""), creating its entity if needed; existing
  // attributes are kept. Called after provisioning changes.
  Status sync_entities();

  Result<core::WriteAmendment> amend(std::string_view tenant, const boost::json::object* before,
                                     boost::json::object& entity, Instant now) override;

  // HTTP polling (GET /iot/json?k=..&i=..&getCmd=1): the device's commands not yet fetched,
  // now DELIVERED. `resource` picks the group as for measurements; `authorize` (may be empty)
  // checks the group's tenant.
  Result<std::vector<DeviceCommand>> poll(std::string_view apikey, std::string_view device_id,
                                          std::string_view resource,
                                          const std::function<Status(std::string_view)>& authorize);

  // A device's command results (MQTT cmdexe, HTTP command results): `<cmd>_status` OK and
  // `<cmd>_info` = the result, for every command of the payload. Writes are ordered when it
  // returns (durable once the store's write_mark() is); a bad payload, an unknown device or a
  // name that is not one of its commands writes nothing.
  Status complete(std::string_view transport, std::string_view apikey, std::string_view device_id,
                  PayloadFormat format, std::string_view payload,
                  const std::function<Status(std::string_view)>& authorize);
  // complete() for a transport that decodes results itself (a LoRaWAN uplink, ...): each
  // (command name, result) pair; the same checks and writes.
  Status report_results(std::string_view transport, std::string_view apikey,
                        std::string_view device_id,
                        std::vector<std::pair<std::string, boost::json::value>> results,
                        const std::function<Status(std::string_view)>& authorize);
  // complete(), then `done` once durable (on the store's commit thread: keep it quick).
  void complete(std::string_view transport, std::string_view apikey, std::string_view device_id,
                PayloadFormat format, std::string_view payload,
                const std::function<Status(std::string_view)>& authorize,
                std::function<void(Status)> done);

  // The device (apikey, device_id) showed up (subscribed to its command topic): commands
  // handed over before a restart to a transport that resends on reconnect are sent again.
  void redeliver(const std::function<bool(const CommandDevice&)>& matches);

  // Commands waiting for a result.
  std::size_t pending() const;
  // One expiry pass now (also run by the delivery thread); returns how many expired.
  std::size_t expire();

 private:
  struct Target;
  struct Queued {
    DeviceCommand command;
    bool handed_over = false;  // sent in this process' lifetime
  };
  std::shared_ptr<const std::map<std::string, Target>> targets();
  void refresh_targets_locked();
  CommandTransport* transport_for(const CommandDevice& device) const;  // holds mutex_
  // `<cmd>`, `<cmd>_status`, `<cmd>_info` on the target's entity (created if needed).
  Status give_command_attributes(const Target& target);
  void enqueue(const std::string& key);
  void run();
  void deliver(const std::string& key);
  // Writes `<name>_status` (and `<name>_info` when given) to the command's entity.
  Status write_status(const CommandDevice& device, std::string_view name, std::string_view status,
                      const boost::json::value* info);
  // The command is over (OK, ERROR, EXPIRED): status written, queue record removed.
  void finish(const std::string& key, const DeviceCommand& command, std::string_view status,
              const boost::json::value* info);
  Result<CommandDevice> resolve_device(std::string_view apikey, std::string_view device_id,
                                       std::string_view resource,
                                       const std::function<Status(std::string_view)>& authorize,
                                       std::vector<std::string>* command_names);
  void count(std::string_view metric, std::string_view transport, std::string_view outcome);
  void reject_results(std::string_view transport, std::string_view apikey,
                      std::string_view device_id, const Error& error);

  DeviceRegistry& registry_;
  core::EntityService& entities_;
  std::shared_ptr<const jsonld::TermMapper> terms_;
  const Clock& clock_;
  MetricsRegistry* metrics_;
  CommandOptions options_;

  // Entities with command attributes, by "tenant\x1f entity id"; rebuilt when the registry
  // version changes.
  std::mutex targets_mutex_;
  std::uint64_t targets_version_ = ~std::uint64_t{0};
  std::shared_ptr<const std::map<std::string, Target>> targets_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, CommandTransport*> transports_;
  std::map<std::string, Queued> queued_;  // by command_key
  std::deque<std::string> to_send_;
  std::vector<std::string> to_forget_;         // finished: their records are deleted
  std::map<std::string, std::string> synced_;  // entity key -> commands given attributes
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin::ingest
