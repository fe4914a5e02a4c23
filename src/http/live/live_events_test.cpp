#include "citytwin/http/live_events.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "live_stream.hpp"

namespace citytwin::http {
namespace {

namespace json = boost::json;

constexpr std::string_view kVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

// Every name under the default @vocab: enough to see events compact what the store expands.
class VocabTerms final : public jsonld::TermMapper {
 public:
  std::string expand(std::string_view term) const override {
    return std::string(kVocab) + std::string(term);
  }
  std::string compact(std::string_view iri) const override {
    return std::string(iri.substr(iri.rfind('/') + 1));
  }
};

json::object stored(std::string_view id, std::string_view type, double temperature) {
  json::object attrs;
  attrs[std::string(kVocab) + "temperature"] =
      json::array{json::object{{"type", "Property"}, {"value", temperature}}};
  return json::object{{"id", id},
                      {"type", json::array{std::string(kVocab) + std::string(type)}},
                      {"attrs", std::move(attrs)}};
}

std::string take(BodyStream& stream) {
  auto piece = stream.next();
  EXPECT_TRUE(piece.ok());
  return piece.ok() && piece->has_value() ? **piece : std::string("<end>");
}

class LiveEventsTest : public ::testing::Test {
 protected:
  VocabTerms terms_;
  MetricsRegistry metrics_;

