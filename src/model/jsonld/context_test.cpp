#include "citytwin/model/context.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "citytwin/model/context_resolver.hpp"
#include "fake_context_loader.hpp"

namespace citytwin::jsonld {
namespace {

constexpr std::string_view kCore = "https://uri.etsi.org/ngsi-ld/";
constexpr std::string_view kDefault = "https://uri.etsi.org/ngsi-ld/default-context/";
constexpr std::string_view kSdm = "https://smartdatamodels.org/dataModel.Environment/";

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::string(CT_JSONLD_TESTDATA_DIR) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto resolver = ContextResolver::create(registry_, loader_);
    ASSERT_TRUE(resolver.ok());
    resolver_ = std::move(*resolver);
  }

  // The active context for a JSON @context value; fails the test on error.
  std::shared_ptr<const Context> context(std::string_view json) {
    auto result = resolver_->resolve(boost::json::parse(json));
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    return result.ok() ? *result : resolver_->core();
  }

  Error failure(std::string_view json) {
    auto result = resolver_->resolve(boost::json::parse(json));
    EXPECT_FALSE(result.ok());
    return result.ok() ? Error{} : result.error();
  }

  std::shared_ptr<const Context> environment() {
    loader_.serve("https://example.org/environment.jsonld",
                  read_testdata("dataModel.Environment-context.jsonld"));
    return context(R"("https://example.org/environment.jsonld")");
  }

  testing::FakeClock clock_;
  ContextRegistry registry_{ContextRegistryOptions{}, clock_};
  testing::FakeContextLoader loader_;
  std::unique_ptr<ContextResolver> resolver_;
};

TEST_F(ContextTest, CoreOnlyExpandsCoreTermsAndDefaultVocab) {
  const Context& core = *resolver_->core();
  EXPECT_EQ(core.expand("location"), std::string(kCore) + "location");
  EXPECT_EQ(core.expand("value"), std::string(kCore) + "hasValue");
  EXPECT_EQ(core.expand("temperature"), std::string(kDefault) + "temperature");
  EXPECT_EQ(core.expand("type"), "@type");
  EXPECT_EQ(core.expand("id"), "@id");
  EXPECT_EQ(core.expand("Point"), "https://purl.org/geojson/vocab#Point");
  EXPECT_EQ(core.vocab(), kDefault);
  EXPECT_EQ(core.source(), boost::json::value(kDefaultCoreContextUrl));
}

TEST_F(ContextTest, CoreOnlyCompactsBack) {
  const Context& core = *resolver_->core();
  EXPECT_EQ(core.compact(std::string(kCore) + "location"), "location");
  EXPECT_EQ(core.compact(std::string(kDefault) + "temperature"), "temperature");
  EXPECT_EQ(core.compact("@type"), "type");
  EXPECT_EQ(core.compact(std::string(kCore) + "notATerm"), "ngsi-ld:notATerm");
  EXPECT_EQ(core.compact("http://example.org/x"), "http://example.org/x");
  EXPECT_EQ(core.compact("https://purl.org/geojson/vocab#Point"), "Point");
}

TEST_F(ContextTest, CompactIrisAndAbsoluteIris) {
  const Context& core = *resolver_->core();
  EXPECT_EQ(core.expand("ngsi-ld:foo"), std::string(kCore) + "foo");
  EXPECT_EQ(core.expand("geojson:Feature"), "https://purl.org/geojson/vocab#Feature");
  EXPECT_EQ(core.expand("https://example.org/a"), "https://example.org/a");
  EXPECT_EQ(core.expand("urn:ngsi-ld:Thing:1"), "urn:ngsi-ld:Thing:1");
  EXPECT_EQ(core.expand("_:b0"), "_:b0");
  EXPECT_EQ(core.expand("unknown:thing"), "unknown:thing");
}

TEST_F(ContextTest, VocabCoercionFromCoreAndUserTerms) {
  auto ctx = context(R"({"category": {"@id": "https://example.org/category", "@type": "@vocab"},
                         "label": "https://example.org/label"})");
  EXPECT_TRUE(ctx->is_vocab_coerced("vocab"));
  EXPECT_TRUE(ctx->is_vocab_coerced("objectType"));
  EXPECT_TRUE(ctx->is_vocab_coerced("https://uri.etsi.org/ngsi-ld/hasVocab"));
  EXPECT_TRUE(ctx->is_vocab_coerced("category"));
  EXPECT_TRUE(ctx->is_vocab_coerced("https://example.org/category"));
  EXPECT_FALSE(ctx->is_vocab_coerced("label"));
  EXPECT_FALSE(ctx->is_vocab_coerced("location"));
  EXPECT_FALSE(ctx->is_vocab_coerced("temperature"));
}

