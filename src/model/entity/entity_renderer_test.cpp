#include "citytwin/model/entity_renderer.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include "citytwin/model/entity_parser.hpp"
#include "fake_term_mapper.hpp"
#include "test_support.hpp"

namespace citytwin::model {
namespace {

using testing::iri;
using testing::json_of;
using testing::object_of;

class EntityRendererTest : public ::testing::Test {
 protected:
  boost::json::object stored(std::string_view payload) const {
    auto result = parse_entity(object_of(payload), terms_, ParseOptions{});
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().detail);
    return result.ok() ? *result : boost::json::object{};
  }
  boost::json::object render(std::string_view payload) const {
    return render_entity(stored(payload), terms_, options_);
  }
  // The rendering of attribute `name` of an entity with the given attribute members.
  boost::json::value render_attr(std::string_view members, std::string_view name) const {
    const auto out =
        render(std::string(R"({"id":"urn:a","type":"T",)") + std::string(members) + "}");
    const auto* attribute = out.if_contains(name);
    return attribute == nullptr ? boost::json::value() : *attribute;
  }

  testing::FakeTermMapper terms_;
  RenderOptions options_;
};

// Types keep the stored order (sorted by expanded IRI) after compaction.
TEST_F(EntityRendererTest, CompactsTypesAndOrdersMembers) {
  options_.sys_attrs = true;
  auto entity = stored(R"({"id":"urn:a","type":["T","http://o.org/S"],"scope":"/x","a":1})");
  entity["createdAt"] = "2026-01-01T00:00:00.000Z";
  entity["modifiedAt"] = "2026-01-02T00:00:00.000Z";
  const auto out = render_entity(entity, terms_, options_);
  EXPECT_EQ(boost::json::serialize(out),
            R"({"id":"urn:a","type":["http://o.org/S","T"],"scope":"/x",)"
            R"("a":{"type":"Property","value":1},)"
            R"("createdAt":"2026-01-01T00:00:00.000Z","modifiedAt":"2026-01-02T00:00:00.000Z"})");
}

TEST_F(EntityRendererTest, SystemAttributesAtEveryLevelOnlyWhenAsked) {
  auto entity = stored(R"({"id":"urn:a","type":"T","a":{"value":1,"b":2}})");
  auto& instance = entity["attrs"].as_object()[iri("a")].as_array()[0].as_object();
  instance["createdAt"] = "2026-01-01T00:00:00.000Z";
  instance["sub"].as_object()[iri("b")].as_object()["modifiedAt"] = "2026-01-02T00:00:00.000Z";
  entity["createdAt"] = "2026-01-01T00:00:00.000Z";
  EXPECT_EQ(render_entity(entity, terms_, options_),
            object_of(R"({"id":"urn:a","type":"T","a":{"type":"Property","value":1,
                          "b":{"type":"Property","value":2}}})"));
  options_.sys_attrs = true;
  EXPECT_EQ(render_entity(entity, terms_, options_),
            object_of(R"({"id":"urn:a","type":"T","createdAt":"2026-01-01T00:00:00.000Z",
                "a":{"type":"Property","value":1,"createdAt":"2026-01-01T00:00:00.000Z",
                     "b":{"type":"Property","value":2,"modifiedAt":"2026-01-02T00:00:00.000Z"}}})"));
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render_entity(entity, terms_, options_),
            object_of(R"({"id":"urn:a","type":"T","a":1,"createdAt":"2026-01-01T00:00:00.000Z"})"));
}

