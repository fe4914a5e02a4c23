#include "citytwin/ingest/command_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <future>
#include <set>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_parser.hpp"
#include "citytwin/model/mutation/timestamps.hpp"
#include "device_mapping.hpp"

namespace citytwin::ingest {
namespace form = model::form;

namespace {

constexpr std::string_view kCommandNamespace = "iot.command";

// The commands of a device: its own, then its group's not overridden by name (IoT Agent).
std::vector<const AttributeMapping*> commands_of(const DeviceConfig& device,
                                                 const ServiceGroup* group) {
  std::vector<const AttributeMapping*> out;
  for (const auto& command : device.mapping.commands) out.push_back(&command);
  if (group != nullptr) {
    for (const auto& command : group->mapping.commands) {
      if (std::none_of(out.begin(), out.end(),
                       [&](const AttributeMapping* mine) { return mine->name == command.name; })) {
        out.push_back(&command);
      }
    }
  }
  return out;
}

// A command's `expression` (IoT Agent): computes what is sent from the command's value. It
// sees the value under the command's name, an object value's members by name, and id, type,
// service and subservice; a null result sends the value unchanged.
Result<boost::json::value> transform(const Expression& expression, const std::string& name,
                                     const boost::json::value& value, const CommandDevice& device,
                                     const std::string& entity_type) {
  std::map<std::string, boost::json::value, std::less<>> fields{
      {"id", boost::json::string(device.device_id)},
      {"type", boost::json::string(entity_type)},
      {"service", boost::json::string(device.scope.tenant)},
      {"subservice", boost::json::string(device.scope.servicepath)}};
  if (const auto* members = value.if_object()) {
    for (const auto& [key, member] : *members) fields[std::string(key)] = member;
  }
  fields[name] = value;
  auto result = expression.evaluate([&fields](std::string_view field) -> const boost::json::value* {
    auto it = fields.find(field);
    return it == fields.end() ? nullptr : &it->second;
  });
  if (!result) return std::move(result).error();
  if (result->is_null()) return value;
  return result;
}

PayloadFormat format_of(const DeviceConfig& device, const ServiceGroup* group) {
  std::string protocol = device.protocol;
  for (char& c : protocol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (protocol.find("UL") != std::string::npos) return PayloadFormat::kUltraLight;
  if (protocol.empty() && group != nullptr && group->resource == "/iot/d") {
    return PayloadFormat::kUltraLight;
  }
  return PayloadFormat::kJson;
}

std::string entity_key(std::string_view tenant, std::string_view entity_id) {
  return std::string(tenant) + '\x1f' + std::string(entity_id);
}

std::string device_prefix(const ServiceScope& scope, std::string_view device_id) {
  return command_key(scope, device_id, "");
}

// The value a command attribute carries: its default instance's value.
boost::json::value command_value(const boost::json::value& attribute) {
  const auto* instances = attribute.if_array();
  if (instances == nullptr) return nullptr;
  for (const auto& instance : *instances) {
    const auto* object = instance.if_object();
    if (object == nullptr || object->contains(form::kDatasetId)) continue;
    for (std::string_view member : {form::kValue, form::kJson, form::kObject}) {
      if (const auto* value = object->if_contains(member)) return *value;
    }
  }
  return nullptr;
}

void set_status_attribute(boost::json::object& attrs, const std::string& iri, std::string_view text,
                          Instant now) {
  boost::json::object instance{{"type", form::kProperty}, {"value", text}};
  const auto* previous = attrs.if_contains(iri);
  const boost::json::array* instances = previous ? previous->if_array() : nullptr;
  if (instances != nullptr && !instances->empty() && instances->front().is_object()) {
    mutation::stamp_replacing_instance(instance, instances->front().as_object(), now);
  } else {
    mutation::stamp_new_instance(instance, now);
  }
  attrs[iri] = boost::json::array{std::move(instance)};
}

boost::json::object property(boost::json::value value) {
  if (value.is_null()) value = "";
  return boost::json::object{{"type", form::kProperty}, {"value", std::move(value)}};
}

}  // namespace

// A device's entity that carries command attributes.
struct CommandDispatcher::Target {
  struct Command {
    std::string name;
    std::string iri;                               // the attribute's expanded name
    std::shared_ptr<const Expression> expression;  // null: the value is sent as it is
    CommandMqtt mqtt;
  };
  CommandDevice device;
  std::string entity_type;
  std::vector<Command> commands;
};

CommandDispatcher::CommandDispatcher(DeviceRegistry& registry, core::EntityService& entities,
                                     std::shared_ptr<const jsonld::TermMapper> terms,
                                     const Clock& clock, MetricsRegistry* metrics,
                                     CommandOptions options)
    : registry_(registry),
      entities_(entities),
      terms_(std::move(terms)),
      clock_(clock),
      metrics_(metrics),
      options_(options) {
  if (metrics_ != nullptr) {
    metrics_->describe("citytwin_ingest_commands_total", "counter",
                       "Device commands by transport and outcome (docs/ingest.md, Commands)");
    metrics_->describe("citytwin_ingest_command_results_total", "counter",
                       "Command results from devices by transport and outcome");
  }
}

CommandDispatcher::~CommandDispatcher() {
  stop();
}

void CommandDispatcher::count(std::string_view metric, std::string_view transport,
                              std::string_view outcome) {
  if (metrics_ == nullptr) return;
  metrics_->add_counter(std::string(metric), Labels{{"transport", std::string(transport)},
                                                    {"outcome", std::string(outcome)}});
}

void CommandDispatcher::add_transport(std::string name, CommandTransport& transport) {
  std::lock_guard lock(mutex_);
  transports_[std::move(name)] = &transport;
}

void CommandDispatcher::refresh_targets_locked() {
  std::uint64_t version = registry_.version();
  if (targets_ && version == targets_version_) return;
  auto built = std::make_shared<std::map<std::string, Target>>();
  for (const auto& [device, group] : registry_.devices_with_groups()) {
    const ServiceGroup* shared = group ? &*group : nullptr;
    auto commands = commands_of(device, shared);
    if (commands.empty()) continue;
    ServiceGroup none;
    DeviceMapping mapping(shared ? *shared : none, device);
    Target target;
    target.device.scope = device.scope;
    target.device.device_id = device.device_id;
    target.device.apikey = !device.apikey.empty() ? device.apikey : shared ? shared->apikey : "";
    target.device.transport = device.transport;
    target.device.endpoint = !device.mapping.endpoint.empty() ? device.mapping.endpoint
                             : shared                         ? shared->mapping.endpoint
                                                              : "";
    target.device.format = format_of(device, shared);
    target.device.entity_id = mapping.entity_id();
    target.entity_type = !device.mapping.entity_type.empty() ? device.mapping.entity_type
                         : shared && !shared->mapping.entity_type.empty()
                             ? shared->mapping.entity_type
                             : "Thing";
    for (const AttributeMapping* command : commands) {
      target.commands.push_back(Target::Command{command->name, terms_->expand(command->name),
                                                command->compiled_expression,
                                                command->command_mqtt.value_or(CommandMqtt{})});
    }
    (*built)[entity_key(device.scope.tenant, target.device.entity_id)] = std::move(target);
  }
  targets_ = std::move(built);
  targets_version_ = version;
}

std::shared_ptr<const std::map<std::string, CommandDispatcher::Target>>
CommandDispatcher::targets() {
  std::lock_guard lock(targets_mutex_);
  refresh_targets_locked();
  return targets_;
}

Status CommandDispatcher::sync_entities() {
  Status first_error = ok_status();
  auto all = targets();
  for (const auto& [key, target] : *all) {
    std::string signature;
    for (const auto& command : target.commands) signature += command.name + "\x1f";
    {
      std::lock_guard lock(mutex_);
      if (synced_[key] == signature) continue;
    }
    if (auto status = give_command_attributes(target); !status.ok()) {
      if (first_error.ok()) first_error = std::move(status);
      continue;  // the other devices still get theirs
    }
    std::lock_guard lock(mutex_);
    synced_[key] = signature;
  }
  return first_error;
}

Status CommandDispatcher::give_command_attributes(const Target& target) {
  const std::string& tenant = target.device.scope.tenant;
  const std::string& id = target.device.entity_id;
  // Normalized attributes, parsed as the NGSI-LD API would (names expanded).
  boost::json::object fragment;
  for (const auto& command : target.commands) {
    const std::string& name = command.name;
    fragment[name] = property("");
    fragment[name + std::string(kStatusSuffix)] = property(boost::json::string(kCommandUnknown));
    fragment[name + std::string(kInfoSuffix)] = property("");
  }
  auto attrs = model::parse_attributes(fragment, *terms_, {});
  if (!attrs) return std::move(attrs).error();
  // At start-up most entities have them already: no write then.
  if (auto current = entities_.get(tenant, id); current.ok()) {
    const auto* present = current->if_contains(form::kAttrs);
    if (present != nullptr && present->is_object() &&
        std::all_of(attrs->begin(), attrs->end(),
                    [&](const auto& attr) { return present->as_object().contains(attr.key()); })) {
      return ok_status();
    }
  }
  auto appended = entities_.append_attributes(tenant, id, *attrs, true);
  if (appended.ok()) return ok_status();
  if (appended.error().kind != ErrorKind::kResourceNotFound &&
      appended.error().kind != ErrorKind::kNonexistentTenant) {
    return std::move(appended).error();
  }
  boost::json::object entity = fragment;
  entity["id"] = id;
  entity["type"] = target.entity_type;
  if (target.device.scope.servicepath != "/") entity["scope"] = target.device.scope.servicepath;
  auto stored = model::parse_entity(entity, *terms_, {});
  if (!stored) return std::move(stored).error();
  auto created = entities_.create(tenant, std::move(*stored));
  if (!created.ok() && created.error().kind != ErrorKind::kAlreadyExists) return created;
  return ok_status();
}

Result<core::WriteAmendment> CommandDispatcher::amend(std::string_view tenant,
                                                      const boost::json::object* before,
                                                      boost::json::object& entity, Instant now) {
  core::WriteAmendment amendment;
  if (before == nullptr) return amendment;  // a new entity has no command attribute to change
  const auto* id = entity.if_contains(form::kId);
  auto* attrs = entity.if_contains(form::kAttrs);
  const auto* old_attrs = before->if_contains(form::kAttrs);
  if (id == nullptr || !id->is_string() || attrs == nullptr || !attrs->is_object() ||
      old_attrs == nullptr || !old_attrs->is_object()) {
    return amendment;
  }
  auto all = targets();
  auto found = all->find(entity_key(tenant, id->as_string()));
  if (found == all->end()) return amendment;
  const Target& target = found->second;
  std::vector<DeviceCommand> commands;
  for (const auto& [name, iri, expression, mqtt] : target.commands) {
    const auto* now_value = attrs->as_object().if_contains(iri);
    const auto* old_value = old_attrs->as_object().if_contains(iri);
    // Only a change of an existing command attribute is a command (its creation with the
    // device, and writes of other attributes, are not). A PATCH with the same value is one
    // too: it changes the instance's modifiedAt.
    if (now_value == nullptr || old_value == nullptr || *now_value == *old_value) continue;
    DeviceCommand command;
    command.device = target.device;
    command.name = name;
    command.value = command_value(*now_value);
    if (expression) {
      auto sent = transform(*expression, name, command.value, target.device, target.entity_type);
      if (!sent) {
        // Nothing to send: the failure is reported in the same write as the command.
        set_status_attribute(attrs->as_object(), terms_->expand(name + std::string(kStatusSuffix)),
                             kCommandError, now);
        set_status_attribute(attrs->as_object(), terms_->expand(name + std::string(kInfoSuffix)),
                             "expression " + expression->text() + ": " + sent.error().detail, now);
        continue;
      }
      command.value = std::move(*sent);
    }
    command.mqtt = mqtt;
    command.status = std::string(kCommandPending);
    command.issued_at = now;
    command.expires_at = Instant{now.micros + options_.expiry_s * 1'000'000};
    set_status_attribute(attrs->as_object(), terms_->expand(name + std::string(kStatusSuffix)),
                         kCommandPending, now);
    amendment.documents.push_back(
        store::DocumentWrite{std::string(kCommandNamespace),
                             command_key(command.device.scope, command.device.device_id, name),
                             boost::json::serialize(command_to_json(command))});
    commands.push_back(std::move(command));
  }
  if (commands.empty()) return amendment;
  amendment.after = [this, commands = std::move(commands)](bool durable) {
    if (!durable) return;  // the update was lost: so is its command
    std::lock_guard lock(mutex_);
    for (const auto& command : commands) {
      std::string key = command_key(command.device.scope, command.device.device_id, command.name);
      queued_[key] = Queued{command, false};
      to_send_.push_back(std::move(key));
    }
    wake_.notify_all();
  };
  return amendment;
}

CommandTransport* CommandDispatcher::transport_for(const CommandDevice& device) const {
  auto find = [this](std::string_view name) -> CommandTransport* {
    auto it = transports_.find(std::string(name));
    return it == transports_.end() ? nullptr : it->second;
  };
  if (!device.endpoint.empty() && (device.transport.empty() || device.transport == "HTTP")) {
    return find("HTTP");
  }
  if (device.transport.empty()) return find("MQTT");  // the IoT Agent's default transport
  if (device.transport == "HTTP") return nullptr;     // no endpoint: the device polls
  return find(device.transport);
}

Result<std::vector<std::string>> CommandDispatcher::restore() {
  auto documents = entities_.store().list_documents(kCommandNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<std::string> problems;
  std::lock_guard lock(mutex_);
  for (const auto& [key, text] : *documents) {
    boost::system::error_code ec;
    auto json = citytwin::parse_json(text, ec);
    auto command = !ec && json.is_object()
                       ? command_from_json(json.as_object())
                       : Result<DeviceCommand>(make_error(ErrorKind::kBadRequestData, "not JSON"));
    if (!command) {
      problems.push_back("queued command " + key + ": " + command.error().detail);
      continue;
    }
    queued_[key] = Queued{std::move(*command), false};
  }
  return problems;
}

void CommandDispatcher::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  // Restored commands: sent again now, unless their transport waits for the device.
  for (const auto& [key, queued] : queued_) {
    if (queued.command.status != kCommandPending) continue;
    CommandTransport* transport = transport_for(queued.command.device);
    if (transport != nullptr && !transport->resend_on_reconnect()) to_send_.push_back(key);
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CommandDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CommandDispatcher::run() {
  std::unique_lock lock(mutex_);
  auto next_check = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (!to_send_.empty()) {
      std::string key = std::move(to_send_.front());
      to_send_.pop_front();
      lock.unlock();
      deliver(key);
      lock.lock();
      continue;
    }
    if (!to_forget_.empty()) {
      std::vector<std::string> keys(to_forget_.begin(), to_forget_.end());
      to_forget_.clear();
      lock.unlock();
      if (auto status = entities_.store().delete_documents(kCommandNamespace, keys); !status.ok()) {
        spdlog::warn("commands: cannot remove finished commands: {}", status.error().detail);
      }
      lock.lock();
      continue;
    }
    if (std::chrono::steady_clock::now() >= next_check) {
      lock.unlock();
      expire();
      lock.lock();
      next_check = std::chrono::steady_clock::now() + options_.check_interval;
      continue;
    }
    wake_.wait_until(lock, next_check);
  }
}

void CommandDispatcher::deliver(const std::string& key) {
  DeviceCommand command;
  CommandTransport* transport = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = queued_.find(key);
    if (it == queued_.end() || it->second.command.status != kCommandPending) return;
    command = it->second.command;
    transport = transport_for(command.device);
  }
  std::string transport_name = command.device.transport.empty() ? "MQTT" : command.device.transport;
  if (!command.device.endpoint.empty()) transport_name = "HTTP";
  if (transport == nullptr) {
    count("citytwin_ingest_commands_total", transport_name, "queued_for_polling");
    return;  // waits for the device to poll
  }
  auto sent = transport->send(command);
  if (!sent) {
    spdlog::warn("command {} to device '{}' failed: {}", command.name, command.device.device_id,
                 sent.error().detail);
    count("citytwin_ingest_commands_total", transport_name, "failed");
    boost::json::value info(sent.error().detail);
    finish(key, command, kCommandError, &info);
    return;
  }
  if (*sent) {
    count("citytwin_ingest_commands_total", transport_name, "answered");
    finish(key, command, kCommandOk, &**sent);
    return;
  }
  count("citytwin_ingest_commands_total", transport_name, "sent");
  std::lock_guard lock(mutex_);
  auto it = queued_.find(key);
  if (it != queued_.end() && it->second.command.issued_at == command.issued_at) {
    it->second.handed_over = true;
  }
}

Status CommandDispatcher::write_status(const CommandDevice& device, std::string_view name,
                                       std::string_view status, const boost::json::value* info) {
  boost::json::object fragment;
  fragment[std::string(name) + std::string(kStatusSuffix)] = property(boost::json::string(status));
  if (info != nullptr) fragment[std::string(name) + std::string(kInfoSuffix)] = property(*info);
  auto attrs = model::parse_attributes(fragment, *terms_, {});
  if (!attrs) return std::move(attrs).error();
  auto written = entities_.append_attributes(device.scope.tenant, device.entity_id, *attrs, false);
  if (!written) return std::move(written).error();
  return ok_status();
}

void CommandDispatcher::finish(const std::string& key, const DeviceCommand& command,
                               std::string_view status, const boost::json::value* info) {
  {
    std::lock_guard lock(mutex_);
    auto it = queued_.find(key);
    // A newer command of the same name replaced this one: it is not over.
    if (it == queued_.end() || it->second.command.issued_at != command.issued_at) return;
    queued_.erase(it);
    to_forget_.push_back(key);
    wake_.notify_all();
  }
  if (auto written = write_status(command.device, command.name, status, info); !written.ok()) {
    spdlog::warn("command {} of device '{}': cannot write its status {}: {}", command.name,
                 command.device.device_id, status, written.error().detail);
  }
}

std::size_t CommandDispatcher::expire() {
  Instant now = clock_.now();
  std::vector<std::pair<std::string, DeviceCommand>> expired;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, queued] : queued_) {
      if (queued.command.expires_at <= now) expired.emplace_back(key, queued.command);
    }
  }
  for (const auto& [key, command] : expired) {
    count("citytwin_ingest_commands_total",
          command.device.transport.empty() ? "MQTT" : command.device.transport, "expired");
    finish(key, command, kCommandExpired, nullptr);
  }
  return expired.size();
}

