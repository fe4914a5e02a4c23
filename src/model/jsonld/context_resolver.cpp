#include "citytwin/model/context_resolver.hpp"

#include <boost/json/parse.hpp>

#include "canonical_json.hpp"
#include "citytwin/common/json_parse.hpp"
#include "context_flattener.hpp"
#include "lru_cache.hpp"

namespace citytwin::jsonld {
namespace {

Result<std::shared_ptr<const Context>> build_core(std::string_view url) {
  const CoreContextFile* file = find_core_context(url);
  if (file == nullptr) {
    return make_error(ErrorKind::kInternalError,
                      "no embedded NGSI-LD core context for " + std::string(url));
  }
  boost::system::error_code ec;
  boost::json::value document = citytwin::parse_json(file->document, ec);
  const boost::json::object* object = ec ? nullptr : document.if_object();
  if (object == nullptr || !object->contains("@context")) {
    return make_error(ErrorKind::kInternalError, "embedded core context does not parse");
  }
  const boost::json::value& local = object->at("@context");
  return Context::create(nullptr, std::span(&local, 1), boost::json::value(url));
}

}  // namespace

Result<std::unique_ptr<ContextResolver>> ContextResolver::create(ContextRegistry& registry,
                                                                 ContextLoader& loader,
                                                                 ContextResolverOptions options) {
  auto core = build_core(options.core_context_url);
  if (!core) return std::move(core).error();
  return std::unique_ptr<ContextResolver>(
      new ContextResolver(registry, loader, std::move(options), std::move(*core)));
}

ContextResolver::ContextResolver(ContextRegistry& registry, ContextLoader& loader,
                                 ContextResolverOptions options,
                                 std::shared_ptr<const Context> core)
    : registry_(registry),
      loader_(loader),
      options_(std::move(options)),
      core_(std::move(core)),
      cache_(std::make_unique<LruCache<std::shared_ptr<const Context>>>(options_.cache_capacity)),
      cache_generation_(registry.generation()) {}

ContextResolver::~ContextResolver() = default;

Result<std::shared_ptr<const Context>> ContextResolver::resolve(const boost::json::value& context) {
  if (context.is_null()) return core_;
  // Read before any document is read, so a context built from a document removed meanwhile
  // is not cached (remember() compares).
  std::uint64_t generation = registry_.generation();
  std::string key = canonical_json(context);
  if (auto hit = cached(key)) return hit;
  ContextFlattener flattener(registry_, loader_,
                             FlattenLimits{options_.max_depth, options_.max_remote_loads});
  auto locals = flattener.flatten(context);
  if (!locals) return std::move(locals).error();
  auto active = Context::create(core_, *locals, context);
  if (!active) return active;
  remember(key, *active, generation);
  return active;
}

bool ContextResolver::is_cached(const boost::json::value& context) {
  return context.is_null() || cached(canonical_json(context)) != nullptr;
}

std::shared_ptr<const Context> ContextResolver::cached(const std::string& key) {
  std::lock_guard lock(mutex_);
  std::uint64_t generation = registry_.generation();
  if (generation != cache_generation_) {
    cache_->clear();
    cache_generation_ = generation;
  }
  return cache_->get(key).value_or(nullptr);
}

void ContextResolver::remember(const std::string& key,
                               const std::shared_ptr<const Context>& context,
                               std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation != registry_.generation() || generation != cache_generation_) return;
  cache_->put(key, context);
}

}  // namespace citytwin::jsonld
