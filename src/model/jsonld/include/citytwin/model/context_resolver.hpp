#pragma once

// Turns the @context a client sent (a URL, an object, or an array of those; JSON-LD 1.1
// processing clause 4.1 steps 5.2-5.3) into an active Context over the NGSI-LD core context
// (GS CIM 009 clause 5.5.7). Remote documents come from the ContextRegistry, else from the
// ContextLoader, and are then stored in the registry as Cached (clause 5.13).
//
// Any reference to an NGSI-LD core context URL (any version, see core_contexts.hpp) means
// "the core context": it is answered locally and the configured core is applied.
// @import (JSON-LD 1.1 syntax clause 4.1.10) is supported: the imported object is merged under
// the importing one. Scoped contexts inside term definitions are not fetched.
//
// Errors: kLdContextNotAvailable (503) when a URL cannot be loaded; kInvalidRequest (400) when
// a document is not JSON or not a valid JSON-LD context, on a cycle, when the nesting is
// deeper than max_depth or needs more than max_remote_loads downloads.
//
// Thread-safe. The resolved-context cache is keyed by the canonical JSON of the input and is
// dropped whenever the registry reports a removed or refreshed document.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/json/value.hpp>

#include "citytwin/common/result.hpp"
#include "citytwin/model/context.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/core_contexts.hpp"

namespace citytwin::jsonld {

template <class Value>
class LruCache;

struct ContextResolverOptions {
  // The core context applied under every user context. Default: v1.8 (GS CIM 009 V1.8.1).
  std::string core_context_url = std::string(kDefaultCoreContextUrl);
  // Deepest chain of documents referring to documents. Default 8.
  int max_depth = 8;
  // Most downloads one resolve() may start (registry hits are free). Default 16.
  int max_remote_loads = 16;
  // Resolved contexts kept, least recently used dropped first. Default 1000.
  std::size_t cache_capacity = 1000;
};

class ContextResolver {
 public:
  // `registry` and `loader` must outlive the resolver. Errors: kInternalError if the
  // configured core context is not embedded or does not parse.
  static Result<std::unique_ptr<ContextResolver>> create(ContextRegistry& registry,
                                                         ContextLoader& loader,
                                                         ContextResolverOptions options = {});
  ~ContextResolver();

  // The active context for `context`. Null (or an absent @context) gives the core context.
  Result<std::shared_ptr<const Context>> resolve(const boost::json::value& context);

  // True when resolve(context) would be answered from memory, without reading documents or
  // downloading anything.
  bool is_cached(const boost::json::value& context);

  // The core context alone.
  const std::shared_ptr<const Context>& core() const { return core_; }

 private:
  ContextResolver(ContextRegistry& registry, ContextLoader& loader, ContextResolverOptions options,
                  std::shared_ptr<const Context> core);
  std::shared_ptr<const Context> cached(const std::string& key);
  void remember(const std::string& key, const std::shared_ptr<const Context>& context,
                std::uint64_t generation);

  ContextRegistry& registry_;
  ContextLoader& loader_;
  ContextResolverOptions options_;
  std::shared_ptr<const Context> core_;
  std::mutex mutex_;
  std::unique_ptr<LruCache<std::shared_ptr<const Context>>> cache_;  // guarded by mutex_
  std::uint64_t cache_generation_ = 0;                               // guarded by mutex_
};

}  // namespace citytwin::jsonld
