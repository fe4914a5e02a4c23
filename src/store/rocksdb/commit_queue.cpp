#include "commit_queue.hpp"

#include <rocksdb/perf_level.h>

#include "citytwin/common/thread_name.hpp"
#include "status_mapping.hpp"

namespace citytwin::store::kv {

CommitQueue::CommitQueue(rocksdb::DB& db, rocksdb::WriteOptions options,
                         std::size_t max_group_bytes)
    : db_(db), options_(options), max_group_bytes_(max_group_bytes), thread_([this] { run(); }) {}

CommitQueue::~CommitQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  progress_.notify_all();
  thread_.join();
}

Result<std::uint64_t> CommitQueue::submit(const WritePlan& plan, const Fill& fill,
                                          AfterCommit after) {
  std::unique_lock lock(mutex_);
  progress_.wait(lock, [&] {
    return !failure_.ok() || stopping_ || open_group_.GetDataSize() < max_group_bytes_;
  });
  if (!failure_.ok()) return failure_.error();
  if (stopping_) return make_error(ErrorKind::kServiceUnavailable, "storage is shutting down");
  open_group_.SetSavePoint();
  Status filled = fill(open_group_, submitted_ + 1);
  if (!filled.ok()) {
    open_group_.RollbackToSavePoint().PermitUncheckedError();
    return std::move(filled).error();
  }
  open_group_.PopSavePoint().PermitUncheckedError();
  std::uint64_t sequence = ++submitted_;
  record_overlay(plan, sequence);
  open_after_.push_back(std::move(after));
  lock.unlock();
  work_.notify_one();
  return sequence;
}

std::uint64_t CommitQueue::last_submitted() const {
  std::lock_guard lock(mutex_);
  return submitted_;
}

Status CommitQueue::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

Status CommitQueue::wait_durable(std::uint64_t mark) {
  std::unique_lock lock(mutex_);
  progress_.wait(lock, [&] { return durable_ >= mark || !failure_.ok(); });
  return durable_ >= mark ? ok_status() : failure_;
}

void CommitQueue::when_durable(std::uint64_t mark, Done done) {
  std::unique_lock lock(mutex_);
  if (durable_ >= mark || !failure_.ok()) {
    Status outcome = durable_ >= mark ? ok_status() : failure_;
    lock.unlock();
    done(std::move(outcome));
    return;
  }
  waiters_.emplace(mark, std::move(done));
}

std::optional<std::optional<std::string>> CommitQueue::pending(Family family,
                                                               std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto found = overlay_.find(overlay_key(family, key));
  if (found == overlay_.end()) return std::nullopt;
  return found->second.value;
}

void CommitQueue::run() {
  name_this_thread("ct-commit");
  // RocksDB counts per-thread perf statistics by default (kEnableCount), which nothing here
  // reads: every memtable insert paid a dynamic-TLS lookup and update of the perf context
  // (~2 % of the commit thread's samples under the MQTT devices benchmark).
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !open_after_.empty(); });
    if (open_after_.empty()) return;  // stopping with nothing left to commit
    rocksdb::WriteBatch group = std::move(open_group_);
    open_group_.Clear();
    std::vector<AfterCommit> after = std::move(open_after_);
    open_after_.clear();
    std::uint64_t last = submitted_;
    Status earlier_failure = failure_;
    progress_.notify_all();  // the open group has room again
    lock.unlock();

    Status written =
        earlier_failure.ok() ? to_status(db_.Write(options_, &group), "commit") : earlier_failure;
    if (written.ok()) {
      for (AfterCommit& step : after) step();
    }

    lock.lock();
    std::vector<Done> finished;
    if (written.ok()) {
      durable_ = last;
      forget_overlay_through(last);
      auto end = waiters_.upper_bound(last);
      for (auto it = waiters_.begin(); it != end; ++it) finished.push_back(std::move(it->second));
      waiters_.erase(waiters_.begin(), end);
    } else {
      failure_ = written;
      overlay_.clear();
      for (auto& [mark, done] : waiters_) finished.push_back(std::move(done));
      waiters_.clear();
    }
    progress_.notify_all();
    lock.unlock();
    for (Done& done : finished) done(written);
    lock.lock();
  }
}

void CommitQueue::record_overlay(const WritePlan& plan, std::uint64_t sequence) {
  for (const KvWrite& write : plan.writes) {
    if (write.family != Family::kEntities && write.family != Family::kEntityMeta) continue;
    PendingValue& entry = overlay_[overlay_key(write.family, write.key)];
    entry.sequence = sequence;
    if (write.op == KvWrite::Op::kDelete) {
      entry.value.reset();
    } else {
      entry.value = write.value;
    }
  }
}

// Entries overwritten by a later, still pending write stay.
void CommitQueue::forget_overlay_through(std::uint64_t sequence) {
  std::erase_if(overlay_,
                [sequence](const auto& item) { return item.second.sequence <= sequence; });
}

std::string CommitQueue::overlay_key(Family family, std::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  out.push_back(static_cast<char>(index_of(family)));
  out.append(key);
  return out;
}

}  // namespace citytwin::store::kv
