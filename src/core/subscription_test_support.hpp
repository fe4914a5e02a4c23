#pragma once

// Shared by the subscription unit tests: a real @context resolver without network access, a
// manual clock and a sender that records what it is asked to send.
#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/core/notification_sender.hpp"
#include "citytwin/core/subscription.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"

namespace citytwin::core::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start = Instant{1'800'000'000'000'000}) : now_(start) {}
  Instant now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance_seconds(double seconds) {
    std::lock_guard lock(mutex_);
    now_.micros += static_cast<std::int64_t>(seconds * 1e6);
  }

 private:
  mutable std::mutex mutex_;
  Instant now_;
};

class NoLoader final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view url) override {
    return make_error(ErrorKind::kLdContextNotAvailable,
                      "no network in tests: " + std::string(url));
  }
};

// The NGSI-LD core context plus inline test terms ({"Streetlight": "https://example.org/..."}).
class Contexts {
 public:
  Contexts() : registry_({}, clock_) {
    resolver_ = jsonld::ContextResolver::create(registry_, loader_).value();
  }
  ContextResolveFn resolve_fn() {
    return [this](const boost::json::value& context) { return resolver_->resolve(context); };
  }
  std::shared_ptr<const jsonld::Context> resolve(const boost::json::value& context) {
    return *resolver_->resolve(context);
  }
  // An inline @context defining short names under https://example.org/.
  static boost::json::value example() {
    return boost::json::parse(R"({"Streetlight": "https://example.org/Streetlight",
      "Lamp": "https://example.org/Lamp",
      "power": "https://example.org/power", "level": "https://example.org/level",
      "ref": "https://example.org/ref"})");
  }

 private:
  ManualClock clock_;
  NoLoader loader_;
  jsonld::ContextRegistry registry_;
  std::unique_ptr<jsonld::ContextResolver> resolver_;
};

// Records every notification; fails while `failing` is set.
class RecordingSender final : public NotificationSender {
 public:
  Status send(const OutgoingNotification& notification) override {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (failing_) return make_error(ErrorKind::kServiceUnavailable, "receiver down");
    sent_.push_back(notification);
    sent_.back().completion.reset();  // a real receiver keeps nothing of the notifier's
    changed_.notify_all();
    return ok_status();
  }
  void set_failing(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  // Waits up to 5 s for at least `count` delivered notifications.
  std::vector<OutgoingNotification> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return sent_.size() >= count; });
    return sent_;
  }
  std::size_t attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<OutgoingNotification> sent_;
  std::size_t attempts_ = 0;
  bool failing_ = false;
};

}  // namespace citytwin::core::testing
