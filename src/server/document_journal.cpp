#include "document_journal.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "citytwin/common/thread_name.hpp"

namespace citytwin::server {

DocumentJournal::DocumentJournal(store::EntityStore& store, DocumentJournalOptions options)
    : store_(store), options_(options), thread_([this] { run(); }) {}

DocumentJournal::~DocumentJournal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::uint64_t DocumentJournal::put(std::string ns, std::string key, std::string value) {
  return queue(std::move(ns), std::move(key), std::move(value), false);
}

std::uint64_t DocumentJournal::erase(std::string ns, std::string key, bool lazy) {
  return queue(std::move(ns), std::move(key), std::nullopt, lazy);
}

std::uint64_t DocumentJournal::queue(std::string ns, std::string key,
                                     std::optional<std::string> value, bool lazy) {
  std::lock_guard lock(mutex_);
  queued_.insert_or_assign({std::move(ns), std::move(key)}, std::move(value));
  std::uint64_t mark = ++submitted_;
  if (!lazy) {
    urgent_ = true;
    wake_.notify_one();
  } else if (!lazy_since_) {
    lazy_since_ = std::chrono::steady_clock::now();
    wake_.notify_one();  // the writer sets its deadline
  }
  return mark;
}

void DocumentJournal::when_durable(std::uint64_t mark, std::function<void(Status)> done) {
  std::unique_lock lock(mutex_);
  if (mark <= durable_ || !failure_.ok()) {
    Status status = failure_;
    lock.unlock();
    done(std::move(status));
    return;
  }
  waiters_.emplace(mark, std::move(done));
  urgent_ = true;  // someone waits: a lazy change becomes due now
  wake_.notify_one();
}

Status DocumentJournal::flush() {
  std::mutex mutex;
  std::condition_variable written;
  std::optional<Status> result;
  std::uint64_t mark = 0;
  {
    std::lock_guard lock(mutex_);
    mark = submitted_;
  }
  when_durable(mark, [&](Status status) {
    std::lock_guard lock(mutex);
    result = std::move(status);
    written.notify_all();
  });
  std::unique_lock lock(mutex);
  written.wait(lock, [&] { return result.has_value(); });
  return *result;
}

bool DocumentJournal::batch_due(std::chrono::steady_clock::time_point now) const {
  if (queued_.empty()) return !waiters_.empty() && urgent_;
  return urgent_ || stopping_ || (lazy_since_ && now - *lazy_since_ >= options_.lazy_delay);
}

void DocumentJournal::run() {
  name_this_thread("ct-doc-journal");
  std::unique_lock lock(mutex_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    if (!batch_due(now)) {
      if (stopping_) break;
      if (lazy_since_) {
        wake_.wait_until(lock, *lazy_since_ + options_.lazy_delay);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    std::vector<store::DocumentChange> batch;
    batch.reserve(queued_.size());
    for (auto& [where, value] : queued_) {
      batch.push_back(store::DocumentChange{where.first, where.second, std::move(value)});
    }
    queued_.clear();
    urgent_ = false;
    lazy_since_.reset();
    std::uint64_t end = submitted_;
    bool failed_before = !failure_.ok();
    lock.unlock();
    Status status = failed_before ? Status(make_error(ErrorKind::kServiceUnavailable,
                                                      "an earlier session journal write failed"))
                                  : store_.write_documents(batch);
    if (!status.ok() && !failed_before) {
      spdlog::error("document journal: write failed: {}", status.error().detail);
    }
    lock.lock();
    if (!status.ok() && failure_.ok()) failure_ = status;
    durable_ = end;
    std::vector<std::function<void(Status)>> ready;
    auto last = waiters_.upper_bound(durable_);
    for (auto it = waiters_.begin(); it != last; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), last);
    Status reported = failure_;
    lock.unlock();
    for (auto& done : ready) done(reported);
    lock.lock();
  }
  // Stopping with nothing queued: a waiter left now has a mark nothing will write.
  auto left = std::move(waiters_);
  waiters_.clear();
  lock.unlock();
  for (auto& [mark, done] : left) {
    done(make_error(ErrorKind::kServiceUnavailable, "the document journal stopped"));
  }
}

}  // namespace citytwin::server