TEST_F(ContextTest, SmartDataModelsEnvironmentContext) {
  auto ctx = environment();
  EXPECT_EQ(ctx->expand("temperature"), std::string(kSdm) + "temperature");
  EXPECT_EQ(ctx->expand("AirQualityObserved"), std::string(kSdm) + "AirQualityObserved");
  EXPECT_EQ(ctx->expand("location"), std::string(kCore) + "location");
  EXPECT_EQ(ctx->expand("address"), "https://smartdatamodels.org/address");
  EXPECT_EQ(ctx->expand("notInTheModel"), std::string(kDefault) + "notInTheModel");
  EXPECT_EQ(ctx->compact(std::string(kSdm) + "temperature"), "temperature");
  EXPECT_EQ(ctx->compact(std::string(kDefault) + "temperature"),
            "ngsi-ld:default-context/temperature");
  // Its "id", "type", "location", ... repeat the core definitions exactly: nothing ignored.
  EXPECT_TRUE(ctx->ignored_terms().empty());
}

TEST_F(ContextTest, EveryEnvironmentTermRoundTrips) {
  auto ctx = environment();
  boost::json::value document =
      boost::json::parse(read_testdata("dataModel.Environment-context.jsonld"));
  for (const auto& [term, unused] : document.at("@context").get_object()) {
    std::string iri = ctx->expand(term);
    EXPECT_EQ(ctx->expand(ctx->compact(iri)), iri) << term;
  }
}

TEST_F(ContextTest, UserCuries) {
  auto ctx = context(R"({"ex": "https://example.org/ns#", "speed": "ex:speed",
                         "heading": {"@id": "ex:heading"}})");
  EXPECT_EQ(ctx->expand("speed"), "https://example.org/ns#speed");
  EXPECT_EQ(ctx->expand("heading"), "https://example.org/ns#heading");
  EXPECT_EQ(ctx->expand("ex:other"), "https://example.org/ns#other");
  EXPECT_EQ(ctx->compact("https://example.org/ns#other"), "ex:other");
  EXPECT_EQ(ctx->compact("https://example.org/ns#speed"), "speed");
}

TEST_F(ContextTest, TermsMayReferToTermsDefinedLaterInTheSameContext) {
  auto ctx = context(R"({"speed": "ex:speed", "ex": "https://example.org/ns#"})");
  EXPECT_EQ(ctx->expand("speed"), "https://example.org/ns#speed");
}

TEST_F(ContextTest, UserContextsMayUseCorePrefixes) {
  auto ctx = context(R"({"myProp": "ngsi-ld:myProp"})");
  EXPECT_EQ(ctx->expand("myProp"), std::string(kCore) + "myProp");
}

TEST_F(ContextTest, ExpandedDefinitionsAreNotPrefixesUnlessAsked) {
  auto ctx = context(R"({"a": {"@id": "https://a.example/"},
                         "b": {"@id": "https://b.example/", "@prefix": true}})");
  EXPECT_EQ(ctx->expand("a:x"), "a:x");
  EXPECT_EQ(ctx->expand("b:x"), "https://b.example/x");
}

