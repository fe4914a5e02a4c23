// The broker's session journal in the store: batched document writes (DocumentJournal) and
// the layout of persistent sessions and their messages (StoreSessionPersistence).
#include "mqtt_sessions.hpp"

#include <gtest/gtest.h>

#include <future>

#include "citytwin/store/memory_store.hpp"
#include "document_journal.hpp"

namespace citytwin::server {
namespace {

// Waits for `mark` through when_durable().
template <class Journal>
Status durable(Journal& journal, std::uint64_t mark) {
  std::promise<Status> done;
  journal.when_durable(mark, [&done](Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

std::optional<std::string> document(store::EntityStore& store, std::string_view ns,
                                    std::string_view key) {
  auto value = store.get_document(ns, key);
  EXPECT_TRUE(value.ok());
  return value.ok() ? *value : std::nullopt;
}

// A lazy change nobody waits for: only its delay (an hour here) or the next batch writes it.
constexpr DocumentJournalOptions kLazyForAnHour{std::chrono::hours(1)};

TEST(DocumentJournal, WritesBeforeReportingDurable) {
  auto store = store::make_memory_store();
  DocumentJournal journal(*store, kLazyForAnHour);
  std::uint64_t first = journal.put("ns", "a", "1");
  std::uint64_t second = journal.put("ns", "a", "2");  // coalesced: the last wins
  EXPECT_LT(first, second);
  ASSERT_TRUE(durable(journal, second).ok());
  EXPECT_EQ(document(*store, "ns", "a"), "2");
  ASSERT_TRUE(durable(journal, first).ok());  // already durable: answered at once
}

TEST(DocumentJournal, LazyErasesRideOnTheNextBatch) {
  auto store = store::make_memory_store();
  DocumentJournal journal(*store, kLazyForAnHour);
  ASSERT_TRUE(durable(journal, journal.put("ns", "a", "1")).ok());
  journal.erase("ns", "a", /*lazy=*/true);
  EXPECT_EQ(document(*store, "ns", "a"), "1");  // not written on its own
  ASSERT_TRUE(durable(journal, journal.put("ns", "b", "2")).ok());
  EXPECT_EQ(document(*store, "ns", "a"), std::nullopt);
  journal.erase("ns", "b", /*lazy=*/true);
  ASSERT_TRUE(journal.flush().ok());  // flush writes lazy changes too
  EXPECT_EQ(document(*store, "ns", "b"), std::nullopt);
}

TEST(DocumentJournal, WritesWhatIsQueuedWhenDestroyed) {
  auto store = store::make_memory_store();
  {
    DocumentJournal journal(*store, kLazyForAnHour);
    ASSERT_TRUE(durable(journal, journal.put("ns", "a", "1")).ok());
    journal.erase("ns", "a", /*lazy=*/true);
  }
  EXPECT_EQ(document(*store, "ns", "a"), std::nullopt);
}

mqtt::SavedSession session_of(std::string client_id) {
  mqtt::SavedSession session;
  session.client_id = std::move(client_id);
  session.expiry_s = 3600;
  session.subscriptions.push_back({"/k/dev/cmd", 1, false, false});
  return session;
}

mqtt::SavedSession::QueuedMessage message_of(std::string payload, std::uint64_t sequence) {
  return {"/k/dev/cmd", std::move(payload), 1, false, sequence};
}

TEST(StoreSessionPersistence, KeepsSessionsAndMessagesInOrder) {
  auto store = store::make_memory_store();
  {
    StoreSessionPersistence journal(*store, kLazyForAnHour);
    journal.put_session(session_of("dev"));
    journal.put_session(session_of("other"));
    // Binary payloads, and more than 16 messages (sequences sort as fixed-width hex).
    for (std::uint64_t sequence = 1; sequence <= 20; ++sequence) {
      journal.put_message(
          "dev", message_of(std::string("\0\xff", 2) + std::to_string(sequence), sequence));
    }
    journal.erase_message("dev", 2);
    ASSERT_TRUE(journal.flush().ok());
  }
  StoreSessionPersistence reopened(*store);
  auto saved = reopened.load();
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->size(), 2u);
  const auto& dev = (*saved)[0];
  EXPECT_EQ(dev.client_id, "dev");
  EXPECT_EQ(dev.expiry_s, 3600u);
  ASSERT_EQ(dev.subscriptions.size(), 1u);
  EXPECT_EQ(dev.subscriptions[0].filter, "/k/dev/cmd");
  ASSERT_EQ(dev.messages.size(), 19u);
  EXPECT_EQ(dev.messages[0].sequence, 1u);
  EXPECT_EQ(dev.messages[1].sequence, 3u);
  EXPECT_EQ(dev.messages[18].sequence, 20u);
  EXPECT_EQ(dev.messages[18].payload, std::string("\0\xff", 2) + "20");
  EXPECT_TRUE((*saved)[1].messages.empty());
}

TEST(StoreSessionPersistence, ErasingASessionErasesItsMessages) {
  auto store = store::make_memory_store();
  StoreSessionPersistence journal(*store);
  journal.put_session(session_of("dev"));
  journal.put_message("dev", message_of("a", 1));
  ASSERT_TRUE(durable(journal, journal.erase_session("dev")).ok());
  auto sessions = store->list_documents("mqtt.sessions");
  auto messages = store->list_documents("mqtt.messages");
  ASSERT_TRUE(sessions.ok() && messages.ok());
  EXPECT_TRUE(sessions->empty());
  EXPECT_TRUE(messages->empty());
}

TEST(StoreSessionPersistence, ReadsSessionsSavedBeforeTheJournalAndDropsOrphans) {
  auto store = store::make_memory_store();
  // A session saved at a clean stop by the previous version: messages inside its record.
  ASSERT_TRUE(store
                  ->put_document("mqtt.sessions", "old",
                                 R"({"clientId":"old","expiry":60,"subscriptions":[],)"
                                 R"("messages":[{"topic":"t","payload":"6869","qos":1,)"
                                 R"("retain":false}]})")
                  .ok());
  // A message whose session is gone (its erase not written before a crash).
  ASSERT_TRUE(store
                  ->put_document("mqtt.messages", std::string("gone\0", 5) + "0000000000000001",
                                 R"({"topic":"t","payload":"","qos":1,"retain":false})")
                  .ok());
  StoreSessionPersistence journal(*store);
  auto saved = journal.load();
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->size(), 1u);
  ASSERT_EQ((*saved)[0].messages.size(), 1u);
  EXPECT_EQ((*saved)[0].messages[0].payload, "hi");
  EXPECT_EQ((*saved)[0].messages[0].sequence, 0u);  // journaled anew by the broker
  ASSERT_TRUE(journal.flush().ok());
  auto messages = store->list_documents("mqtt.messages");
  ASSERT_TRUE(messages.ok());
  EXPECT_TRUE(messages->empty());
}

}  // namespace
}  // namespace citytwin::server
