#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "citytwin/http/live_events.hpp"
#include "citytwin/http/response.hpp"

namespace citytwin::http {

// One client's Server-Sent Events stream: a bounded queue of rendered events between the
// change feed (push) and the connection (next, when the session is ready to write).
class LiveStream final : public BodyStream {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  LiveStream(std::string tenant, LiveFilter filter, std::size_t queue_limit, SteadyTime deadline);

  const std::string& tenant() const { return tenant_; }
  const LiveFilter& filter() const { return filter_; }

  // Queues one event. When the queue is full, the waiting events and this one are dropped
  // for a resync event instead; returns how many were dropped (0: queued).
  std::size_t push(std::string event);
  // A comment line if nothing was written since the last beat; ends the stream past its
  // deadline.
  void beat(SteadyTime now);
  // No more events: next() returns the end once the queue is written.
  void end();

  // BodyStream.
  Result<std::optional<std::string>> next() override;
  bool event_driven() const override { return true; }
  void wait(std::function<void()> ready) override;
  void cancel() override;

 private:
  // Calls a waiting `ready` (outside the lock).
  void wake(std::unique_lock<std::mutex>& lock);

  const std::string tenant_;
  const LiveFilter filter_;
  const std::size_t queue_limit_;
  const SteadyTime deadline_;

  std::mutex mutex_;
  std::deque<std::string> queue_;
  bool resync_ = false;  // events were dropped: a resync event goes out next
  bool ended_ = false;
  bool quiet_ = true;  // nothing queued since the last beat
  std::function<void()> ready_;
};

}  // namespace citytwin::http
