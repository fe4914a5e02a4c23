#pragma once

#include <chrono>

#include "citytwin/common/instant.hpp"

namespace citytwin {

// Source of the current time, injected so tests can fix it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return Instant{std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count()};
  }
};

}  // namespace citytwin
