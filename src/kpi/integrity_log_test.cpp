// The hash chain detects an altered, removed or reordered record, and a cut-off tail.
#include "citytwin/kpi/integrity_log.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/store/memory_store.hpp"

namespace citytwin::kpi {
namespace {

class FixedClock final : public Clock {
 public:
  Instant now() const override { return Instant{1'767'225'600'000'000}; }
};

class IntegrityLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 10; ++i) {
      auto seq = log_.append("city", "result", {{"value", i}});
      ASSERT_TRUE(seq.ok());
      ASSERT_EQ(*seq, static_cast<std::uint64_t>(i));
    }
  }

  std::string stored(std::uint64_t seq) {
    return store_->get_document(IntegrityLog::kRecords, IntegrityLog::record_key("city", seq))
        ->value();
  }
  void put(std::uint64_t seq, const std::string& text) {
    ASSERT_TRUE(
        store_->put_document(IntegrityLog::kRecords, IntegrityLog::record_key("city", seq), text)
            .ok());
  }
  IntegrityLog::Report verify() {
    IntegrityLog fresh(*store_, clock_, 4);  // as `citytwin kpi verify` would, from the store
    auto report = fresh.verify("city");
    EXPECT_TRUE(report.ok());
    return *report;
  }
  static bool has(const IntegrityLog::Report& report, std::uint64_t seq, const std::string& what) {
    for (const auto& problem : report.problems) {
      if (problem.seq == seq && problem.what == what) return true;
    }
    return false;
  }

  FixedClock clock_;
  std::unique_ptr<store::EntityStore> store_ = store::make_memory_store();
  IntegrityLog log_{*store_, clock_, 4};
};

TEST_F(IntegrityLogTest, IntactLogVerifies) {
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.problems[0].detail;
  EXPECT_EQ(report.records, 10u);
  EXPECT_EQ(report.checkpoints, 2u);  // after records 4 and 8
  EXPECT_EQ(report.head_seq, 10u);
  EXPECT_EQ(report.head_hash.size(), 64u);
}

TEST_F(IntegrityLogTest, EditedRecordIsReportedByItsNumber) {
  std::string text = stored(5);
  auto position = text.find("\\\"value\\\":5");
  ASSERT_NE(position, std::string::npos) << text;
  text.replace(position, 11, "\\\"value\\\":6");
  put(5, text);
  auto report = verify();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(has(report, 5, "altered"));
}

TEST_F(IntegrityLogTest, RewrittenRecordWithRecomputedHashBreaksTheNextLinkAndCheckpoint) {
  // An attacker who edits record 3 and recomputes its own hash still cannot fix record 4's
  // link nor checkpoint 4.
  auto json = boost::json::parse(stored(3)).as_object();
  std::string body(json["body"].as_string());
  body.replace(body.find("\"value\":3"), 9, "\"value\":9");
  auto previous = boost::json::parse(stored(2)).as_object()["hash"].as_string();
  json["body"] = body;
  json["hash"] = IntegrityLog::sha256_hex(std::string(previous) + "\n" + body);
  put(3, to_json_text(json));
  auto report = verify();
  EXPECT_TRUE(has(report, 4, "altered"));
}

TEST_F(IntegrityLogTest, RemovedRecordIsReported) {
  ASSERT_TRUE(
      store_->delete_document(IntegrityLog::kRecords, IntegrityLog::record_key("city", 6)).ok());
  auto report = verify();
  EXPECT_TRUE(has(report, 6, "removed"));
  EXPECT_EQ(report.problems.size(), 1u);
}

TEST_F(IntegrityLogTest, SwappedRecordsAreReportedAsReordered) {
  std::string third = stored(3);
  std::string fourth = stored(4);
  put(3, fourth);
  put(4, third);
  auto report = verify();
  EXPECT_TRUE(has(report, 3, "reordered"));
  EXPECT_TRUE(has(report, 4, "reordered"));
}

TEST_F(IntegrityLogTest, CutOffTailIsCaughtByACheckpoint) {
  for (std::uint64_t seq = 7; seq <= 10; ++seq) {
    ASSERT_TRUE(
        store_->delete_document(IntegrityLog::kRecords, IntegrityLog::record_key("city", seq))
            .ok());
  }
  auto report = verify();
  EXPECT_TRUE(has(report, 8, "truncated"));
}

TEST_F(IntegrityLogTest, AppendingContinuesTheChainAfterARestart) {
  IntegrityLog reopened(*store_, clock_, 4);
  auto seq = reopened.append("city", "result", {{"value", 11}});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 11u);
  EXPECT_TRUE(verify().ok());
}

TEST_F(IntegrityLogTest, TenantsHaveSeparateChains) {
  ASSERT_TRUE(log_.append("other", "result", {{"value", 1}}).ok());
  auto tenants = log_.tenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, (std::vector<std::string>{"city", "other"}));
  EXPECT_TRUE(verify().ok());
}

}  // namespace
}  // namespace citytwin::kpi
