#include "mqtt_sessions.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <map>
#include <optional>

#include "citytwin/common/json_parse.hpp"
#include "citytwin/common/json_text.hpp"

namespace citytwin::server {
namespace {

constexpr std::string_view kNamespace = "mqtt.sessions";

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return out;
}

constexpr std::string_view kMessages = "mqtt.messages";

// client id, NUL, the sequence as 16 hex digits: a client's messages sort in sequence
// order, and MQTT client ids cannot contain NUL ([MQTT-1.5.4-2]).
std::string message_key(std::string_view client_id, std::uint64_t sequence) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string key(client_id);
  key.push_back('\0');
  for (int shift = 60; shift >= 0; shift -= 4) key.push_back(kDigits[(sequence >> shift) & 0xF]);
  return key;
}

std::optional<std::pair<std::string, std::uint64_t>> parse_message_key(std::string_view key) {
  constexpr std::size_t kDigitsCount = 16;
  if (key.size() < kDigitsCount + 1 || key[key.size() - kDigitsCount - 1] != '\0') {
    return std::nullopt;
  }
  auto digits = from_hex(key.substr(key.size() - kDigitsCount));
  if (!digits) return std::nullopt;
  std::uint64_t sequence = 0;
  for (unsigned char byte : *digits) sequence = sequence << 8 | byte;
  return std::make_pair(std::string(key.substr(0, key.size() - kDigitsCount - 1)), sequence);
}

boost::json::object encode_message(const mqtt::SavedSession::QueuedMessage& m) {
  return boost::json::object{
      {"topic", m.topic}, {"payload", to_hex(m.payload)}, {"qos", m.qos}, {"retain", m.retain}};
}

// Throws (Boost.JSON accessors) on a wrong shape; nullopt for a payload that is not hex.
std::optional<mqtt::SavedSession::QueuedMessage> decode_message(const boost::json::object& m) {
  auto payload = from_hex(m.at("payload").as_string());
  if (!payload) return std::nullopt;
  return mqtt::SavedSession::QueuedMessage{
      std::string(m.at("topic").as_string()), std::move(*payload),
      boost::json::value_to<std::uint8_t>(m.at("qos")), m.at("retain").as_bool(), 0};
}

// The session's record; "messages" stays (empty) for versions that read it from there.
std::string encode(const mqtt::SavedSession& session) {
  boost::json::array subscriptions;
  for (const auto& s : session.subscriptions) {
    subscriptions.push_back(boost::json::object{{"filter", s.filter},
                                                {"qos", s.qos},
                                                {"noLocal", s.no_local},
                                                {"retainAsPublished", s.retain_as_published}});
  }
  return to_json_text(boost::json::object{{"clientId", session.client_id},
                                          {"expiry", session.expiry_s},
                                          {"subscriptions", std::move(subscriptions)},
                                          {"messages", boost::json::array()}});
}

// nullopt for a document that is not a saved session (skipped with a warning, so one bad
// record does not keep the broker from starting). Messages in the record itself were saved
// by a version without the journal (at a clean stop); they have no sequence.
std::optional<mqtt::SavedSession> decode(std::string_view text) {
  boost::system::error_code ec;
  auto value = citytwin::parse_json(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& doc = value.as_object();
  mqtt::SavedSession out;
  try {
    out.client_id = std::string(doc.at("clientId").as_string());
    out.expiry_s = boost::json::value_to<std::uint32_t>(doc.at("expiry"));
    for (const auto& item : doc.at("subscriptions").as_array()) {
      const auto& s = item.as_object();
      out.subscriptions.push_back({std::string(s.at("filter").as_string()),
                                   boost::json::value_to<std::uint8_t>(s.at("qos")),
                                   s.at("noLocal").as_bool(), s.at("retainAsPublished").as_bool()});
    }
    if (const auto* messages = doc.if_contains("messages")) {
      for (const auto& item : messages->as_array()) {
        auto message = decode_message(item.as_object());
        if (!message) return std::nullopt;
        out.messages.push_back(std::move(*message));
      }
    }
  } catch (const std::exception&) {  // Boost.JSON's accessors throw on a wrong shape
    return std::nullopt;
  }
  return out;
}

std::optional<mqtt::SavedSession::QueuedMessage> decode_message_text(std::string_view text) {
  boost::system::error_code ec;
  auto value = citytwin::parse_json(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  try {
    return decode_message(value.as_object());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Result<std::vector<mqtt::SavedSession>> StoreSessionPersistence::load() {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  auto messages = store_.list_documents(kMessages);
  if (!messages) return std::move(messages).error();
  std::map<std::string, mqtt::SavedSession> sessions;
  for (const auto& [key, text] : *documents) {
    if (auto session = decode(text)) {
      sessions.emplace(session->client_id, std::move(*session));
    } else {
      spdlog::warn("MQTT: skipping unreadable saved session '{}'", key);
    }
  }
  std::lock_guard lock(mutex_);
  for (const auto& [key, text] : *messages) {
    auto name = parse_message_key(key);
    auto message = decode_message_text(text);
    auto session = name ? sessions.find(name->first) : sessions.end();
    if (session == sessions.end() || !message) {
      // A message of a session that ended before its erase was written, or unreadable.
      journal_.erase(std::string(kMessages), key, true);
      continue;
    }
    message->sequence = name->second;
    messages_[name->first].insert(name->second);
    session->second.messages.push_back(std::move(*message));  // keys sort by sequence
  }
  std::vector<mqtt::SavedSession> out;
  for (auto& [client_id, session] : sessions) out.push_back(std::move(session));
  return out;
}

std::uint64_t StoreSessionPersistence::put_session(const mqtt::SavedSession& session) {
  return journal_.put(std::string(kNamespace), session.client_id, encode(session));
}

std::uint64_t StoreSessionPersistence::erase_session(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  if (auto it = messages_.find(client_id); it != messages_.end()) {
    for (std::uint64_t sequence : it->second) {
      journal_.erase(std::string(kMessages), message_key(client_id, sequence));
    }
    messages_.erase(it);
  }
  return journal_.erase(std::string(kNamespace), client_id);
}

std::uint64_t StoreSessionPersistence::put_message(
    const std::string& client_id, const mqtt::SavedSession::QueuedMessage& message) {
  std::string text = to_json_text(encode_message(message));
  std::lock_guard lock(mutex_);
  messages_[client_id].insert(message.sequence);
  return journal_.put(std::string(kMessages), message_key(client_id, message.sequence),
                      std::move(text));
}

void StoreSessionPersistence::erase_message(const std::string& client_id, std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  auto it = messages_.find(client_id);
  if (it == messages_.end() || it->second.erase(sequence) == 0) return;
  if (it->second.empty()) messages_.erase(it);
  journal_.erase(std::string(kMessages), message_key(client_id, sequence), true);
}

void StoreSessionPersistence::when_durable(std::uint64_t mark, std::function<void(Status)> done) {
  journal_.when_durable(mark, std::move(done));
}

Status StoreSessionPersistence::flush() {
  return journal_.flush();
}

}  // namespace citytwin::server
