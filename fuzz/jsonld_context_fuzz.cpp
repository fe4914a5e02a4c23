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
  // Fresh state per input, so that a crash replays from its input alone.
  FixedClock clock;
  MemoryLoader loader;
  jsonld::ContextRegistry registry(jsonld::ContextRegistryOptions{}, clock);
  (void)registry.add_hosted(text);
  boost::system::error_code ec;
  boost::json::value input = boost::json::parse(text, ec);
  if (ec) return 0;
  auto resolver = jsonld::ContextResolver::create(registry, loader);
  if (!resolver.ok()) fuzz::fail("the core context does not load");
  // As a request body's "@context" member, and as a whole document's "@context".
  if (auto context = (*resolver)->resolve(input); context.ok()) exercise(**context, input);
  if (const auto* object = input.if_object(); object != nullptr && object->contains("@context")) {
    if (auto context = (*resolver)->resolve(object->at("@context")); context.ok()) {
      exercise(**context, input);
    }
  }
  return 0;
}
