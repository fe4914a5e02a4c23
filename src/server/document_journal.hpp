#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "citytwin/store/entity_store.hpp"

namespace citytwin::server {

struct DocumentJournalOptions {
  // How long a lazy change (one nobody waits for) may stay unwritten when no other change
  // comes to carry it. Default 200 ms.
  std::chrono::milliseconds lazy_delay{200};
};

// Durable document writes for callers that must not wait for the disk (the MQTT broker's
// event loops, under its session locks): put()/erase() only queue the change and return its
// mark; one thread writes everything queued as one EntityStore::write_documents (one atomic
// write, one fsync) and then tells when_durable() waiters. Changes to one key coalesce while
// queued (the last wins). Lazy erases wait for the next batch or `lazy_delay`, so removals
// of acknowledged messages add no fsync of their own under load.
// After a failed write every later mark fails too (like the store's commit queue): the
// store needs a restart.
class DocumentJournal {
 public:
  DocumentJournal(store::EntityStore& store, DocumentJournalOptions options = {});
  ~DocumentJournal();  // writes what is queued, then stops
  DocumentJournal(const DocumentJournal&) = delete;
  DocumentJournal& operator=(const DocumentJournal&) = delete;

  std::uint64_t put(std::string ns, std::string key, std::string value);
  std::uint64_t erase(std::string ns, std::string key, bool lazy = false);
  // Calls `done` once every change up to `mark` is durable (OK) or failed: at once on this
  // thread when that is known, else on the journal's thread (so it must be quick).
  void when_durable(std::uint64_t mark, std::function<void(Status)> done);
  // Writes everything queued, lazy changes included; returns once durable.
  Status flush();

 private:
  std::uint64_t queue(std::string ns, std::string key, std::optional<std::string> value, bool lazy);
  void run();
  bool batch_due(std::chrono::steady_clock::time_point now) const;

  store::EntityStore& store_;
  const DocumentJournalOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Queued changes by (namespace, key); nullopt deletes.
  std::map<std::pair<std::string, std::string>, std::optional<std::string>> queued_;
  bool urgent_ = false;  // something queued is waited for (or not lazy)
  std::optional<std::chrono::steady_clock::time_point> lazy_since_;
  std::uint64_t submitted_ = 0;  // mark of the newest change
  std::uint64_t durable_ = 0;    // every change up to here is written
  Status failure_;
  std::multimap<std::uint64_t, std::function<void(Status)>> waiters_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin::server