TEST_F(ContextTest, UserVocab) {
  auto ctx = context(R"({"@vocab": "https://example.org/vocab/"})");
  EXPECT_EQ(ctx->expand("temperature"), "https://example.org/vocab/temperature");
  EXPECT_EQ(ctx->expand("location"), std::string(kCore) + "location");
  EXPECT_EQ(ctx->compact("https://example.org/vocab/temperature"), "temperature");
}

TEST_F(ContextTest, RelativeVocabAppendsToTheCurrentVocab) {
  EXPECT_EQ(context(R"({"@vocab": "city/"})")->expand("t"), std::string(kDefault) + "city/t");
  auto ctx = context(R"([{"@vocab": "https://example.org/"}, {"@vocab": "v2/"}])");
  EXPECT_EQ(ctx->expand("t"), "https://example.org/v2/t");
  EXPECT_EQ(context(R"({"@vocab": "ngsi-ld:"})")->expand("t"), std::string(kCore) + "t");
}

TEST_F(ContextTest, TermsWithoutIdUseVocab) {
  auto ctx = context(R"({"@vocab": "https://example.org/", "level": {"@type": "@vocab"}})");
  EXPECT_EQ(ctx->expand("level"), "https://example.org/level");
  EXPECT_TRUE(ctx->is_vocab_coerced("level"));
}

TEST_F(ContextTest, LaterContextsOverrideEarlierOnes) {
  auto ctx = context(R"([{"a": "https://one.example/a", "b": "https://one.example/b"},
                         {"a": "https://two.example/a"}])");
  EXPECT_EQ(ctx->expand("a"), "https://two.example/a");
  EXPECT_EQ(ctx->expand("b"), "https://one.example/b");
}

TEST_F(ContextTest, CoreTermsCannotBeRedefined) {
  auto ctx = context(R"({"location": "https://evil.example/location",
                         "id": "@id", "mine": "https://example.org/mine"})");
  EXPECT_EQ(ctx->expand("location"), std::string(kCore) + "location");
  EXPECT_EQ(ctx->expand("mine"), "https://example.org/mine");
  EXPECT_EQ(ctx->ignored_terms(), std::vector<std::string>{"location"});
}

TEST_F(ContextTest, NullTermDefinitionUndefinesTheTerm) {
  auto ctx = context(R"([{"temperature": "https://example.org/t"}, {"temperature": null}])");
  EXPECT_EQ(ctx->expand("temperature"), std::string(kDefault) + "temperature");
  auto id_null = context(R"([{"t": "https://example.org/t"}, {"t": {"@id": null}}])");
  EXPECT_EQ(id_null->expand("t"), std::string(kDefault) + "t");
}

TEST_F(ContextTest, NullContextResetsUserTerms) {
  auto ctx = context(R"([{"a": "https://example.org/a", "@vocab": "https://x.example/"}, null])");
  EXPECT_EQ(ctx->expand("a"), std::string(kDefault) + "a");
  EXPECT_EQ(ctx->expand("location"), std::string(kCore) + "location");
}

TEST_F(ContextTest, ProtectedUserTermsCannotChange) {
  Error error = failure(R"([{"@protected": true, "a": "https://example.org/a"},
                            {"a": "https://other.example/a"}])");
  EXPECT_EQ(error.kind, ErrorKind::kInvalidRequest);
  EXPECT_NE(error.detail.find("protected"), std::string::npos);
  // An identical redefinition is allowed (JSON-LD 1.1 syntax clause 4.1.11).
  context(
      R"([{"@protected": true, "a": "https://example.org/a"}, {"a": "https://example.org/a"}])");
  EXPECT_EQ(failure(R"([{"@protected": true, "a": "https://example.org/a"}, null])").kind,
            ErrorKind::kInvalidRequest);
}

TEST_F(ContextTest, TypeAndContainerMappings) {
  auto ctx = context(R"({"when": {"@id": "https://example.org/when", "@type": "DateTime"},
                         "ref": {"@id": "https://example.org/ref", "@type": "@id"},
                         "path": {"@id": "https://example.org/path", "@container": ["@list"]},
                         "xsdType": {"@id": "https://example.org/n",
                                     "@type": "http://www.w3.org/2001/XMLSchema#integer"}})");
  ASSERT_NE(ctx->find("when"), nullptr);
  EXPECT_EQ(ctx->find("when")->type_mapping, std::string(kCore) + "DateTime");
  EXPECT_EQ(ctx->find("ref")->type_mapping, "@id");
  EXPECT_EQ(ctx->find("path")->containers, std::vector<std::string>{"@list"});
  EXPECT_EQ(ctx->find("xsdType")->type_mapping, "http://www.w3.org/2001/XMLSchema#integer");
  EXPECT_EQ(ctx->find("coordinates")->containers, std::vector<std::string>{"@list"});
}

TEST_F(ContextTest, ShortestTermWinsWhenCompacting) {
  auto ctx = context(R"({"longName": "https://example.org/p", "p": "https://example.org/p",
                         "q": "https://example.org/p"})");
  EXPECT_EQ(ctx->compact("https://example.org/p"), "p");
}

TEST_F(ContextTest, KeywordsAndIgnoredEntries) {
  auto ctx = context(R"({"@version": 1.1, "@base": "http://ignored.example/",
                         "@propagate": true, "@language": "en", "@future": "x",
                         "scoped": {"@id": "https://example.org/s",
                                    "@context": "https://never.example/loaded.jsonld"}})");
  EXPECT_EQ(ctx->expand("scoped"), "https://example.org/s");
  EXPECT_TRUE(ctx->find("scoped")->has_scoped_context);
  EXPECT_TRUE(loader_.requests().empty());
}

TEST_F(ContextTest, InvalidLocalContexts) {
  EXPECT_EQ(failure(R"({"@version": 1.0})").kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"a": 42})").kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"a": {"@id": "https://x.example/a", "@unknown": 1}})").kind,
            ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"a": {"@id": "https://x.example/a", "@container": "@bag"}})").kind,
            ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"a": {"@id": "https://x.example/a", "@type": 7}})").kind,
            ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"a": {"@id": "b"}, "b": {"@id": "a"}})").kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"({"@protected": "yes"})").kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(failure(R"(42)").kind, ErrorKind::kInvalidRequest);
}

