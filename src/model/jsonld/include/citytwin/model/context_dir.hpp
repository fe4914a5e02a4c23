#pragma once

// Offline pre-seeding of the @context cache: registers local copies of remote @context files
// as Cached entries so those URLs never need the network (see
// /work/shared/reference/ngsi-ld/README.md "Offline use").
//
// The directory holds either
//   manifest.json: [{"url": "https://...", "file": "relative/path.jsonld"}, ...]
// or, if there is no manifest.json,
//   manifest.txt:  one "URL FILE" pair per line; blank lines and lines starting with '#'
//                  are skipped.
// FILE paths are relative to the directory.

#include <filesystem>

#include "citytwin/common/result.hpp"
#include "citytwin/model/context_registry.hpp"

namespace citytwin::jsonld {

// Registers every manifest entry in `registry`. Stops at the first problem; the error
// (kInvalidRequest, or the registry's) names the manifest line or entry and the file.
Status load_context_dir(ContextRegistry& registry, const std::filesystem::path& dir);

}  // namespace citytwin::jsonld
