#include "citytwin/http/request.hpp"

#include <algorithm>
#include <cctype>

#include "citytwin/common/base64.hpp"
#include "citytwin/http/router.hpp"

namespace citytwin::http {

// Deliberately lenient: NGSI-LD clients commonly send q expressions with raw '<', '>', '"' or
// spaces that a strict RFC 3986 parser rejects. Values are percent-decoded and '+' means a
// space (HTML form encoding, used by most HTTP libraries) except in scopeQ, where a raw '+' is
// the single-level wildcard of clause 4.19 (send %2B or %20 there to be unambiguous).
bool parse_request_target(std::string_view target, Request& request) {
  if (target.empty() || target.front() != '/') return false;
  target = target.substr(0, target.find('#'));
  std::size_t question = target.find('?');
  request.raw_target = std::string(target);
  request.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return true;
  std::string_view query = target.substr(question + 1);
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    std::size_t equals = pair.find('=');
    std::string key, value;
    if (!percent_decode(pair.substr(0, equals), key)) return false;
    if (equals != std::string_view::npos && !percent_decode(pair.substr(equals + 1), value)) {
      return false;
    }
    if (key != "scopeQ") {
      std::string raw(pair.substr(equals == std::string_view::npos ? pair.size() : equals + 1));
      std::replace(raw.begin(), raw.end(), '+', ' ');
      if (!percent_decode(raw, value)) return false;
    }
    request.query.emplace(std::move(key), std::move(value));
  }
  return true;
}

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string_view> Request::params(std::string_view name) const {
  std::vector<std::string_view> values;
  auto [begin, end] = query.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::string_view Request::path_param(std::string_view name) const {
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? std::string_view{} : std::string_view(it->second);
}

namespace {

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> presented_credential(const Request& request) {
  if (auto authorization = request.header("authorization")) {
    std::string_view value = trim_spaces(*authorization);
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() > kScheme.size() && starts_with_ignoring_case(value, kScheme)) {
      return trim_spaces(value.substr(kScheme.size()));
    }
  }
  if (auto api_key = request.header("x-api-key")) return trim_spaces(*api_key);
  return std::nullopt;
}

std::optional<std::string> basic_credentials(const Request& request) {
  auto authorization = request.header("authorization");
  if (!authorization) return std::nullopt;
  std::string_view value = trim_spaces(*authorization);
  constexpr std::string_view kScheme = "basic ";
  if (value.size() <= kScheme.size() || !starts_with_ignoring_case(value, kScheme)) {
    return std::nullopt;
  }
  auto decoded = base64_decode(trim_spaces(value.substr(kScheme.size())));
  if (!decoded || decoded->find(':') == std::string::npos) return std::string();
  return decoded;
}

std::optional<std::string_view> request_cookie(const Request& request, std::string_view name) {
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto end = rest.find(';');
      std::string_view pair = trim_spaces(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
        return pair.substr(equals + 1);
      }
    }
  }
  return std::nullopt;
}

}  // namespace citytwin::http
