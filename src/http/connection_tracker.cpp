#include "connection_tracker.hpp"

#include <vector>

namespace citytwin::http {

std::size_t ConnectionTracker::add(Closer close_idle) {
  std::lock_guard lock(mutex_);
  std::size_t id = next_id_++;
  connections_.emplace(id, Entry{std::move(close_idle), false});
  return id;
}

void ConnectionTracker::remove(std::size_t id) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (it->second.busy) --busy_count_;
  connections_.erase(it);
  idle_.notify_all();
}

void ConnectionTracker::set_busy(std::size_t id, bool busy) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second.busy == busy) return;
  it->second.busy = busy;
  busy ? ++busy_count_ : --busy_count_;
  idle_.notify_all();
}

std::size_t ConnectionTracker::count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

bool ConnectionTracker::shutting_down() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

void ConnectionTracker::begin_shutdown() {
  std::vector<Closer> closers;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& [id, entry] : connections_) closers.push_back(entry.close_idle);
  }
  for (auto& close : closers) close();
}

void ConnectionTracker::wait_until_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  idle_.wait_for(lock, timeout, [this] { return busy_count_ == 0; });
}

}  // namespace citytwin::http
