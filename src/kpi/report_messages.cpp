#include "citytwin/kpi/report_messages.hpp"

#include <boost/json/parse.hpp>

#include "citytwin/common/json_parse.hpp"
#include "embedded_report_messages.hpp"

namespace citytwin::kpi {
namespace {

Result<std::map<std::string, std::string, std::less<>>> parse_texts(std::string_view lang,
                                                                    std::string_view text) {
  boost::system::error_code ec;
  auto json = citytwin::parse_json(text, ec);
  if (ec || !json.is_object()) {
    return make_error(ErrorKind::kInternalError,
                      "report messages " + std::string(lang) + " are not a JSON object");
  }
  std::map<std::string, std::string, std::less<>> texts;
  for (const auto& [key, value] : json.as_object()) {
    if (!value.is_string()) {
      return make_error(ErrorKind::kInternalError, "report message " + std::string(lang) + "." +
                                                       std::string(key) + " is not a string");
    }
    texts.emplace(std::string(key), std::string(value.as_string()));
  }
  return texts;
}

std::string_view find_text(std::string_view lang) {
  for (const auto& [name, text] : embedded_report_messages()) {
    if (name == lang) return text;
  }
  return {};
}

}  // namespace

std::vector<std::string> Messages::languages() {
  std::vector<std::string> out;
  for (const auto& [name, _] : embedded_report_messages()) out.emplace_back(name);
  return out;
}

Result<Messages> Messages::load(std::string_view lang) {
  std::string_view text = find_text(lang);
  if (text.empty()) {
    std::string known;
    for (const auto& name : languages()) known += (known.empty() ? "" : ", ") + name;
    return make_error(ErrorKind::kBadRequestData,
                      "unknown report language '" + std::string(lang) + "' (one of " + known + ")");
  }
  auto texts = parse_texts(lang, text);
  if (!texts) return std::move(texts).error();
  auto english = parse_texts("en", find_text("en"));
  if (!english) return std::move(english).error();
  for (const auto& [key, _] : *english) {
    if (!texts->count(key)) {
      return make_error(ErrorKind::kInternalError,
                        "report messages " + std::string(lang) + " lack the key " + key);
    }
  }
  Messages messages;
  messages.lang_ = std::string(lang);
  messages.texts_ = std::move(*texts);
  return messages;
}

std::string Messages::text(std::string_view key,
                           const std::map<std::string, std::string>& params) const {
  auto it = texts_.find(key);
  if (it == texts_.end()) return std::string(key);
  const std::string& pattern = it->second;
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      std::size_t close = pattern.find('}', i);
      if (close != std::string::npos) {
        auto param = params.find(pattern.substr(i + 1, close - i - 1));
        if (param != params.end()) {
          out += param->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += pattern[i++];
  }
  return out;
}

}  // namespace citytwin::kpi