std::size_t CommandDispatcher::pending() const {
  std::lock_guard lock(mutex_);
  return queued_.size();
}

void CommandDispatcher::redeliver(const std::function<bool(const CommandDevice&)>& matches) {
  std::lock_guard lock(mutex_);
  for (auto& [key, queued] : queued_) {
    if (queued.handed_over || queued.command.status != kCommandPending) continue;
    CommandTransport* transport = transport_for(queued.command.device);
    if (transport == nullptr || !transport->resend_on_reconnect()) continue;
    if (!matches(queued.command.device)) continue;
    queued.handed_over = true;  // once per process: later the broker's session keeps it
    to_send_.push_back(key);
  }
  wake_.notify_all();
}

Result<CommandDevice> CommandDispatcher::resolve_device(
    std::string_view apikey, std::string_view device_id, std::string_view resource,
    const std::function<Status(std::string_view)>& authorize, std::vector<std::string>* names) {
  if (!is_valid_apikey(apikey) || !is_valid_device_id(device_id)) {
    return make_error(ErrorKind::kBadRequestData,
                      "the apikey or device id is missing or malformed");
  }
  auto group = registry_.find_group(apikey, resource);
  if (!group) return std::move(group).error();
  if (authorize) CT_RETURN_IF_ERROR(authorize(group->scope.tenant));
  auto device = registry_.device(group->scope, device_id);
  if (!device) return std::move(device).error();
  auto all = targets();
  DeviceMapping mapping(*group, *device);
  auto found = all->find(entity_key(group->scope.tenant, mapping.entity_id()));
  if (found == all->end() || found->second.device.device_id != device_id) {
    CommandDevice without_commands;  // nothing to poll; every result is refused
    without_commands.scope = group->scope;
    without_commands.device_id = std::string(device_id);
    return without_commands;
  }
  if (names != nullptr) {
    for (const auto& command : found->second.commands) names->push_back(command.name);
  }
  return found->second.device;
}

