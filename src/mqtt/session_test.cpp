// Session bookkeeping: bounded queue, in-flight window, packet identifiers, QoS 1/2
// acknowledgement stages, resend order, expiry (MQTT 5.0 clauses 4.1, 4.3, 4.4).
#include "session.hpp"

#include <gtest/gtest.h>

#include "test_session_journal.hpp"

namespace citytwin::mqtt {
namespace {

Message message(std::uint8_t qos, std::string topic = "t") {
  Message m;
  m.topic = std::move(topic);
  m.payload = std::make_shared<const std::string>("p");
  m.qos = qos;
  return m;
}

TEST(Session, OfflineKeepsOnlyQos1And2UpToTheLimit) {
  Session session("c");
  EXPECT_FALSE(session.enqueue(message(0), 10));
  EXPECT_TRUE(session.enqueue(message(1), 2));
  EXPECT_TRUE(session.enqueue(message(2), 2));
  EXPECT_FALSE(session.enqueue(message(1), 2));  // bounded
  EXPECT_EQ(session.queued(), 2u);
}

TEST(Session, WakesTheOwnerOncePerBatch) {
  Session session("c");
  int wakes = 0;
  session.attach(7, [&] { ++wakes; });
  EXPECT_TRUE(session.enqueue(message(0), 10));
  EXPECT_TRUE(session.enqueue(message(0), 10));
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(session.next_batch(7, 10, 10).size(), 2u);
  EXPECT_TRUE(session.enqueue(message(0), 10));
  EXPECT_EQ(wakes, 2);
}

TEST(Session, InflightWindowAndIdentifiers) {
  Session session("c");
  session.attach(1, [] {});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(session.enqueue(message(1), 10));
  auto first = session.next_batch(1, 3, 10);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].packet_id, 1);
  EXPECT_EQ(first[1].packet_id, 2);
  EXPECT_EQ(first[2].packet_id, 3);
  EXPECT_TRUE(session.next_batch(1, 3, 10).empty());  // window full
  EXPECT_TRUE(session.on_puback(2));
  EXPECT_FALSE(session.on_puback(2));
  auto second = session.next_batch(1, 3, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].packet_id, 4);
  EXPECT_TRUE(session.next_batch(2, 3, 10).empty());  // not the owner
}

TEST(Session, Qos0PassesAFullWindow) {
  Session session("c");
  session.attach(1, [] {});
  ASSERT_TRUE(session.enqueue(message(1), 10));
  ASSERT_TRUE(session.enqueue(message(0), 10));
  EXPECT_EQ(session.next_batch(1, 1, 10).size(), 2u);
}

TEST(Session, Qos2StagesAndResend) {
  Session session("c");
  session.attach(1, [] {});
  ASSERT_TRUE(session.enqueue(message(2, "a"), 10));
  ASSERT_TRUE(session.enqueue(message(1, "b"), 10));
  auto sent = session.next_batch(1, 10, 10);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_FALSE(session.on_pubcomp(sent[0].packet_id));  // PUBREC first
  EXPECT_FALSE(session.on_pubrec(sent[1].packet_id));   // QoS 1 has no PUBREC
  EXPECT_TRUE(session.on_pubrec(sent[0].packet_id));
  EXPECT_TRUE(session.detach(1, std::chrono::steady_clock::now()));
  session.attach(2, [] {});
  auto again = session.unacknowledged();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(again[0].pubrel);  // PUBREC seen: PUBREL is resent, not the PUBLISH
  EXPECT_FALSE(again[1].pubrel);
  EXPECT_TRUE(again[1].dup);
  EXPECT_EQ(again[1].message.topic, "b");
  EXPECT_TRUE(session.on_pubcomp(sent[0].packet_id));
  EXPECT_TRUE(session.on_puback(sent[1].packet_id));
  EXPECT_EQ(session.inflight(), 0u);
}

TEST(Session, DetachByAnOldOwnerIsIgnored) {
  Session session("c");
  session.attach(1, [] {});
  session.attach(2, [] {});  // taken over
  EXPECT_FALSE(session.detach(1, std::chrono::steady_clock::now()));
  EXPECT_TRUE(session.attached());
}

TEST(Session, DetachDropsQueuedQos0AndExpires) {
  Session session("c");
  session.attach(1, [] {});
  ASSERT_TRUE(session.enqueue(message(0), 10));
  ASSERT_TRUE(session.enqueue(message(1), 10));
  session.set_expiry(10);
  auto now = std::chrono::steady_clock::now();
  ASSERT_TRUE(session.detach(1, now));
  EXPECT_EQ(session.queued(), 1u);
  EXPECT_FALSE(session.expired(now + std::chrono::seconds(9)));
  EXPECT_TRUE(session.expired(now + std::chrono::seconds(10)));
}

