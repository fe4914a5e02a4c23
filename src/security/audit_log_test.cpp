#include "citytwin/security/audit_log.hpp"

#include <gtest/gtest.h>

#include "citytwin/store/memory_store.hpp"

namespace citytwin::security {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

class ManualClock final : public Clock {
 public:
  Instant now() const override { return Instant{micros}; }
  std::int64_t micros = 1'800'000'000'000'000;
};

AuditRecord write_by(std::string actor, std::string tenant = "city") {
  AuditRecord record;
  record.actor = std::move(actor);
  record.role = "editor";
  record.scope = tenant;
  record.tenant = std::move(tenant);
  record.kind = "write";
  record.method = "PATCH";
  record.path = "/ngsi-ld/v1/entities/urn:x/attrs";
  record.status = 204;
  return record;
}

std::vector<std::string> actors(const AuditPage& page) {
  std::vector<std::string> out;
  for (const auto& record : page.records) out.push_back(record.actor);
  return out;
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditPage query(AuditQuery query) {
    auto page = log.query(query);
    EXPECT_TRUE(page.ok());
    return page.ok() ? *page : AuditPage{};
  }

  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  ManualClock clock;
  AuditOptions options;
  AuditLog log{*store, clock, options};
};

TEST_F(AuditLogTest, FiltersByTimeActorAndTenantAndPages) {
  for (int i = 0; i < 5; ++i) {
    log.record(write_by(i % 2 == 0 ? "aaaaaaaaaaaa" : "bbbbbbbbbbbb", i < 4 ? "city" : "other"));
    ASSERT_TRUE(log.flush().ok());  // one stored batch each
    clock.micros += kSecond;
  }
  EXPECT_EQ(query({}).records.size(), 5u);
  AuditQuery by_actor;
  by_actor.actor = "aaaaaaaaaaaa";
  EXPECT_EQ(query(by_actor).records.size(), 3u);
  AuditQuery by_tenant;
  by_tenant.tenant = "other";
  EXPECT_EQ(query(by_tenant).records.size(), 1u);
  AuditQuery by_time;
  by_time.from = Instant{clock.micros - 4 * kSecond};
  by_time.to = Instant{clock.micros - 2 * kSecond};
  auto window = query(by_time);
  ASSERT_EQ(window.records.size(), 2u);
  EXPECT_EQ(window.records.front().sequence, 2u);

  AuditQuery paged;
  paged.limit = 2;
  auto first = query(paged);
  ASSERT_EQ(first.records.size(), 2u);
  ASSERT_TRUE(first.next);
  paged.after = first.next;
  auto second = query(paged);
  ASSERT_EQ(second.records.size(), 2u);
  EXPECT_EQ(second.records.front().sequence, 3u);
  paged.after = second.next;
  auto last = query(paged);
  EXPECT_EQ(last.records.size(), 1u);
  EXPECT_FALSE(last.next);
}

TEST_F(AuditLogTest, QueuedRecordsAreSeenAndSurviveARestart) {
  log.record(write_by("aaaaaaaaaaaa"));
  log.record(write_by("bbbbbbbbbbbb"));
  EXPECT_EQ(actors(query({})), (std::vector<std::string>{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}));
  AuditLog reopened(*store, clock);
  ASSERT_TRUE(reopened.restore().ok());
  reopened.record(write_by("cccccccccccc"));
  auto page = reopened.query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 3u);
  EXPECT_EQ(page->records.back().sequence, 3u);  // sequences go on after a restart
  EXPECT_EQ(page->records.front().path, "/ngsi-ld/v1/entities/urn:x/attrs");
  EXPECT_EQ(page->records.front().status, 204);
}

