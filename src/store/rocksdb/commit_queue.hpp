#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "citytwin/common/result.hpp"
#include "write_plan.hpp"

namespace citytwin::store::kv {

// Group commit with asynchronous acknowledgement. Writers append their batch to the open
// group and get a sequence number at once; one commit thread writes each group with a
// single DB::Write (one WAL append and, with sync, one fsync) and then reports the group
// durable. Compared with RocksDB's own write groups this needs no writer thread parked per
// write: an event loop can keep accepting requests while the disk works, and a group holds
// every write that arrived during the previous fsync.
//
// Until its group is written, a write is visible through pending() only (the overlay that
// makes read-modify-write of an entity see the newest state). Order: groups commit in
// sequence order, so durable_mark() covers every write up to it.
//
// A failed group write (disk full, I/O error) is sticky: that group and every later
// submission fail, because later writes may build on the lost ones.
class CommitQueue {
 public:
  // Writes a submission into the group's batch; gets the submission's sequence number.
  using Fill = std::function<Status(rocksdb::WriteBatch&, std::uint64_t sequence)>;
  using AfterCommit = std::function<void()>;
  using Done = std::function<void(Status)>;

  // `max_group_bytes`: when the open group holds this much, submit() waits (back-pressure
  // when the disk falls behind).
  CommitQueue(rocksdb::DB& db, rocksdb::WriteOptions options, std::size_t max_group_bytes);
  // Commits what is queued, then stops the commit thread.
  ~CommitQueue();
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  // Adds `plan` to the open group: `fill` writes it into the group's batch (all or nothing),
  // its entity documents and metas join the overlay, and `after` runs on the commit thread
  // once the group is durable. Returns the write's sequence number.
  Result<std::uint64_t> submit(const WritePlan& plan, const Fill& fill, AfterCommit after);

  std::uint64_t last_submitted() const;
  // OK, or the sticky failure of a group write.
  Status failure() const;
  // Blocks until every write up to `mark` is durable, or returns the failure.
  Status wait_durable(std::uint64_t mark);
  // See EntityStore::when_durable.
  void when_durable(std::uint64_t mark, Done done);

  // The newest not-yet-durable value of `key` in `family` (nullopt inside: deleted), or
  // nullopt when no pending write touches it. Only kEntities and kEntityMeta are tracked.
  std::optional<std::optional<std::string>> pending(Family family, std::string_view key) const;

 private:
  struct PendingValue {
    std::uint64_t sequence = 0;
    std::optional<std::string> value;
  };

  void run();
  void record_overlay(const WritePlan& plan, std::uint64_t sequence);
  void forget_overlay_through(std::uint64_t sequence);
  static std::string overlay_key(Family family, std::string_view key);

  rocksdb::DB& db_;
  const rocksdb::WriteOptions options_;
  const std::size_t max_group_bytes_;

  mutable std::mutex mutex_;
  std::condition_variable work_;      // the commit thread waits here for submissions
  std::condition_variable progress_;  // writers wait here for room or durability
  rocksdb::WriteBatch open_group_;
  std::vector<AfterCommit> open_after_;  // one per submission in the open group
  std::uint64_t submitted_ = 0;
  std::uint64_t durable_ = 0;
  Status failure_ = ok_status();
  std::multimap<std::uint64_t, Done> waiters_;
  std::unordered_map<std::string, PendingValue> overlay_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace citytwin::store::kv
