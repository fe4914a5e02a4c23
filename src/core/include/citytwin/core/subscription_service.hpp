#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/json/object.hpp>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/change_listener.hpp"
#include "citytwin/core/change_observer.hpp"
#include "citytwin/core/notifier.hpp"
#include "citytwin/core/subscription.hpp"
#include "citytwin/core/subscription_index.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::core {

// Delivery figures of one subscription, for /metrics.
struct SubscriptionDelivery {
  std::string tenant;
  std::string id;
  DeliveryStats stats;
};

// Per subscription id, shared by the versions of a subscription (an update keeps it): its
// notifier queue, held so that a notification needs no lookup by key, and the throttling
// state. Held by Subscription::slot.
struct DeliverySlot {
  std::string key;  // tenant 0x1F id
  Notifier::Handle channel;
  // When it last notified (throttling, clause 5.2.12); read and written by the dispatcher
  // thread only.
  std::optional<Instant> last_notified;
};

struct SubscriptionPage {
  std::vector<boost::json::object> items;
  std::size_t total = 0;
};

// NGSI-LD subscriptions (GS CIM 009 V1.8.1 clauses 5.8 and 5.11): CRUD per tenant, durable in
// the store's document family ("subscriptions": the payload; "subscription-status": delivery
// statistics), and notification of matching changes.
//
// Changes arrive through ChangeListener once durable; a dispatcher thread puts them back in
// write order, matches them against the tenant's subscriptions (skipping paused and expired
// ones and those within their throttling period) and hands each notification to the Notifier,
// so writers never wait for matching or for receivers.
class SubscriptionService final : public ChangeListener {
 public:
  SubscriptionService(store::EntityStore& store, const Clock& clock, ContextResolveFn resolve,
                      NotificationSender& sender, NotifierOptions options = {});
  ~SubscriptionService() override;

  // Where periodic subscriptions (timeInterval) read the entities that match them (the
  // EntityService's query). Set before start(); without it periodic subscriptions stay silent.
  using EntitySource = std::function<Result<std::vector<boost::json::object>>(
      std::string_view tenant, const EntityQuery& query)>;
  void set_entity_source(EntitySource source);
  // Also shows every durable change, in write order, to `observer` (may be null; set before
  // start(), must outlive stop()).
  void set_observer(ChangeObserver* observer);

  // Loads the stored subscriptions (call before start()). A stored subscription that no longer
  // compiles (for example its @context became unavailable) is logged in the returned list of
  // problems and skipped, not fatal.
  Result<std::vector<std::string>> restore();
  void start();
  // Stops delivering; saves the notifications still queued (sent after the next restore())
  // and the delivery statistics.
  void stop();

  // Create Subscription (clause 5.8.1). `payload` without "@context"; `context` the request's
  // @context value. Returns the id. Errors: 400 for invalid payloads, 409 for a taken id.
  Result<std::string> create(std::string_view tenant, boost::json::object payload,
                             const boost::json::value& context);
  // Retrieve Subscription (clause 5.8.3), names compacted with `terms`.
  Result<boost::json::object> get(std::string_view tenant, std::string_view id,
                                  const jsonld::TermMapper& terms) const;
  // Query Subscriptions (clause 5.8.4), ordered by id.
  Result<SubscriptionPage> list(std::string_view tenant, std::size_t limit, std::size_t offset,
                                const jsonld::TermMapper& terms) const;
  // Update Subscription (clause 5.8.2): `fragment` names are expanded with `terms`.
  Status update(std::string_view tenant, std::string_view id, const boost::json::object& fragment,
                const jsonld::TermMapper& terms);
  // Delete Subscription (clause 5.8.5).
  Status remove(std::string_view tenant, std::string_view id);

  // Delivery statistics of every subscription.
  std::vector<SubscriptionDelivery> deliveries() const;
  // The changes between the writes and the dispatcher now, and the writes that waited for it
  // (NotifierOptions::dispatch_backlog) since start-up, with their total wait.
  struct DispatchBacklog {
    std::size_t changes = 0;
    std::uint64_t writer_waits = 0;
    double writer_wait_seconds = 0;
  };
  DispatchBacklog dispatch_backlog() const;

  // ChangeListener.
  bool wants(std::string_view tenant) const override;
  std::uint64_t next_sequence() override;
  std::optional<store::DocumentWrite> record(std::uint64_t sequence, std::string_view tenant,
                                             const std::vector<EntityChange>& changes,
                                             Instant at) override;
  void committed(std::uint64_t sequence, std::string tenant, std::vector<EntityChange> changes,
                 Instant at, bool durable) override;