TEST(Session, DeferredWillIsCancelledWhenTheClientReturns) {
  Session session("c");
  session.attach(1, [] {});
  ASSERT_TRUE(session.detach(1, std::chrono::steady_clock::now()));
  auto first = session.defer_will();
  EXPECT_FALSE(first->load());
  session.attach(2, [] {});
  EXPECT_TRUE(first->load());
  auto second = session.defer_will();
  session.cancel_deferred_will();
  EXPECT_TRUE(second->load());
}

TEST(Session, InboundQos2Identifiers) {
  Session session("c");
  EXPECT_FALSE(session.inbound_qos2_seen(5));
  session.remember_inbound_qos2(5);
  EXPECT_TRUE(session.inbound_qos2_seen(5));
  EXPECT_TRUE(session.forget_inbound_qos2(5));
  EXPECT_FALSE(session.forget_inbound_qos2(5));
}

// The journal of a persistent session (docs/mqtt.md, "Sessions").
TEST(Session, JournalsQos1And2MessagesUntilAcknowledged) {
  TestSessionJournal journal;
  Session session("c");
  session.set_expiry(60);
  EXPECT_GT(session.start_journal(journal), 0u);
  EXPECT_EQ(journal.sessions(), 1u);
  session.attach(7, [] {});
  std::uint64_t mark = 0;
  EXPECT_TRUE(session.enqueue(message(0), 10, &mark));
  EXPECT_EQ(mark, 0u);  // QoS 0 is never kept
  EXPECT_TRUE(session.enqueue(message(1), 10, &mark));
  EXPECT_GT(mark, 0u);
  EXPECT_TRUE(session.enqueue(message(2), 10, &mark));
  EXPECT_EQ(journal.messages("c"), 2u);
  auto batch = session.next_batch(7, 10, 10);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_TRUE(session.on_puback(batch[1].packet_id));
  EXPECT_EQ(journal.messages("c"), 1u);
  EXPECT_TRUE(session.on_pubrec(batch[2].packet_id));
  EXPECT_EQ(journal.messages("c"), 1u);  // until PUBCOMP: at least once, never lost
  EXPECT_TRUE(session.on_pubcomp(batch[2].packet_id));
  EXPECT_EQ(journal.messages("c"), 0u);
}

TEST(Session, StartingTheJournalWritesWhatItHolds) {
  TestSessionJournal journal;
  Session session("c");
  session.set_expiry(60);
  session.set_subscription("a/#", SubscriptionOptions{1, false, false});
  EXPECT_TRUE(session.enqueue(message(1), 10));
  EXPECT_TRUE(session.enqueue(message(1), 10));
  session.start_journal(journal);
  EXPECT_EQ(journal.messages("c"), 2u);
  auto saved = journal.load();
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->size(), 1u);
  EXPECT_EQ((*saved)[0].expiry_s, 60u);
  ASSERT_EQ((*saved)[0].subscriptions.size(), 1u);
  EXPECT_EQ((*saved)[0].subscriptions[0].filter, "a/#");
  EXPECT_LT((*saved)[0].messages[0].sequence, (*saved)[0].messages[1].sequence);
}

TEST(Session, RestoredMessagesAreNotWrittenAgainAndSequencesGoOn) {
  TestSessionJournal journal;
  Session session("c");
  session.set_expiry(60);
  session.start_journal(journal);
  Message restored = message(1);
  restored.sequence = 41;
  std::uint64_t mark = 0;
  EXPECT_TRUE(session.enqueue(restored, 10, &mark));
  EXPECT_EQ(mark, 0u);
  EXPECT_EQ(journal.messages("c"), 0u);
  EXPECT_TRUE(session.enqueue(message(1), 10));
  auto saved = journal.load();
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ((*saved)[0].messages.size(), 1u);
  EXPECT_EQ((*saved)[0].messages[0].sequence, 42u);
}

TEST(Session, AStoppedJournalIsNotWritten) {
  TestSessionJournal journal;
  Session session("c");
  session.set_expiry(60);
  session.start_journal(journal);
  session.attach(7, [] {});
  EXPECT_TRUE(session.enqueue(message(1), 10));
  auto batch = session.next_batch(7, 10, 10);
  session.stop_journal();
  EXPECT_FALSE(session.journaled());
  EXPECT_EQ(session.save_state(), 0u);
  EXPECT_TRUE(session.on_puback(batch[0].packet_id));
  EXPECT_EQ(journal.messages("c"), 1u);  // the new session of the client erases it, not this one
}

}  // namespace
}  // namespace citytwin::mqtt
