#include "history_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace citytwin::core {
namespace {

namespace json = boost::json;

constexpr const char* kTemperature = "https://example.org/temperature";
constexpr const char* kStatus = "https://example.org/status";
constexpr std::int64_t kNow = 1'800'000'000'000'000;

json::object entity(json::object attrs) {
  return json::object{{"id", "urn:ngsi-ld:S:1"},
                      {"type", json::array{"https://example.org/S"}},
                      {"attrs", std::move(attrs)}};
}

json::object property(double value, const char* modified, const char* dataset = nullptr) {
  json::object instance{{"type", "Property"}, {"value", value}, {"modifiedAt", modified}};
  if (dataset != nullptr) instance["datasetId"] = dataset;
  return instance;
}

std::vector<std::string> described(const std::vector<store::HistorySample>& samples) {
  std::vector<std::string> out;
  for (const auto& sample : samples) {
    out.push_back(sample.attribute + "|" + sample.dataset_id + "|" +
                  (sample.deleted ? "deleted" : "value") + "@" +
                  std::to_string(sample.modified_at));
  }
  return out;
}

TEST(HistoryCapture, ANewEntityRecordsEveryInstanceAtItsModifiedAt) {
  auto created =
      entity({{kTemperature, json::array{property(21.5, "2027-01-15T08:00:00Z"),
                                         property(19, "2027-01-15T08:00:00Z", "urn:d:2")}},
              {kStatus, json::array{property(1, "2027-01-15T08:00:00Z")}}});
  created["modifiedAt"] = "2027-01-15T08:00:00Z";
  auto samples = history_between(nullptr, &created, Instant{kNow});
  ASSERT_EQ(samples.size(), 4u);
  auto t = std::to_string(parse_date_time("2027-01-15T08:00:00Z")->micros);
  EXPECT_THAT(described(samples),
              ::testing::ElementsAre("@type||value@" + t, std::string(kStatus) + "||value@" + t,
                                     std::string(kTemperature) + "||value@" + t,
                                     std::string(kTemperature) + "|urn:d:2|value@" + t));
  EXPECT_EQ(samples[0].instance, R"(["https://example.org/S"])");
  auto stored = json::parse(samples[2].instance).as_object();
  EXPECT_EQ(stored.at("value").as_double(), 21.5);
  EXPECT_FALSE(samples[2].observed_at.has_value());
}

TEST(HistoryCapture, OnlyChangedInstancesAndDeletionsAreRecorded) {
  auto before =
      entity({{kTemperature, json::array{property(21.5, "2027-01-15T08:00:00Z"),
                                         property(19, "2027-01-15T08:00:00Z", "urn:d:2")}},
              {kStatus, json::array{property(1, "2027-01-15T08:00:00Z")}}});
  auto changed = property(22, "2027-01-15T09:00:00Z");
  changed["observedAt"] = "2027-01-15T08:59:30Z";
  auto after = entity({{kTemperature, json::array{changed}},
                       {kStatus, json::array{property(1, "2027-01-15T08:00:00Z")}}});
  auto samples = history_between(&before, &after, Instant{kNow});
  auto t9 = parse_date_time("2027-01-15T09:00:00Z")->micros;
  EXPECT_THAT(described(samples),
              ::testing::ElementsAre(
                  std::string(kTemperature) + "||value@" + std::to_string(t9),
                  std::string(kTemperature) + "|urn:d:2|deleted@" + std::to_string(kNow)));
  EXPECT_EQ(samples[0].observed_at, parse_date_time("2027-01-15T08:59:30Z")->micros);
  EXPECT_TRUE(samples[1].instance.empty());
}

TEST(HistoryCapture, DeletingTheEntityDeletesEveryInstance) {
  auto before = entity({{kTemperature, json::array{property(21.5, "2027-01-15T08:00:00Z")}}});
  auto samples = history_between(&before, nullptr, Instant{kNow});
  EXPECT_THAT(described(samples), ::testing::ElementsAre("@type||deleted@" + std::to_string(kNow),
                                                         std::string(kTemperature) + "||deleted@" +
                                                             std::to_string(kNow)));
}

TEST(HistoryCapture, AnUnchangedEntityRecordsNothing) {
  auto same = entity({{kTemperature, json::array{property(21.5, "2027-01-15T08:00:00Z")}}});
  EXPECT_TRUE(history_between(&same, &same, Instant{kNow}).empty());
}

// Unchanged attributes are skipped as a whole (history_between() does not index them); the
// changed, added and removed ones beside them still give their samples, in key order.
TEST(HistoryCapture, UnchangedAttributesBesideChangedOnesRecordNothing) {
  constexpr const char* kAdded = "https://example.org/added";
  constexpr const char* kRemoved = "https://example.org/removed";
  json::array two{property(1, "2027-01-15T08:00:00Z"),
                  property(2, "2027-01-15T08:00:00Z", "urn:d:2")};
  auto before = entity({{kStatus, two},
                        {kRemoved, json::array{property(5, "2027-01-15T08:00:00Z")}},
                        {kTemperature, json::array{property(21.5, "2027-01-15T08:00:00Z")}}});
  auto after = entity({{kTemperature, json::array{property(22, "2027-01-15T09:00:00Z")}},
                       {kAdded, json::array{property(7, "2027-01-15T09:00:00Z")}},
                       {kStatus, two}});
  auto samples = history_between(&before, &after, Instant{kNow});
  auto t9 = std::to_string(parse_date_time("2027-01-15T09:00:00Z")->micros);
  EXPECT_THAT(described(samples),
              ::testing::ElementsAre(std::string(kAdded) + "||value@" + t9,
                                     std::string(kTemperature) + "||value@" + t9,
                                     std::string(kRemoved) + "||deleted@" + std::to_string(kNow)));
}

// An attribute whose instances only moved between datasets is not "unchanged".
TEST(HistoryCapture, AnInstanceMovedToAnotherDatasetIsRecorded) {
  auto before = entity({{kStatus, json::array{property(1, "2027-01-15T08:00:00Z", "urn:d:1")}}});
  auto after = entity({{kStatus, json::array{property(1, "2027-01-15T08:00:00Z", "urn:d:2")}}});
  auto t8 = std::to_string(parse_date_time("2027-01-15T08:00:00Z")->micros);
  EXPECT_THAT(
      described(history_between(&before, &after, Instant{kNow})),
      ::testing::ElementsAre(std::string(kStatus) + "|urn:d:2|value@" + t8,
                             std::string(kStatus) + "|urn:d:1|deleted@" + std::to_string(kNow)));
}

}  // namespace
}  // namespace citytwin::core
