#pragma once

#include <cstdint>
#include <functional>

#include "citytwin/common/result.hpp"

namespace citytwin::http {

// What the server waits for before answering a request that may have written: handlers
// order their writes without waiting for the disk, and the response leaves only once every
// write ordered before the handler returned is durable. A write that turns out lost turns
// the response into a 503, so nothing is acknowledged that a crash could take back.
class WriteBarrier {
 public:
  virtual ~WriteBarrier() = default;
  // A mark covering every write ordered so far.
  virtual std::uint64_t mark() const = 0;
  // Calls `done` (on any thread, possibly at once) when everything up to `mark` is durable
  // or known lost.
  virtual void when_durable(std::uint64_t mark, std::function<void(Status)> done) = 0;
};

}  // namespace citytwin::http