  LiveEventsOptions options(std::size_t max_streams, std::size_t queue_limit) {
    LiveEventsOptions out;
    out.max_streams = max_streams;
    out.queue_limit = queue_limit;
    return out;
  }
  void update(LiveEvents& events, std::string_view tenant, std::string_view id,
              std::string_view type, double temperature) {
    events.observe(tenant, {{std::nullopt, stored(id, type, temperature)}}, Instant{0});
  }
};

TEST_F(LiveEventsTest, StreamGetsItsTenantsMatchingChangesCompacted) {
  LiveEvents events(terms_, options(4, 16), &metrics_);
  LiveFilter filter;
  filter.types.insert(terms_.expand("Sensor"));
  auto stream = events.open("city", filter);
  ASSERT_TRUE(stream.ok());
  EXPECT_NE(take(**stream).find("event: ready"), std::string::npos);
  EXPECT_TRUE(events.wants("city"));
  EXPECT_FALSE(events.wants("other"));

  update(events, "city", "urn:s1", "Sensor", 21.5);
  update(events, "city", "urn:b1", "Bin", 3);      // another type
  update(events, "other", "urn:s2", "Sensor", 9);  // another tenant
  std::string piece = take(**stream);
  EXPECT_NE(piece.find("event: update\ndata: {"), std::string::npos);
  EXPECT_NE(piece.find("\"id\":\"urn:s1\""), std::string::npos);
  EXPECT_NE(piece.find("\"type\":\"Sensor\""), std::string::npos);
  EXPECT_NE(piece.find("\"temperature\":{\"type\":\"Property\",\"value\":"), std::string::npos)
      << piece;
  EXPECT_EQ(piece.find("urn:b1"), std::string::npos);
  EXPECT_EQ(piece.find("urn:s2"), std::string::npos);

  events.observe("city", {{stored("urn:s1", "Sensor", 1), std::nullopt}}, Instant{0});
  piece = take(**stream);
  EXPECT_NE(piece.find("event: delete"), std::string::npos);
  EXPECT_NE(piece.find("deletedAt"), std::string::npos);
}

TEST_F(LiveEventsTest, IdFilterSelectsEntities) {
  LiveEvents events(terms_, options(4, 16), nullptr);
  LiveFilter filter;
  filter.ids.insert("urn:s2");
  auto stream = events.open("", filter);
  ASSERT_TRUE(stream.ok());
  take(**stream);
  update(events, "", "urn:s1", "Sensor", 1);
  update(events, "", "urn:s2", "Sensor", 2);
  std::string piece = take(**stream);
  EXPECT_EQ(piece.find("urn:s1"), std::string::npos);
  EXPECT_NE(piece.find("urn:s2"), std::string::npos);
}

TEST_F(LiveEventsTest, SlowClientIsToldToResyncInsteadOfQueueingWithoutBound) {
  LiveEvents events(terms_, options(4, 3), &metrics_);
  auto stream = events.open("", {});
  ASSERT_TRUE(stream.ok());
  for (int i = 0; i < 5; ++i) update(events, "", "urn:s" + std::to_string(i), "Sensor", i);
  std::string piece = take(**stream);
  EXPECT_NE(piece.find("event: resync"), std::string::npos) << piece;
  EXPECT_EQ(piece.find("urn:s0"), std::string::npos) << "dropped events are not sent";
  EXPECT_EQ(piece.find("event: ready"), std::string::npos);
  EXPECT_EQ(piece.find("event: resync"), 0u) << "the resync goes first";
  EXPECT_NE(piece.find("urn:s4"), std::string::npos) << "changes after the drop are kept";
  // Changes after the resync flow again.
  update(events, "", "urn:later", "Sensor", 7);
  EXPECT_NE(take(**stream).find("urn:later"), std::string::npos);
  // The opening event and s0, s1 were waiting when s2 came: four dropped.
  std::string scrape = metrics_.render();
  EXPECT_NE(scrape.find("citytwin_live_events_total{outcome=\"dropped\"} 4"), std::string::npos)
      << scrape;
}

TEST_F(LiveEventsTest, StreamsAreLimitedAndAClosedOneFreesItsPlace) {
  LiveEvents events(terms_, options(2, 4), &metrics_);
  auto first = events.open("", {});
  auto second = events.open("", {});
  ASSERT_TRUE(first.ok() && second.ok());
  auto refused = events.open("", {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kServiceUnavailable);
  EXPECT_EQ(events.open_streams(), 2u);
  first->reset();  // the connection went away
  EXPECT_TRUE(events.open("", {}).ok());
}

TEST_F(LiveEventsTest, WaitingConnectionIsWokenByAChangeAndCancelDropsIt) {
  LiveEvents events(terms_, options(4, 4), nullptr);
  auto stream = events.open("", {});
  ASSERT_TRUE(stream.ok());
  take(**stream);
  int woken = 0;
  (*stream)->wait([&woken] { ++woken; });
  EXPECT_EQ(woken, 0);
  update(events, "", "urn:s1", "Sensor", 1);
  EXPECT_EQ(woken, 1);
  take(**stream);
  (*stream)->wait([&woken] { ++woken; });
  (*stream)->cancel();
  update(events, "", "urn:s1", "Sensor", 2);
  EXPECT_EQ(woken, 1);
}

TEST_F(LiveEventsTest, StopEndsEveryStream) {
  LiveEvents events(terms_, options(4, 4), nullptr);
  events.start();
  auto stream = events.open("", {});
  ASSERT_TRUE(stream.ok());
  events.stop();
  take(**stream);  // the opening event
  EXPECT_EQ(take(**stream), "<end>");
  EXPECT_FALSE(events.open("", {}).ok());
}

TEST(LiveStreamTest, QuietStreamGetsAHeartbeatAndEndsAtItsDeadline) {
  auto start = std::chrono::steady_clock::now();
  LiveStream stream("", {}, 4, start + std::chrono::seconds(60));
  stream.beat(start + std::chrono::seconds(15));
  auto piece = stream.next();
  ASSERT_TRUE(piece.ok() && piece->has_value());
  EXPECT_EQ(**piece, ": keep-alive\n\n");
  stream.push("event: update\ndata: {}\n\n");
  EXPECT_NE(take(stream).find("event: update"), std::string::npos);
  stream.beat(start + std::chrono::seconds(30));  // not quiet since the last beat
  EXPECT_EQ(**stream.next(), "");
  stream.beat(start + std::chrono::seconds(61));
  auto end = stream.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace citytwin::http