TEST_F(EntityRendererTest, NormalizedRendersEveryKind) {
  EXPECT_EQ(render_attr(R"("v":{"vocab":["x","http://o.org/y"]})", "v"),
            json_of(R"({"type":"VocabProperty","vocab":["x","http://o.org/y"]})"));
  EXPECT_EQ(
      render_attr(
          R"("r":{"object":"urn:b","objectType":"Person","observedAt":"2026-01-01T00:00:00Z"})",
          "r"),
      json_of(R"({"type":"Relationship","object":"urn:b","objectType":"Person",
                        "observedAt":"2026-01-01T00:00:00.000Z"})"));
  EXPECT_EQ(render_attr(R"("l":{"objectList":[{"object":"urn:b"}]})", "l"),
            json_of(R"({"type":"ListRelationship","objectList":["urn:b"]})"));
  EXPECT_EQ(render_attr(R"("j":{"json":{"k":[1,null]}})", "j"),
            json_of(R"({"type":"JsonProperty","json":{"k":[1,null]}})"));
}

// Concise representation: "type" is dropped only where the parser infers it back.
TEST_F(EntityRendererTest, ConciseDropsInferableTypes) {
  options_.format = RepresentationFormat::kConcise;
  EXPECT_EQ(render_attr(R"("a":{"type":"Property","value":1})", "a"), json_of("1"));
  EXPECT_EQ(render_attr(R"("a":{"type":"Property","value":1,"unitCode":"CEL"})", "a"),
            json_of(R"({"value":1,"unitCode":"CEL"})"));
  EXPECT_EQ(render_attr(R"("a":{"type":"Property","value":{"street":"x"}})", "a"),
            json_of(R"({"street":"x"})"));
  EXPECT_EQ(render_attr(R"("a":{"type":"Property","value":{"value":3}})", "a"),
            json_of(R"({"value":{"value":3}})"));
  EXPECT_EQ(render_attr(R"("a":{"type":"Property","value":[{"object":"urn:x"}]})", "a"),
            json_of(R"({"value":[{"object":"urn:x"}]})"));
  EXPECT_EQ(
      render_attr(R"("a":{"type":"Property","value":{"type":"Point","coordinates":[1,2]}})", "a"),
      json_of(R"({"type":"Property","value":{"type":"Point","coordinates":[1,2]}})"));
  EXPECT_EQ(render_attr(
                R"("a":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}})", "a"),
            json_of(R"({"type":"Point","coordinates":[1,2]})"));
  EXPECT_EQ(
      render_attr(
          R"("a":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]},"b":1})", "a"),
      json_of(R"({"value":{"type":"Point","coordinates":[1,2]},"b":1})"));
  EXPECT_EQ(render_attr(R"("a":{"type":"Relationship","object":"urn:b"})", "a"),
            json_of(R"({"object":"urn:b"})"));
  EXPECT_EQ(render_attr(R"("a":{"type":"LanguageProperty","languageMap":{"en":"x"}})", "a"),
            json_of(R"({"languageMap":{"en":"x"}})"));
  EXPECT_EQ(render_attr(R"("a":{"value":1,"b":{"object":"urn:c"},"c":{"value":2}})", "a"),
            json_of(R"({"value":1,"b":{"object":"urn:c"},"c":2})"));
}

TEST_F(EntityRendererTest, SimplifiedRendersValues) {
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render(R"({"id":"urn:a","type":"T","p":{"value":1,"unitCode":"CEL","q":2},
      "g":{"type":"Point","coordinates":[1,2]},"r":{"object":["urn:b","urn:c"]},
      "l":{"languageMap":{"en":"x"}},"v":{"vocab":"w"},"vl":{"valueList":[1]},
      "ol":{"objectList":["urn:b"]},"j":{"json":{"k":1}}})"),
            object_of(R"({"id":"urn:a","type":"T","p":1,"g":{"type":"Point","coordinates":[1,2]},
      "r":["urn:b","urn:c"],"l":{"languageMap":{"en":"x"}},"v":{"vocab":"w"},
      "vl":{"valueList":[1]},"ol":{"objectList":["urn:b"]},"j":{"json":{"k":1}}})"));
}

// The value members of the newer attribute types stay as keys in simplified form, so that the
// core @context still expands them (@language, @vocab, @list, @json containers and types).
TEST_F(EntityRendererTest, SimplifiedKeepsTheValueMemberOfNewerTypes) {
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render_attr(R"("v":{"vocab":["x","http://o.org/y"]})", "v"),
            json_of(R"({"vocab":["x","http://o.org/y"]})"));
  EXPECT_EQ(render_attr(R"("j":{"json":[1,{"type":"raw"}]})", "j"),
            json_of(R"({"json":[1,{"type":"raw"}]})"));
  EXPECT_EQ(render_attr(R"("j":{"json":"text"})", "j"), json_of(R"({"json":"text"})"));
  EXPECT_EQ(render_attr(R"("l":{"languageMap":{"en":"x","@none":"y"},"q":1})", "l"),
            json_of(R"({"languageMap":{"en":"x","@none":"y"}})"));
  EXPECT_EQ(render_attr(R"("vl":{"valueList":[]})", "vl"), json_of(R"({"valueList":[]})"));
  EXPECT_EQ(render_attr(R"("ol":{"objectList":[{"object":"urn:b"},"urn:c"]})", "ol"),
            json_of(R"({"objectList":["urn:b","urn:c"]})"));
  options_.lang = "*";
  EXPECT_EQ(render_attr(R"("l":{"languageMap":{"en":"x"}})", "l"),
            json_of(R"({"languageMap":{"en":"x"}})"));
}

TEST_F(EntityRendererTest, MultiAttributesRenderAsArrays) {
  const std::string members = R"("a":[{"value":1},{"value":2,"datasetId":"urn:ds:2"}])";
  EXPECT_EQ(render_attr(members, "a"), json_of(R"([{"type":"Property","value":1},
                        {"type":"Property","value":2,"datasetId":"urn:ds:2"}])"));
  options_.format = RepresentationFormat::kConcise;
  EXPECT_EQ(render_attr(members, "a"),
            json_of(R"([{"value":1},{"value":2,"datasetId":"urn:ds:2"}])"));
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render_attr(members, "a"), json_of(R"({"dataset":{"@none":1,"urn:ds:2":2}})"));
}

// Clause 4.5.5: a simplified multi-attribute is keyed by datasetId, each entry simplified as a
// single instance would be; a datasetId filter leaving one instance gives the plain value.
TEST_F(EntityRendererTest, SimplifiedMultiAttributesAreKeyedByDataset) {
  options_.format = RepresentationFormat::kSimplified;
  const std::string members =
      R"("l":[{"languageMap":{"en":"x"},"datasetId":"urn:ds:1"},)"
      R"({"languageMap":{"en":"y"},"datasetId":"urn:ds:2"}],)"
      R"("r":[{"object":"urn:b"},{"object":"urn:c","datasetId":"urn:ds:1"}])";
  EXPECT_EQ(render_attr(members, "l"),
            json_of(R"({"dataset":{"urn:ds:1":{"languageMap":{"en":"x"}},)"
                    R"("urn:ds:2":{"languageMap":{"en":"y"}}}})"));
  EXPECT_EQ(render_attr(members, "r"),
            json_of(R"({"dataset":{"@none":"urn:b","urn:ds:1":"urn:c"}})"));
  options_.lang = "en";
  EXPECT_EQ(render_attr(members, "l"), json_of(R"({"dataset":{"urn:ds:1":"x","urn:ds:2":"y"}})"));
  options_.dataset_id = "urn:ds:1";
  EXPECT_EQ(render_attr(members, "r"), json_of(R"("urn:c")"));
}

TEST_F(EntityRendererTest, DatasetIdFilter) {
  const std::string members =
      R"("a":[{"value":1},{"value":2,"datasetId":"urn:ds:2"}],"b":{"value":3,"datasetId":"urn:ds:3"})";
  options_.dataset_id = "@none";
  EXPECT_EQ(render_attr(members, "a"), json_of(R"({"type":"Property","value":1})"));
  EXPECT_TRUE(render_attr(members, "b").is_null());
  options_.dataset_id = "urn:ds:2";
  EXPECT_EQ(render_attr(members, "a"),
            json_of(R"({"type":"Property","value":2,"datasetId":"urn:ds:2"})"));
}

// Clause 4.15: lang selects one language of each LanguageProperty.
TEST_F(EntityRendererTest, LanguageSelection) {
  const std::string members =
      R"("n":{"languageMap":{"en":"Street","fr":"Rue","@none":"Calle"},"q":1},)"
      R"("m":{"languageMap":{"es":"Plaza","it":"Piazza"}})";
  options_.lang = "fr";
  EXPECT_EQ(
      render_attr(members, "n"),
      json_of(
          R"({"type":"Property","value":"Rue","lang":"fr","q":{"type":"Property","value":1}})"));
  options_.lang = "de";
  EXPECT_EQ(render_attr(members, "n").at("value"), "Calle");
  EXPECT_EQ(render_attr(members, "m"),
            json_of(R"({"type":"Property","value":"Plaza","lang":"es"})"));
  options_.lang = "de, it;q=0.5";
  EXPECT_EQ(render_attr(members, "m").at("lang"), "it");
  options_.lang = "*";
  EXPECT_EQ(render_attr(members, "m"),
            json_of(R"({"type":"LanguageProperty","languageMap":{"es":"Plaza","it":"Piazza"}})"));
  options_.lang = "en";
  options_.format = RepresentationFormat::kConcise;
  EXPECT_EQ(render_attr(members, "n"), json_of(R"({"value":"Street","lang":"en","q":1})"));
  options_.format = RepresentationFormat::kSimplified;
  EXPECT_EQ(render_attr(members, "n"), json_of(R"("Street")"));
}

TEST_F(EntityRendererTest, PickOmitAndAttrsProjection) {
  const std::string payload = R"({"id":"urn:a","type":"T","scope":"/s","a":1,"b":2,"c":3})";
  options_.format = RepresentationFormat::kSimplified;
  options_.attrs = {iri("a"), iri("b")};
  EXPECT_EQ(render(payload), object_of(R"({"id":"urn:a","type":"T","scope":"/s","a":1,"b":2})"));
  options_.attrs.clear();
  options_.pick = {"id", iri("c")};
  EXPECT_EQ(render(payload), object_of(R"({"id":"urn:a","c":3})"));
  options_.pick.clear();
  options_.omit = {"type", "scope", iri("b")};
  EXPECT_EQ(render(payload), object_of(R"({"id":"urn:a","a":1,"c":3})"));
  options_.omit = {"id"};
  options_.pick = {"id", "type"};
  EXPECT_EQ(render(payload), object_of(R"({"type":"T"})"));
}

TEST_F(EntityRendererTest, IncludesContextLast) {
  options_.include_context = true;
  options_.context = json_of(R"(["http://ctx"])");
  EXPECT_EQ(
      boost::json::serialize(render(R"({"id":"urn:a","type":"T","a":1})")),
      R"({"id":"urn:a","type":"T","a":{"type":"Property","value":1},"@context":["http://ctx"]})");
}

}  // namespace
}  // namespace citytwin::model
