#pragma once

#include <string>
#include <string_view>

#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::ingest {

// The NGSI-LD core context as far as ingestion tests need it: "location" is a core term,
// every other name lands in the default vocabulary.
class CoreTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    if (term.find(':') != std::string_view::npos) return std::string(term);
    if (term == "location") return std::string(model::form::kLocationIri);
    return std::string(model::form::kDefaultVocab) + std::string(term);
  }
  std::string compact(std::string_view iri) const override {
    if (iri == model::form::kLocationIri) return "location";
    if (iri.starts_with(model::form::kDefaultVocab)) {
      return std::string(iri.substr(model::form::kDefaultVocab.size()));
    }
    return std::string(iri);
  }
};

inline std::string vocab(std::string_view name) {
  return std::string(model::form::kDefaultVocab) + std::string(name);
}

// An UltraLight measure of `device` to the group of `apikey` on /iot/d, by a test transport.
inline Measurement ultralight_measure(std::string device, std::string payload, std::string apikey) {
  Measurement m;
  m.transport = "test";
  m.apikey = std::move(apikey);
  m.device_id = std::move(device);
  m.resource = "/iot/d";
  m.format = PayloadFormat::kUltraLight;
  m.payload = std::move(payload);
  return m;
}

}  // namespace citytwin::ingest
