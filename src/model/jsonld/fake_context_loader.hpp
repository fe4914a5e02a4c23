#pragma once

// A ContextLoader for tests: serves documents from a map and records every request.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "citytwin/common/clock.hpp"
#include "citytwin/model/context_loader.hpp"

namespace citytwin::jsonld::testing {

class FakeContextLoader final : public ContextLoader {
 public:
  void serve(std::string url, std::string document) {
    documents_[std::move(url)] = std::move(document);
  }

  Result<std::string> load(std::string_view url) override {
    std::lock_guard lock(mutex_);
    requests_.emplace_back(url);
    auto it = documents_.find(std::string(url));
    if (it == documents_.end()) {
      return make_error(ErrorKind::kLdContextNotAvailable,
                        "cannot load " + std::string(url) + ": unreachable");
    }
    return it->second;
  }

  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::map<std::string, std::string> documents_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
};

// A Clock a test sets by hand.
class FakeClock final : public Clock {
 public:
  Instant now() const override { return now_; }
  void advance_micros(std::int64_t micros) { now_.micros += micros; }

 private:
  Instant now_{1'800'000'000'000'000};
};

}  // namespace citytwin::jsonld::testing
