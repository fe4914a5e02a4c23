#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace citytwin::http {

// Knows the open connections and which are busy, so shutdown can close idle ones at once
// and wait for busy ones to finish their request.
class ConnectionTracker {
 public:
  using Closer = std::function<void()>;

  // Registers a connection; `close_idle` is posted to the connection's strand on shutdown.
  std::size_t add(Closer close_idle);
  void remove(std::size_t id);
  void set_busy(std::size_t id, bool busy);
  std::size_t count() const;
  bool shutting_down() const;

  void begin_shutdown();
  // Blocks until no request is in flight or the timeout passes.
  void wait_until_idle(std::chrono::milliseconds timeout);

 private:
  struct Entry {
    Closer close_idle;
    bool busy = false;
  };
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_map<std::size_t, Entry> connections_;
  std::size_t next_id_ = 1;
  std::size_t busy_count_ = 0;
  bool shutting_down_ = false;
};

}  // namespace citytwin::http
