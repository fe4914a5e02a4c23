#include "mqtt_sessions.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

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

std::string encode(const mqtt::SavedSession& session) {
  boost::json::array subscriptions;
  for (const auto& s : session.subscriptions) {
    subscriptions.push_back(boost::json::object{{"filter", s.filter},
                                                {"qos", s.qos},
                                                {"noLocal", s.no_local},
                                                {"retainAsPublished", s.retain_as_published}});
  }
  boost::json::array messages;
  for (const auto& m : session.messages) {
    messages.push_back(boost::json::object{
        {"topic", m.topic}, {"payload", to_hex(m.payload)}, {"qos", m.qos}, {"retain", m.retain}});
  }
  return to_json_text(boost::json::object{{"clientId", session.client_id},
                                          {"expiry", session.expiry_s},
                                          {"subscriptions", std::move(subscriptions)},
                                          {"messages", std::move(messages)}});
}

// nullopt for a document that is not a saved session (skipped with a warning, so one bad
// record does not keep the broker from starting).
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
    for (const auto& item : doc.at("messages").as_array()) {
      const auto& m = item.as_object();
      auto payload = from_hex(m.at("payload").as_string());
      if (!payload) return std::nullopt;
      out.messages.push_back({std::string(m.at("topic").as_string()), std::move(*payload),
                              boost::json::value_to<std::uint8_t>(m.at("qos")),
                              m.at("retain").as_bool()});
    }
  } catch (const std::exception&) {  // Boost.JSON's accessors throw on a wrong shape
    return std::nullopt;
  }
  return out;
}

}  // namespace

Result<std::vector<mqtt::SavedSession>> StoreSessionPersistence::load() {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<mqtt::SavedSession> out;
  for (const auto& [key, text] : *documents) {
    if (auto session = decode(text)) {
      out.push_back(std::move(*session));
    } else {
      spdlog::warn("MQTT: skipping unreadable saved session '{}'", key);
    }
  }
  return out;
}

Status StoreSessionPersistence::save(const std::vector<mqtt::SavedSession>& sessions) {
  auto documents = store_.list_documents(kNamespace);
  if (!documents) return std::move(documents).error();
  std::vector<std::string> stale;
  for (const auto& [key, text] : *documents) stale.push_back(key);
  CT_RETURN_IF_ERROR(store_.delete_documents(kNamespace, stale));
  for (const auto& session : sessions) {
    CT_RETURN_IF_ERROR(store_.put_document(kNamespace, session.client_id, encode(session)));
  }
  return ok_status();
}

}  // namespace citytwin::server
