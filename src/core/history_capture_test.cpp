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

}  // namespace
}  // namespace citytwin::core
