#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace citytwin::http {

// Knows the open connections and how many are busy, so shutdown can close idle ones at once
// and wait for busy ones to finish their request. A connection reports each change of its
// busy state (twice per request), and asks whether the server is shutting down: these take
// no lock; opening and closing a connection do.
class ConnectionTracker {
 public:
  using Closer = std::function<void()>;

  // Registers a connection; `close_idle` is posted to the connection's strand on shutdown.
  std::size_t add(Closer close_idle);
  // `busy`: the connection's last set_busy() said busy (it closes in the middle of a request).
  void remove(std::size_t id, bool busy);
  // A connection became busy (a request arrived) or idle (its response was written); calls
  // alternate per connection, starting with busy.
  void set_busy(bool busy);
  std::size_t count() const;
  std::size_t busy_count() const { return busy_count_.load(); }
  bool shutting_down() const { return shutting_down_.load(); }

  void begin_shutdown();
  // Blocks until no request is in flight or the timeout passes.
  void wait_until_idle(std::chrono::milliseconds timeout);

 private:
  void became_idle();

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_map<std::size_t, Closer> connections_;
  std::size_t next_id_ = 1;
  // Sequentially consistent: a connection that goes idle after begin_shutdown() either sees
  // the shutdown and wakes wait_until_idle(), or the waiter sees it idle.
  std::atomic<std::size_t> busy_count_{0};
  std::atomic<bool> shutting_down_{false};
};

}  // namespace citytwin::http
