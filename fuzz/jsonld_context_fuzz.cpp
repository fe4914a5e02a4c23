// JSON-LD @context processing (JSON-LD 1.1 clause 4.1, GS CIM 009 clauses 5.5.7 and 5.13)
// with no network: the input is what a client puts in "@context" (a URL, an object, an array,
// or a whole context document), resolved over the NGSI-LD core context with remote documents
// served from memory (including an @import chain and a cycle). Also stored as a hosted
// context document (POST /jsonldContexts). Whatever resolves must expand and compact names.

#include <boost/json/parse.hpp>

#include "citytwin/common/clock.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

class MemoryLoader final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view url) override {
    if (url == "https://fuzz.example/a.jsonld") {
      return std::string(R"({"@context": {"a": "https://a.example/a", "ex": "https://example.org/",
                            "T": {"@id": "ex:T", "@type": "@vocab"}}})");
    }
    if (url == "https://fuzz.example/import.jsonld") {
      return std::string(
          R"({"@context": {"@import": "https://fuzz.example/a.jsonld", "b": "ex:b"}})");
    }
    if (url == "https://fuzz.example/cycle.jsonld") {
      return std::string(R"({"@context": ["https://fuzz.example/cycle.jsonld"]})");
    }
    if (url == "https://fuzz.example/not-json.jsonld") return std::string("{\"@context\": ");
    return make_error(ErrorKind::kLdContextNotAvailable, "no network in the fuzz target");
  }
};

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'800'000'000'000'000}; }
};

void exercise(const jsonld::Context& context, const boost::json::value& input) {
  for (std::string_view term : {"a", "b", "T", "ex:x", "location", "type", "@id", "",
                                "x:", "https://example.org/z", "temperature"}) {
    std::string iri = context.expand(term);
    (void)context.compact(iri);
    (void)context.is_vocab_coerced(term);
    (void)context.find(term);
  }
  // The names the input itself defines.
  const boost::json::object* object = input.if_object();
  if (object != nullptr && object->contains("@context"))
    object = object->at("@context").if_object();
  if (object == nullptr) return;
  for (const auto& member : *object) {
    std::string iri = context.expand(member.key());
    (void)context.compact(iri);
    (void)context.is_vocab_coerced(member.key());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  // Built once: creating a resolver parses the core context, which would cost more than the
  // input. No resolved context is cached (capacity 0) and stored documents are removed after
  // each input, so every input is processed in full from the same state.
  static FixedClock clock;
  static MemoryLoader loader;
  static jsonld::ContextRegistry registry(jsonld::ContextRegistryOptions{}, clock);
  static auto resolver = [] {
    jsonld::ContextResolverOptions options;
    options.cache_capacity = 0;
    auto created = jsonld::ContextResolver::create(registry, loader, options);
    if (!created.ok()) fuzz::fail("the core context does not load");
    return std::move(*created);
  }();
  struct Reset {
    ~Reset() {
      for (const auto& entry : registry.list()) {
        if (!entry.core && !registry.remove(entry.local_id).ok()) {
          fuzz::fail("a stored @context stays", entry.url);
        }
      }
    }
  } reset;

  (void)registry.add_hosted(text);
  boost::system::error_code ec;
  boost::json::value input = boost::json::parse(text, ec);
  if (ec) return 0;
  // As a request body's "@context" member, and as a whole document's "@context".
  if (auto context = resolver->resolve(input); context.ok()) exercise(**context, input);
  if (const auto* object = input.if_object(); object != nullptr && object->contains("@context")) {
    if (auto context = resolver->resolve(object->at("@context")); context.ok()) {
      exercise(**context, input);
    }
  }
  return 0;
}