TEST_F(ContextTest, ImportMustBeResolvedBeforeCreate) {
  boost::json::value local = boost::json::parse(R"({"@import": "https://x.example/c.jsonld"})");
  auto result = Context::create(resolver_->core(), std::span(&local, 1), local);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidRequest);
}

TEST(CoreContextVersions, EveryEmbeddedCoreBuilds) {
  testing::FakeClock clock;
  ContextRegistry registry(ContextRegistryOptions{}, clock);
  testing::FakeContextLoader loader;
  for (const CoreContextFile& file : core_context_files()) {
    ContextResolverOptions options;
    options.core_context_url = std::string(file.url);
    auto resolver = ContextResolver::create(registry, loader, options);
    ASSERT_TRUE(resolver.ok()) << file.url << ": " << resolver.error().detail;
    const Context& core = *(*resolver)->core();
    EXPECT_EQ(core.expand("observedAt"), std::string(kCore) + "observedAt") << file.url;
    EXPECT_EQ(core.expand("temperature"), std::string(kDefault) + "temperature") << file.url;
  }
  EXPECT_TRUE(loader.requests().empty());
}

TEST(CoreContextVersions, V19SkipsItsRemoteScopedContext) {
  testing::FakeClock clock;
  ContextRegistry registry(ContextRegistryOptions{}, clock);
  testing::FakeContextLoader loader;
  ContextResolverOptions options;
  options.core_context_url = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
  auto resolver = ContextResolver::create(registry, loader, options);
  ASSERT_TRUE(resolver.ok());
  const Context& core = *(*resolver)->core();
  EXPECT_EQ(core.expand("ngsildproof"), std::string(kCore) + "ngsildproof");
  EXPECT_TRUE(core.find("ngsildproof")->has_scoped_context);
  EXPECT_EQ(core.expand("attributeCount"), std::string(kCore) + "attributeCount");
  EXPECT_TRUE(loader.requests().empty());
}

}  // namespace
}  // namespace citytwin::jsonld
