#pragma once

#include "citytwin/http/write_barrier.hpp"
#include "citytwin/store/entity_store.hpp"

namespace citytwin::server {

// The HTTP server's write barrier over the entity store's deferred durability.
class StoreWriteBarrier final : public http::WriteBarrier {
 public:
  explicit StoreWriteBarrier(store::EntityStore& store) : store_(store) {}

  std::uint64_t mark() const override { return store_.write_mark(); }

  void when_durable(std::uint64_t mark, std::function<void(Status)> done) override {
    store_.when_durable(mark, std::move(done));
  }

 private:
  store::EntityStore& store_;
};

}  // namespace citytwin::server
