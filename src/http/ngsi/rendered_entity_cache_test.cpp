#include "citytwin/http/rendered_entity_cache.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace citytwin::http {
namespace {

TEST(RenderedEntityCache, AnswersOnlyForTheDocumentItWasRenderedFrom) {
  RenderedEntityCache cache(1 << 20);
  EXPECT_FALSE(cache.find("k", "doc v1"));
  cache.store("k", "doc v1", "body v1", nullptr);
  EXPECT_EQ(cache.find("k", "doc v1"), "body v1");
  // The entity was written: its stored document differs, the old body is never served.
  EXPECT_FALSE(cache.find("k", "doc v2"));
  EXPECT_FALSE(cache.find("k", "doc v1 "));
  EXPECT_FALSE(cache.find("other", "doc v1"));
  cache.store("k", "doc v2", "body v2", nullptr);
  EXPECT_EQ(cache.find("k", "doc v2"), "body v2");
  EXPECT_FALSE(cache.find("k", "doc v1"));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.hits(), 2u);
}

// A reader that rendered an older document and stores late cannot bring the old body back
// for the current document.
TEST(RenderedEntityCache, ALateStoreOfAnOlderRenderingOnlyMisses) {
  RenderedEntityCache cache(1 << 20);
  cache.store("k", "doc v2", "body v2", nullptr);
  cache.store("k", "doc v1", "body v1", nullptr);  // the slow reader of v1
  EXPECT_FALSE(cache.find("k", "doc v2"));
}

TEST(RenderedEntityCache, StaysWithinItsCapacity) {
  const std::size_t capacity = 64 * 1024;
  RenderedEntityCache cache(capacity);
  const std::string document(300, 'd');
  const std::string body(300, 'b');
  for (int i = 0; i < 2000; ++i) cache.store("key" + std::to_string(i), document, body, nullptr);
  EXPECT_LE(cache.bytes(), capacity);
  EXPECT_GT(cache.entries(), 0u);
  EXPECT_LT(cache.entries(), 2000u);
  // The most recent entries are kept, the oldest evicted.
  EXPECT_EQ(cache.find("key1999", document), body);
  EXPECT_FALSE(cache.find("key0", document));
  // An entry larger than a shard's share is not kept at all.
  cache.store("huge", std::string(capacity, 'd'), body, nullptr);
  EXPECT_FALSE(cache.find("huge", std::string(capacity, 'd')));
}

TEST(RenderedEntityCache, CapacityZeroDisablesIt) {
  RenderedEntityCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.store("k", "d", "b", nullptr);
  EXPECT_FALSE(cache.find("k", "d"));
  EXPECT_EQ(cache.bytes(), 0u);
}

// The entry keeps what its key names by address alive, and lets go when it is replaced.
TEST(RenderedEntityCache, PinsWhatTheKeyNamesByAddress) {
  RenderedEntityCache cache(1 << 20);
  auto context = std::make_shared<int>(7);
  std::weak_ptr<int> watch = context;
  cache.store("k", "d", "b", context);
  context.reset();
  EXPECT_FALSE(watch.expired());
  cache.store("k", "d2", "b2", nullptr);
  EXPECT_TRUE(watch.expired());
}

// Readers and writers at once (run under TSan in CI): every hit is the body of the document
// asked for.
TEST(RenderedEntityCache, NeverMixesUpBodiesUnderConcurrency) {
  RenderedEntityCache cache(16 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = "k" + std::to_string(i % 50);
        const std::string version = std::to_string((i + t) % 7);
        const std::string document = key + " doc " + version;
        if (auto body = cache.find(key, document)) {
          EXPECT_EQ(*body, key + " body " + version);
        } else {
          cache.store(key, document, key + " body " + version, nullptr);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.bytes(), 16u * 1024);
}

}  // namespace
}  // namespace citytwin::http