Result<std::vector<DeviceCommand>> CommandDispatcher::poll(
    std::string_view apikey, std::string_view device_id, std::string_view resource,
    const std::function<Status(std::string_view)>& authorize) {
  auto device = resolve_device(apikey, device_id, resource, authorize, nullptr);
  if (!device) return std::move(device).error();
  std::string prefix = device_prefix(device->scope, device->device_id);
  std::vector<std::pair<std::string, DeviceCommand>> fetched;
  {
    std::lock_guard lock(mutex_);
    for (auto it = queued_.lower_bound(prefix); it != queued_.end(); ++it) {
      if (!it->first.starts_with(prefix)) break;
      DeviceCommand& command = it->second.command;
      if (command.status != kCommandPending) continue;
      command.status = std::string(kCommandDelivered);
      fetched.emplace_back(it->first, command);
    }
  }
  std::vector<DeviceCommand> out;
  for (auto& [key, command] : fetched) {
    CT_RETURN_IF_ERROR(entities_.store().put_document(
        kCommandNamespace, key, boost::json::serialize(command_to_json(command))));
    if (auto written = write_status(command.device, command.name, kCommandDelivered, nullptr);
        !written.ok()) {
      spdlog::warn("command {} of device '{}': cannot write DELIVERED: {}", command.name,
                   command.device.device_id, written.error().detail);
    }
    count("citytwin_ingest_commands_total", "HTTP", "polled");
    out.push_back(std::move(command));
  }
  if (out.empty()) return out;
  // A GET is answered without the server's write barrier: wait here, so that the device's
  // answer never runs ahead of the DELIVERED it caused.
  std::promise<Status> durable;
  store::EntityStore& store = entities_.store();
  store.when_durable(store.write_mark(), [&durable](Status status) { durable.set_value(status); });
  CT_RETURN_IF_ERROR(durable.get_future().get());
  return out;
}

