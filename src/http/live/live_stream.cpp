#include "live_stream.hpp"

namespace citytwin::http {
namespace {

// WHATWG HTML 9.2.6: a line starting with ':' is a comment, ignored by EventSource.
constexpr std::string_view kHeartbeat = ": keep-alive\n\n";
constexpr std::string_view kResync = "event: resync\ndata: {}\n\n";

}  // namespace

LiveStream::LiveStream(std::string tenant, LiveFilter filter, std::size_t queue_limit,
                       SteadyTime deadline)
    : tenant_(std::move(tenant)),
      filter_(std::move(filter)),
      queue_limit_(std::max<std::size_t>(queue_limit, 1)),
      deadline_(deadline) {}

std::size_t LiveStream::push(std::string event) {
  std::unique_lock lock(mutex_);
  if (ended_) return 0;
  std::size_t dropped = 0;
  if (queue_.size() >= queue_limit_) {
    // Older events are worthless once some are missing: the client re-reads instead. The
    // resync goes out before whatever is queued after it, and takes no place in the queue,
    // so the changes that follow it are kept.
    dropped = queue_.size() + 1;
    queue_.clear();
    resync_ = true;
  } else {
    queue_.push_back(std::move(event));
  }
  quiet_ = false;
  wake(lock);
  return dropped;
}

void LiveStream::beat(SteadyTime now) {
  std::unique_lock lock(mutex_);
  if (ended_) return;
  if (now >= deadline_) {
    ended_ = true;
  } else if (quiet_ && queue_.empty() && !resync_) {
    queue_.emplace_back(kHeartbeat);
  }
  quiet_ = true;
  wake(lock);
}

void LiveStream::end() {
  std::unique_lock lock(mutex_);
  ended_ = true;
  wake(lock);
}

Result<std::optional<std::string>> LiveStream::next() {
  std::lock_guard lock(mutex_);
  if (queue_.empty() && !resync_) {
    if (ended_) return std::optional<std::string>();
    return std::optional<std::string>(std::string());  // woken spuriously: wait again
  }
  // Everything waiting goes in one chunk: fewer writes when a burst arrives.
  std::string piece(resync_ ? kResync : "");
  resync_ = false;
  for (auto& event : queue_) piece += event;
  queue_.clear();
  return std::optional<std::string>(std::move(piece));
}

void LiveStream::wait(std::function<void()> ready) {
  std::unique_lock lock(mutex_);
  ready_ = std::move(ready);
  if (!queue_.empty() || resync_ || ended_) wake(lock);
}

void LiveStream::cancel() {
  std::function<void()> dropped;
  std::lock_guard lock(mutex_);
  dropped.swap(ready_);
  ended_ = true;
}

void LiveStream::wake(std::unique_lock<std::mutex>& lock) {
  if (!ready_) return;
  std::function<void()> ready;
  ready.swap(ready_);
  lock.unlock();
  ready();
  lock.lock();
}

}  // namespace citytwin::http
