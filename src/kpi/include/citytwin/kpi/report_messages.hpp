#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::kpi {

// The report's own text in one of the six UN languages, from the message catalogues
// data/kpi/report/<lang>.json compiled into the binary. KPI names are not translated: they
// stay as the U4SSC catalogue publishes them.
class Messages {
 public:
  // en, fr, es, ar, ru, zh
  static std::vector<std::string> languages();
  // Fails for an unknown language, or a catalogue that lacks a key English has (so a
  // report is never half translated).
  static Result<Messages> load(std::string_view lang);

  const std::string& lang() const { return lang_; }
  bool right_to_left() const { return lang_ == "ar"; }
  // The text of `key` with each {name} replaced by params[name]; the key itself when absent.
  std::string text(std::string_view key,
                   const std::map<std::string, std::string>& params = {}) const;

 private:
  std::string lang_;
  std::map<std::string, std::string, std::less<>> texts_;
};

}  // namespace citytwin::kpi
