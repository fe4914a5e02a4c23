#include "coap_request.hpp"

namespace citytwin::server {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return make_error(ErrorKind::kBadRequestData, "malformed percent-escape in the query");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

Result<CoapQuery> parse_coap_query(std::string_view query) {
  CoapQuery out;
  bool seen[3] = {false, false, false};
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    int index = name == "k" ? 0 : name == "i" ? 1 : name == "key" ? 2 : -1;
    if (index < 0) continue;
    if (seen[index]) {
      return make_error(ErrorKind::kBadRequestData,
                        "query parameter " + std::string(name) + " given twice");
    }
    seen[index] = true;
    auto value = percent_decoded(raw);
    if (!value) return std::move(value).error();
    std::string* target = index == 0 ? &out.apikey : index == 1 ? &out.device_id : &out.api_key;
    *target = std::move(*value);
  }
  return out;
}

Result<ingest::Measurement> coap_measurement(std::string_view path, const CoapQuery& query,
                                             std::string payload) {
  ingest::Measurement measurement;
  if (path == "iot/json") {
    measurement.format = ingest::PayloadFormat::kJson;
    measurement.resource = "/iot/json";
  } else if (path == "iot/d") {
    measurement.format = ingest::PayloadFormat::kUltraLight;
    measurement.resource = "/iot/d";
  } else {
    return make_error(ErrorKind::kBadRequestData, "measures go to /iot/json or /iot/d");
  }
  measurement.transport = "coap";
  measurement.apikey = query.apikey;
  measurement.device_id = query.device_id;
  measurement.payload = std::move(payload);
  return measurement;
}

CoapCode coap_code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kBadRequestData:
      return kCoapBadRequest;
    case ErrorKind::kResourceNotFound:
    case ErrorKind::kNonexistentTenant:
      return 404;
    case ErrorKind::kUnauthorized:
      return kCoapUnauthorized;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kPayloadTooLarge:
      return kCoapRequestEntityTooLarge;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kTooManyRequests:
      return kCoapTooManyRequests;
    case ErrorKind::kServiceUnavailable:
      // Overloaded, or the store could not make the write durable: the device may retry.
      return kCoapServiceUnavailable;
    default:
      return 500;
  }
}

}  // namespace citytwin::server
