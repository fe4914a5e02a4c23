// Session bookkeeping: bounded queue, in-flight window, packet identifiers, QoS 1/2
// acknowledgement stages, resend order, expiry (MQTT 5.0 clauses 4.1, 4.3, 4.4).
#include "session.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace citytwin::mqtt
