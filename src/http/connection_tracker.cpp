#include "connection_tracker.hpp"

#include <vector>

namespace citytwin::http {

std::size_t ConnectionTracker::add(Closer close_idle) {
  std::lock_guard lock(mutex_);
  std::size_t id = next_id_++;
  connections_.emplace(id, std::move(close_idle));
  return id;
}

void ConnectionTracker::remove(std::size_t id, bool busy) {
  {
    std::lock_guard lock(mutex_);
    if (connections_.erase(id) == 0) return;
  }
  if (busy) set_busy(false);
}

void ConnectionTracker::set_busy(bool busy) {
  if (busy) {
    busy_count_.fetch_add(1);
    return;
  }
  if (busy_count_.fetch_sub(1) == 1 && shutting_down_.load()) became_idle();
}

// Under the mutex, so that a waiter between its check and its wait cannot miss the wake-up.
void ConnectionTracker::became_idle() {
  std::lock_guard lock(mutex_);
  idle_.notify_all();
}

std::size_t ConnectionTracker::count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void ConnectionTracker::begin_shutdown() {
  std::vector<Closer> closers;
  {
    std::lock_guard lock(mutex_);
    shutting_down_.store(true);
    for (auto& [id, close_idle] : connections_) closers.push_back(close_idle);
  }
  for (auto& close : closers) close();
}

void ConnectionTracker::wait_until_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  idle_.wait_for(lock, timeout, [this] { return busy_count_.load() == 0; });
}

}  // namespace citytwin::http