Status CommandDispatcher::complete(std::string_view transport, std::string_view apikey,
                                   std::string_view device_id, PayloadFormat format,
                                   std::string_view payload,
                                   const std::function<Status(std::string_view)>& authorize) {
  auto results = decode_command_results(payload, format, device_id);
  if (!results) {
    reject_results(transport, apikey, device_id, results.error());
    return std::move(results).error();
  }
  return report_results(transport, apikey, device_id, std::move(*results), authorize);
}

void CommandDispatcher::reject_results(std::string_view transport, std::string_view apikey,
                                       std::string_view device_id, const Error& error) {
  count("citytwin_ingest_command_results_total", transport, "invalid");
  spdlog::warn("command result from device '{}' apikey '{}' over {} rejected: {}", device_id,
               apikey, transport, error.detail);
}

Status CommandDispatcher::report_results(
    std::string_view transport, std::string_view apikey, std::string_view device_id,
    std::vector<std::pair<std::string, boost::json::value>> results,
    const std::function<Status(std::string_view)>& authorize) {
  std::vector<std::string> names;
  auto device = resolve_device(apikey, device_id, "", authorize, &names);
  Status checked = device ? ok_status() : Status(device.error());
  for (const auto& [name, result] : results) {
    if (checked.ok() && std::find(names.begin(), names.end(), name) == names.end()) {
      checked = make_error(ErrorKind::kBadRequestData,
                           name + " is not a command of device " + std::string(device_id));
    }
  }
  if (checked.ok() && results.empty()) {
    checked = make_error(ErrorKind::kBadRequestData, "no command result");
  }
  if (!checked.ok()) {
    reject_results(transport, apikey, device_id, checked.error());
    return checked;
  }
  for (const auto& [name, result] : results) {
    std::string key = command_key(device->scope, device_id, name);
    {
      std::lock_guard lock(mutex_);
      if (queued_.erase(key) > 0) {
        to_forget_.push_back(key);
        wake_.notify_all();
      }
    }
    CT_RETURN_IF_ERROR(write_status(*device, name, kCommandOk, &result));
  }
  count("citytwin_ingest_command_results_total", transport, "accepted");
  return ok_status();
}

void CommandDispatcher::complete(std::string_view transport, std::string_view apikey,
                                 std::string_view device_id, PayloadFormat format,
                                 std::string_view payload,
                                 const std::function<Status(std::string_view)>& authorize,
                                 std::function<void(Status)> done) {
  auto status = complete(transport, apikey, device_id, format, payload, authorize);
  if (!status.ok()) {
    done(std::move(status));
    return;
  }
  store::EntityStore& store = entities_.store();
  store.when_durable(store.write_mark(), std::move(done));
}

}  // namespace citytwin::ingest
