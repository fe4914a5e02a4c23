#include "citytwin/model/core_contexts.hpp"

#include <array>

namespace citytwin::jsonld {
namespace embedded {
// Defined in the generated embedded_core_contexts.cpp.
extern const std::string_view kCoreContextV1_0;
extern const std::string_view kCoreContextV1_3;
extern const std::string_view kCoreContextV1_4;
extern const std::string_view kCoreContextV1_6;
extern const std::string_view kCoreContextV1_8;
extern const std::string_view kCoreContextV1_9;
}  // namespace embedded

namespace {

#define CT_CORE_URL(v) "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v" v ".jsonld"

// Constant data built once on first use; the views point at the generated string literals.
const std::array<CoreContextFile, 7>& table() {
  static const std::array<CoreContextFile, 7> files = {{
      {"1.0", CT_CORE_URL("1.0"), embedded::kCoreContextV1_0},
      {"1.0", kUnversionedCoreContextUrl, embedded::kCoreContextV1_0},
      {"1.3", CT_CORE_URL("1.3"), embedded::kCoreContextV1_3},
      {"1.4", CT_CORE_URL("1.4"), embedded::kCoreContextV1_4},
      {"1.6", CT_CORE_URL("1.6"), embedded::kCoreContextV1_6},
      {"1.8", CT_CORE_URL("1.8"), embedded::kCoreContextV1_8},
      {"1.9", CT_CORE_URL("1.9"), embedded::kCoreContextV1_9},
  }};
  return files;
}

#undef CT_CORE_URL

}  // namespace

std::span<const CoreContextFile> core_context_files() {
  return table();
}

const CoreContextFile* find_core_context(std::string_view url) {
  for (const CoreContextFile& file : table()) {
    if (file.url == url) return &file;
  }
  return nullptr;
}

}  // namespace citytwin::jsonld
