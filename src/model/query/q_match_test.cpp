#include <gtest/gtest.h>

#include "q_test_support.hpp"

namespace citytwin::query {
namespace {

using testing::entity;
using testing::q_matches;

// A streetlight in the stored form (entity_form.hpp); names expanded with the fake context.
const boost::json::object& streetlight() {
  static const boost::json::object e = entity(R"({
    "id": "urn:ngsi-ld:Streetlight:1",
    "type": ["https://example.org/Streetlight"],
    "attrs": {
      "https://example.org/speed": [
        {"type": "Property", "value": 42, "unitCode": "KMH",
         "observedAt": "2026-01-01T10:00:00.000Z",
         "sub": {"https://example.org/accuracy": {"type": "Property", "value": 0.5,
                   "sub": {"https://example.org/method": {"type": "Property", "value": "gps"}}},
                 "https://example.org/source": {"type": "Relationship",
                                                "object": "urn:ngsi-ld:Sensor:9"}}},
        {"type": "Property", "value": 7, "datasetId": "urn:ngsi-ld:Dataset:b"}
      ],
      "https://example.org/name": [{"type": "Property", "value": "Lamp Gran Via"}],
      "https://example.org/on": [{"type": "Property", "value": true}],
      "https://example.org/temperature": [{"type": "Property", "value": -3.5}],
      "https://example.org/tags": [{"type": "Property", "value": ["red", "tall"]}],
      "https://example.org/installed": [{"type": "Property",
          "value": {"@type": "DateTime", "@value": "2020-06-15T08:00:00Z"}}],
      "https://example.org/day": [{"type": "Property", "value": "2021-03-04"}],
      "https://example.org/opens": [{"type": "Property", "value": "08:30:00Z"}],
      "https://example.org/address": [{"type": "Property", "value":
          {"street": "Gran Via", "number": 12, "geo": {"zone": "centro"},
           "phones": [{"kind": "work", "n": "1"}, {"kind": "home", "n": "2"}]}}],
      "https://example.org/location": [{"type": "GeoProperty",
          "value": {"type": "Point", "coordinates": [-3.7, 40.4]}}],
      "https://example.org/owner": [{"type": "Relationship", "object": "urn:ngsi-ld:Person:1"}],
      "https://example.org/neighbours": [{"type": "Relationship",
          "object": ["urn:ngsi-ld:Streetlight:2", "urn:ngsi-ld:Streetlight:3"]}],
      "https://example.org/route": [{"type": "ListRelationship",
          "objectList": ["urn:ngsi-ld:Stop:1", "urn:ngsi-ld:Stop:2"]}],
      "https://example.org/label": [{"type": "LanguageProperty",
          "languageMap": {"en": "Lamp", "es": "Farola"}}],
      "https://example.org/category": [{"type": "VocabProperty",
          "vocab": ["https://example.org/lighting", "https://other.org/urban"]}],
      "https://example.org/readings": [{"type": "ListProperty", "valueList": [3, 8, 15]}],
      "https://example.org/raw": [{"type": "JsonProperty", "json": {"k": "v", "n": 4}}],
      "https://example.org/note": [{"type": "Property", "value": "2020-01-01T00:00:00Z"}]
    }
  })");
  return e;
}

bool m(std::string_view q) {
  return q_matches(q, streetlight());
}

TEST(QMatch, Existence) {
  EXPECT_TRUE(m("speed"));
  EXPECT_FALSE(m("missing"));
  EXPECT_TRUE(m("!missing"));
  EXPECT_FALSE(m("!speed"));
  EXPECT_TRUE(m("speed.accuracy"));
  EXPECT_FALSE(m("speed.nothing"));
  EXPECT_TRUE(m("!speed.nothing"));
  EXPECT_TRUE(m("address[geo.zone]"));
  EXPECT_FALSE(m("address[geo.none]"));
}

TEST(QMatch, NumberComparisons) {
  EXPECT_TRUE(m("speed==42"));
  EXPECT_TRUE(m("speed==42.0"));
  EXPECT_TRUE(m("speed==4.2e1"));
  EXPECT_FALSE(m("speed==41"));
  EXPECT_TRUE(m("speed>41"));
  EXPECT_FALSE(m("speed>42"));
  EXPECT_TRUE(m("speed>=42"));
  EXPECT_TRUE(m("speed<8"));  // the second instance (7)
  EXPECT_FALSE(m("speed<7"));
  EXPECT_TRUE(m("speed<=7"));
  EXPECT_TRUE(m("temperature<-3"));
  EXPECT_TRUE(m("temperature==-3.5"));
  EXPECT_FALSE(m("temperature>-3.5"));
}

TEST(QMatch, UnequalNeedsTheAttributeAndNoEqualValue) {
  EXPECT_TRUE(m("temperature!=4"));
  EXPECT_FALSE(m("temperature!=-3.5"));
  EXPECT_FALSE(m("speed!=7"));  // one instance equals 7
  EXPECT_TRUE(m("speed!=1,2"));
  EXPECT_FALSE(m("speed!=1,42"));
  EXPECT_FALSE(m("missing!=1"));  // no attribute: false, not true
  EXPECT_TRUE(m("name!=\"x\""));
  EXPECT_TRUE(m("name!=5"));  // a string is never equal to a number
  EXPECT_TRUE(m("speed!=8..41"));
  EXPECT_FALSE(m("speed!=40..50"));
}

TEST(QMatch, TypeMismatchIsNoMatch) {
  EXPECT_FALSE(m("speed==\"42\""));
  EXPECT_FALSE(m("name==42"));
  EXPECT_FALSE(m("name>1"));
  EXPECT_FALSE(m("on==\"true\""));
  EXPECT_FALSE(m("speed==true"));
  EXPECT_FALSE(m("location==1"));
}

TEST(QMatch, Strings) {
  EXPECT_TRUE(m("name==\"Lamp Gran Via\""));
  EXPECT_FALSE(m("name==\"lamp gran via\""));
  EXPECT_TRUE(m("name>\"Lamp\""));
  EXPECT_TRUE(m("name<\"M\""));
  EXPECT_FALSE(m("name<\"Lamp\""));
  EXPECT_TRUE(m("name==\"A\"..\"M\""));
  EXPECT_FALSE(m("name==\"M\"..\"Z\""));
  EXPECT_TRUE(m("tags==\"tall\""));  // any element of an array value
  EXPECT_FALSE(m("tags==\"short\""));
}

TEST(QMatch, Booleans) {
  EXPECT_TRUE(m("on==true"));
  EXPECT_FALSE(m("on==false"));
  EXPECT_TRUE(m("on!=false"));
}

TEST(QMatch, ValueLists) {
  EXPECT_TRUE(m("speed==1,2,42"));
  EXPECT_FALSE(m("speed==1,2,3"));
  EXPECT_TRUE(m("name==\"x\",\"Lamp Gran Via\""));
  EXPECT_TRUE(m("on==false,true"));
  EXPECT_TRUE(m("speed==\"a\",7"));
}

TEST(QMatch, Ranges) {
  EXPECT_TRUE(m("speed==40..45"));
  EXPECT_TRUE(m("speed==42..42"));
  EXPECT_TRUE(m("speed==1..7"));  // inclusive bounds, second instance
  EXPECT_FALSE(m("speed==8..41"));
  EXPECT_FALSE(m("speed==45..40"));
  EXPECT_TRUE(m("temperature==-4..-3"));
  EXPECT_TRUE(m("readings==10..20"));
}

TEST(QMatch, DateTimes) {
  // Value object {"@type": "DateTime", "@value": ...} compares by its @value, as an instant.
  EXPECT_TRUE(m("installed==2020-06-15T08:00:00Z"));
  EXPECT_TRUE(m("installed==2020-06-15T10:00:00+02:00"));
  EXPECT_TRUE(m("installed==2020-06-15T08:00:00.000Z"));
  EXPECT_TRUE(m("installed>2020-01-01T00:00:00Z"));
  EXPECT_FALSE(m("installed<2020-01-01T00:00:00Z"));
  EXPECT_TRUE(m("installed==2020-01-01T00:00:00Z..2020-12-31T23:59:59Z"));
  EXPECT_FALSE(m("installed==2021-01-01T00:00:00Z..2021-12-31T23:59:59Z"));
  EXPECT_TRUE(m("installed>2020-06-15"));
  EXPECT_TRUE(m("installed==2020-06-01..2020-07-01"));
  EXPECT_FALSE(m("name>2020-01-01T00:00:00Z"));  // not a date: no match
  // Quoted strings on both sides that are DateTimes compare as instants, not as text.
  EXPECT_TRUE(m("note==\"2020-01-01T01:00:00+01:00\""));
  EXPECT_TRUE(m("note<\"2020-01-01T00:00:01.5Z\""));
}

TEST(QMatch, DatesAndTimes) {
  EXPECT_TRUE(m("day==2021-03-04"));
  EXPECT_TRUE(m("day>2021-03-03"));
  EXPECT_FALSE(m("day>2021-03-04"));
  EXPECT_TRUE(m("day==2021-03-01..2021-03-31"));
  EXPECT_TRUE(m("opens==08:30:00Z"));
  EXPECT_TRUE(m("opens<09:00:00Z"));
  EXPECT_FALSE(m("opens<08:00:00Z"));
  EXPECT_TRUE(m("opens==08:00:00Z..09:00:00Z"));
  EXPECT_TRUE(m("opens==10:30:00+02:00"));
}

TEST(QMatch, InstanceMembers) {
  EXPECT_TRUE(m("speed.observedAt==2026-01-01T10:00:00Z"));
  EXPECT_TRUE(m("speed.observedAt>2025-12-31T00:00:00Z"));
  EXPECT_FALSE(m("speed.observedAt<2025-12-31T00:00:00Z"));
  EXPECT_TRUE(m("speed.unitCode==\"KMH\""));
  EXPECT_TRUE(m("speed.unitCode==KMH"));
  EXPECT_TRUE(m("speed.datasetId==urn:ngsi-ld:Dataset:b"));
  EXPECT_FALSE(m("name.unitCode"));
  EXPECT_FALSE(m("speed.unitCode.x"));
}

TEST(QMatch, SubAttributes) {
  EXPECT_TRUE(m("speed.accuracy==0.5"));
  EXPECT_TRUE(m("speed.accuracy<1"));
  EXPECT_FALSE(m("speed.accuracy>1"));
  EXPECT_TRUE(m("speed.accuracy.method==\"gps\""));
  EXPECT_TRUE(m("speed.source==urn:ngsi-ld:Sensor:9"));
  EXPECT_TRUE(m("ex:speed.ex:accuracy==0.5"));
}

TEST(QMatch, CompoundMembers) {
  EXPECT_TRUE(m("address[street]==\"Gran Via\""));
  EXPECT_TRUE(m("address[number]>10"));
  EXPECT_TRUE(m("address[geo.zone]==\"centro\""));
  EXPECT_TRUE(m("address[geo][zone]==\"centro\""));
  EXPECT_FALSE(m("address[geo][zone]==\"norte\""));
  EXPECT_TRUE(m("address[phones.kind]==\"home\""));  // any element of an array of objects
  EXPECT_FALSE(m("address[street.x]==1"));
  EXPECT_TRUE(m("location[type]==\"Point\""));
  EXPECT_TRUE(m("location[coordinates]<0"));
  EXPECT_TRUE(m("raw[k]==\"v\""));
  EXPECT_TRUE(m("raw[n]==4"));
  EXPECT_TRUE(m("label[es]==\"Farola\""));
  EXPECT_FALSE(m("label[en]==\"Farola\""));
}

TEST(QMatch, Relationships) {
  EXPECT_TRUE(m("owner==urn:ngsi-ld:Person:1"));
  EXPECT_TRUE(m("owner==\"urn:ngsi-ld:Person:1\""));
  EXPECT_FALSE(m("owner==urn:ngsi-ld:Person:2"));
  EXPECT_TRUE(m("owner!=urn:ngsi-ld:Person:2"));
  EXPECT_TRUE(m("neighbours==urn:ngsi-ld:Streetlight:3"));
  EXPECT_FALSE(m("neighbours!=urn:ngsi-ld:Streetlight:3"));
  EXPECT_TRUE(m("route==urn:ngsi-ld:Stop:2"));
  EXPECT_TRUE(m("route==urn:ngsi-ld:Stop:9,urn:ngsi-ld:Stop:1"));
  EXPECT_TRUE(m("owner~=Person"));
}

TEST(QMatch, LanguageVocabListJson) {
  EXPECT_TRUE(m("label==\"Farola\""));
  EXPECT_TRUE(m("label==\"Lamp\""));
  EXPECT_FALSE(m("label==\"Lampara\""));
  // VocabProperty: the literal matches as written or expanded with the @context.
  EXPECT_TRUE(m("category==lighting"));
  EXPECT_TRUE(m("category==\"lighting\""));
  EXPECT_TRUE(m("category==https://other.org/urban"));
  EXPECT_FALSE(m("category==parking"));
  EXPECT_TRUE(m("readings==8"));
  EXPECT_TRUE(m("readings>14"));
  EXPECT_FALSE(m("readings>15"));
  EXPECT_FALSE(m("raw==4"));  // a compound JSON value equals no scalar
}

TEST(QMatch, Patterns) {
  EXPECT_TRUE(m("name~=Gran"));
  EXPECT_TRUE(m("name~=^Lamp"));
  EXPECT_FALSE(m("name~=^Gran"));
  EXPECT_TRUE(m("name~=Via$"));
  EXPECT_TRUE(m("name~=\"G.an V[ia]+\""));
  EXPECT_FALSE(m("name~=gran"));
  EXPECT_TRUE(m("name~=(?i)gran"));
  EXPECT_TRUE(m("name~=(Gran|Plaza)"));
  EXPECT_TRUE(m("name~=\"Plaza|Gran\""));
  EXPECT_FALSE(m("speed~=4"));  // patterns apply to strings only
  EXPECT_TRUE(m("name!~=Plaza"));
  EXPECT_FALSE(m("name!~=Gran"));
  EXPECT_FALSE(m("missing!~=x"));
  EXPECT_TRUE(m("tags~=^ta"));
  EXPECT_TRUE(m("label~=^Far"));
}

TEST(QMatch, Logic) {
  EXPECT_TRUE(m("speed==42;on==true"));
  EXPECT_FALSE(m("speed==42;on==false"));
  EXPECT_TRUE(m("speed==1|on==true"));
  EXPECT_FALSE(m("speed==1|on==false"));
  // ';' binds tighter than '|': a|b;c is a|(b;c).
  EXPECT_TRUE(m("on==true|speed==1;missing"));
  EXPECT_FALSE(m("(on==true|speed==1);missing"));
  EXPECT_TRUE(m("speed==1;missing|on==true"));
  EXPECT_FALSE(m("speed==1;(missing|on==true)"));
  EXPECT_TRUE(m("((speed>40;(name~=Gran|missing));!missing)|x"));
  EXPECT_TRUE(m("(((((on)))))"));
}

TEST(QMatch, EntityWithoutAttributes) {
  auto bare = entity(R"({"id": "urn:x:1", "type": ["https://example.org/T"]})");
  EXPECT_FALSE(q_matches("a", bare));
  EXPECT_TRUE(q_matches("!a", bare));
  EXPECT_FALSE(q_matches("a!=1", bare));
}

TEST(QMatch, MalformedStoredDataDoesNotCrash) {
  auto odd = entity(R"({"attrs": {
      "https://example.org/a": 5,
      "https://example.org/b": [1, "x", {"type": 3}],
      "https://example.org/c": {"type": "Property", "value": 1},
      "https://example.org/d": [{"type": "Property", "value": 1, "sub": 7}]}})");
  EXPECT_FALSE(q_matches("a==5", odd));
  EXPECT_FALSE(q_matches("b==1", odd));
  EXPECT_TRUE(q_matches("c==1", odd));
  EXPECT_FALSE(q_matches("d.e", odd));
  EXPECT_FALSE(q_matches("a", entity(R"({"attrs": []})")));
}

}  // namespace
}  // namespace citytwin::query
