#pragma once

// The NGSI-LD core @context files, compiled into the binary (GS CIM 009 clause 5.5.7 and
// Annex B). Every reference to one of their official URLs is answered from this table and
// never over the network, so a broker without Internet access still knows the core terms.

#include <span>
#include <string_view>

namespace citytwin::jsonld {

struct CoreContextFile {
  std::string_view version;   // "1.8"
  std::string_view url;       // official ETSI URL
  std::string_view document;  // the JSON text: {"@context": {...}}
};

// The core context CityTwin applies to every request unless configured otherwise (V1.8.1).
inline constexpr std::string_view kDefaultCoreContextUrl =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

// The unversioned URL of the v1.0 core context, still used by older clients and test suites.
inline constexpr std::string_view kUnversionedCoreContextUrl =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";

// All embedded core contexts, one row per URL (v1.0 appears twice: versioned and unversioned).
std::span<const CoreContextFile> core_context_files();

// The embedded core context published under `url`, or nullptr when `url` is not a core URL.
const CoreContextFile* find_core_context(std::string_view url);

}  // namespace citytwin::jsonld