 private:
  struct Batch {
    std::string tenant;
    std::vector<EntityChange> changes;
    Instant at;
    bool durable = false;
    std::string record_key;  // its record in the change outbox; empty: it has none
  };
  using Key = std::string;  // tenant '\x1f' id

  Status save(const Subscription& subscription);
  void save_stats(const Key& key, const DeliveryStats& stats);
  Status restore_outbox();
  void save_outbox();
  std::shared_ptr<const Subscription> find(std::string_view tenant, std::string_view id) const;
  boost::json::object render(const Subscription& subscription,
                             const jsonld::TermMapper& terms) const;
  void dispatch();
  void notify(const Batch& batch);
  void tick();
  void notify_periodic(const Subscription& subscription);
  void enqueue(const Subscription& subscription, const boost::json::object& body,
               std::shared_ptr<const void> completion = nullptr);
  std::string record_key(std::uint64_t sequence) const;
  Status replay_records();
  // Deletes the change records whose notifications are all handled (ticker thread).
  void delete_retired();

  // Notification ids (clause 5.3.1: unique URIs, not secrets): 16 hex digits drawn once from
  // std::random_device, then a counter, so ids are unique across runs without a random draw
  // per notification (two draws under a lock and their formatting were a tenth of the
  // dispatcher's instructions in bench/write_notify_bench). Used by the dispatcher and the
  // ticker.
  class NotificationIds {
   public:
    NotificationIds();
    // "urn:ngsi-ld:Notification:" and 32 lower-case hex digits: no character JSON escapes.
    std::string next();

   private:
    std::string prefix_;  // the URN prefix and this run's 16 random digits
    std::atomic<std::uint64_t> count_{0};
  };

  store::EntityStore& store_;
  const Clock& clock_;
  NotificationIds notification_ids_;
  ContextResolveFn resolve_;
  // Change records whose notifications are all handled, waiting to be deleted. Shared with
  // the completions in the notifier's queues (by weak reference: a completion released after
  // the service is gone does nothing).
  struct Retired {
    std::mutex mutex;
    std::vector<std::string> keys;
  };
  std::shared_ptr<Retired> retired_ = std::make_shared<Retired>();
  std::string run_prefix_;  // orders change records of this run after those of earlier runs
  unsigned nice_;           // NotifierOptions::nice, for the dispatcher and the ticker too
  Notifier notifier_;

  std::mutex mutations_mutex_;  // serializes create/update/remove (and their disk writes)
  mutable std::shared_mutex subscriptions_mutex_;
  // tenant -> id -> subscription; replaced, never changed in place, so readers may keep one.
  std::map<std::string, std::map<std::string, std::shared_ptr<const Subscription>>, std::less<>>
      subscriptions_;
  // tenant -> its change subscriptions indexed for matching (same lock, kept in step).
  std::map<std::string, SubscriptionIndex, std::less<>> indexes_;
  // Under subscriptions_mutex_ (exclusive): files `subscription` in both maps.
  void install(std::shared_ptr<const Subscription> subscription);
  // `subscription` ready to file: its endpoint built, `slot` attached.
  static std::shared_ptr<const Subscription> prepare(Subscription subscription,
                                                     std::shared_ptr<DeliverySlot> slot);

  mutable std::mutex incoming_mutex_;
  std::condition_variable incoming_ready_;
  std::map<std::uint64_t, Batch> incoming_;  // by sequence number
  std::uint64_t next_sequence_ = 0;          // handed out (guarded by incoming_mutex_)
  std::uint64_t next_dispatch_ = 0;          // the next one to dispatch
  // Back-pressure (NotifierOptions::dispatch_backlog): the changes in incoming_, and writers
  // waiting in committed() for the dispatcher to take some.
  std::size_t backlog_changes_ = 0;
  std::size_t backlog_limit_;
  unsigned room_waiters_ = 0;
  std::uint64_t writer_waits_ = 0;
  std::chrono::steady_clock::duration writer_waited_{};
  std::condition_variable incoming_room_;
  bool dispatching_ = false;  // the dispatcher runs (started, not returned)
  // Whether a writer that reported a change must wait: over the limit, and the dispatcher can
  // take the next batch (were it waiting for a gap, the gap's writer may be the one waiting).
  bool over_backlog() const;
  // Sequence numbers whose write carries a change record, until committed() (same lock).
  std::unordered_set<std::uint64_t> recorded_;
  bool stopping_ = false;
  std::thread dispatcher_;

  EntitySource entity_source_;
  ChangeObserver* observer_ = nullptr;
  std::thread ticker_;  // periodic subscriptions; stops with stopping_ (incoming_mutex_)
  std::condition_variable ticker_wake_;
  // Ticker thread only: when each periodic subscription is next due.
  std::map<Key, std::chrono::steady_clock::time_point> next_due_;
};

}  // namespace citytwin::core
