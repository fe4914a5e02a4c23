#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "citytwin/mqtt/broker.hpp"
#include "citytwin/store/entity_store.hpp"
#include "document_journal.hpp"

namespace citytwin::server {

// The built-in broker's persistent sessions in the store (docs/mqtt.md, "Sessions"),
// journaled as they change so that they survive kill -9 and power loss:
//   mqtt.sessions  client id                      -> {clientId, expiry, subscriptions}
//   mqtt.messages  client id \0 16 hex sequence   -> one QoS 1/2 message owed to the client
// One document per message, so queueing one costs one small put, not a rewrite of the
// session's queue. Writes go through a DocumentJournal (batched, one fsync per batch).
// Payloads are hex-encoded (they are binary).
class StoreSessionPersistence : public mqtt::SessionPersistence {
 public:
  explicit StoreSessionPersistence(store::EntityStore& store, DocumentJournalOptions options = {})
      : store_(store), journal_(store, options) {}

  Result<std::vector<mqtt::SavedSession>> load() override;
  std::uint64_t put_session(const mqtt::SavedSession& session) override;
  std::uint64_t erase_session(const std::string& client_id) override;
  std::uint64_t put_message(const std::string& client_id,
                            const mqtt::SavedSession::QueuedMessage& message) override;
  void erase_message(const std::string& client_id, std::uint64_t sequence) override;
  void when_durable(std::uint64_t mark, std::function<void(Status)> done) override;
  Status flush() override;

 private:
  store::EntityStore& store_;
  DocumentJournal journal_;
  std::mutex mutex_;
  // The sequences of each client's messages in the journal, so that ending a session
  // erases them without scanning the namespace.
  std::map<std::string, std::set<std::uint64_t>> messages_;
};

}  // namespace citytwin::server