TEST_F(AuditLogTest, DeviceMessagesAreSummarisedPerIdentityAndInterval) {
  AuditRecord measure = write_by("device:s1");
  measure.method = "MQTT PUBLISH";
  measure.path = "/{apikey}/s1/attrs";
  measure.device = "s1";
  measure.status = 200;
  AuditRecord refused = measure;
  refused.status = 400;
  const std::int64_t opened = clock.micros;
  for (int i = 0; i < 5; ++i) {
    log.tally(measure);
    clock.micros += kSecond;
  }
  log.tally(refused);
  // Flushing before summary_interval has passed records nothing.
  ASSERT_TRUE(log.flush().ok());
  AuditLog other_view(*store, clock);
  ASSERT_TRUE(other_view.restore().ok());
  EXPECT_TRUE(other_view.query({})->records.empty());
  // Once the interval has passed since a summary opened, the worker's flush records it.
  clock.micros = opened + 65 * kSecond;
  ASSERT_TRUE(log.flush().ok());
  AuditLog reopened(*store, clock);
  ASSERT_TRUE(reopened.restore().ok());
  auto page = reopened.query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 2u);
  const AuditRecord& ok = page->records[0].status == 200 ? page->records[0] : page->records[1];
  const AuditRecord& bad = page->records[0].status == 200 ? page->records[1] : page->records[0];
  EXPECT_EQ(ok.count, 5u);
  EXPECT_EQ(ok.since.micros, opened);
  EXPECT_EQ(ok.time.micros, opened + 65 * kSecond);
  EXPECT_EQ(ok.device, "s1");
  EXPECT_EQ(bad.count, 1u);
  EXPECT_EQ(bad.since.micros, opened + 5 * kSecond);
  // A new message opens a new summary; a query closes it at once.
  log.tally(measure);
  auto now = query({});
  ASSERT_EQ(now.records.size(), 3u);
  EXPECT_EQ(now.records.back().count, 1u);
  EXPECT_EQ(now.records.back().since, now.records.back().time);
  // A single request keeps the short stored form: count 1, since = time.
  log.record(write_by("aaaaaaaaaaaa"));
  auto single = query({}).records.back();
  EXPECT_EQ(single.count, 1u);
  EXPECT_EQ(single.since, single.time);
}

TEST_F(AuditLogTest, TooManyOpenSummariesAreClosedEarly) {
  AuditOptions few;
  few.max_summaries = 3;
  AuditLog bounded(*store, clock, few);
  for (int device = 0; device < 4; ++device) {
    AuditRecord measure = write_by("device:d" + std::to_string(device));
    measure.device = "d" + std::to_string(device);
    bounded.tally(measure);
  }
  ASSERT_TRUE(bounded.flush().ok());  // the first three were closed when the fourth came
  AuditLog reopened(*store, clock);
  ASSERT_TRUE(reopened.restore().ok());
  EXPECT_EQ(reopened.query({})->records.size(), 3u);
}

TEST_F(AuditLogTest, OldestBatchesAreErasedPastTheLimits) {
  AuditOptions small;
  small.max_records = 4;
  small.max_age = std::chrono::hours(1);
  AuditLog bounded(*store, clock, small);
  for (int i = 0; i < 6; ++i) {
    bounded.record(write_by("k" + std::to_string(i)));
    ASSERT_TRUE(bounded.flush().ok());
  }
  auto kept = bounded.query({});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(actors(*kept), (std::vector<std::string>{"k2", "k3", "k4", "k5"}));
  EXPECT_EQ(store->list_documents("audit.log")->size(), 4u);
  clock.micros += 2 * 3600 * kSecond;
  bounded.record(write_by("late"));
  auto aged = bounded.query({});
  ASSERT_TRUE(aged.ok());
  EXPECT_EQ(actors(*aged), (std::vector<std::string>{"late"}));
}

TEST_F(AuditLogTest, BackgroundFlushWritesWithoutAQuery) {
  AuditOptions fast;
  fast.flush_interval = std::chrono::milliseconds(5);
  AuditLog background(*store, clock, fast);
  background.start();
  background.record(write_by("aaaaaaaaaaaa"));
  background.stop();  // stopping flushes what waits
  auto stored = store->list_documents("audit.log");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_NE(stored->front().second.find("aaaaaaaaaaaa"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::security
