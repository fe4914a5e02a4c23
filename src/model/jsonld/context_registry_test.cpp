#include "citytwin/model/context_registry.hpp"

#include <map>

#include <gtest/gtest.h>

#include "citytwin/model/core_contexts.hpp"
#include "fake_context_loader.hpp"

namespace citytwin::jsonld {
namespace {

constexpr std::string_view kDocument = R"({"@context": {"a": "https://a.example/a"}})";

// Keeps saved entries in memory, like the store-backed implementation keeps them on disk.
class MemoryPersistence final : public ContextPersistence {
 public:
  Status save(const ContextEntry& entry) override {
    if (fail_) return make_error(ErrorKind::kInternalError, "disk full");
    saved_[entry.url] = entry;
    return ok_status();
  }
  Status remove(std::string_view url) override {
    saved_.erase(std::string(url));
    return ok_status();
  }
  Result<std::vector<ContextEntry>> load_all() override {
    std::vector<ContextEntry> out;
    for (const auto& [url, entry] : saved_) out.push_back(entry);
    return out;
  }
  void fail_saves() { fail_ = true; }
  std::size_t size() const { return saved_.size(); }

 private:
  std::map<std::string, ContextEntry> saved_;
  bool fail_ = false;
};

class ContextRegistryTest : public ::testing::Test {
 protected:
  ContextRegistryOptions options() { return ContextRegistryOptions{}; }

  testing::FakeClock clock_;
  MemoryPersistence persistence_;
};

TEST_F(ContextRegistryTest, CoreContextsAreListedAndCannotBeRemoved) {
  ContextRegistry registry(options(), clock_, &persistence_);
  auto cached = registry.list(ContextKind::kCached);
  EXPECT_EQ(cached.size(), core_context_files().size());
  auto core = registry.get(kDefaultCoreContextUrl);
  ASSERT_TRUE(core.ok());
  EXPECT_TRUE(core->core);
  EXPECT_EQ(core->local_id, "ngsi-ld-core-context-v1.8");
  Status removed = registry.remove(kDefaultCoreContextUrl);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(registry.remove("ngsi-ld-core-context-v1.8").error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(persistence_.size(), 0u);
}

TEST_F(ContextRegistryTest, AddGetListRemoveHosted) {
  ContextRegistry registry(options(), clock_, &persistence_);
  auto added = registry.add_hosted(kDocument);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->kind, ContextKind::kHosted);
  EXPECT_EQ(added->local_id.size(), 32u);
  EXPECT_EQ(added->url, "/ngsi-ld/v1/jsonldContexts/" + added->local_id);
  EXPECT_EQ(added->number_of_hits, 0u);

  clock_.advance_micros(1000);
  auto by_id = registry.get(added->local_id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->document, kDocument);
  auto by_url = registry.get(added->url);
  ASSERT_TRUE(by_url.ok());
  EXPECT_EQ(by_url->number_of_hits, 2u);
  EXPECT_EQ(by_url->last_usage, clock_.now());

  auto hosted = registry.list(ContextKind::kHosted);
  ASSERT_EQ(hosted.size(), 1u);
  EXPECT_EQ(hosted[0].url, added->url);
  EXPECT_TRUE(registry.list(ContextKind::kImplicitlyCreated).empty());
  EXPECT_EQ(registry.list().size(), core_context_files().size() + 1);

  boost::json::object details = context_entry_details(*by_url);
  EXPECT_EQ(details.at("URL").as_string(), added->url);
  EXPECT_EQ(details.at("localId").as_string(), added->local_id);
  EXPECT_EQ(details.at("kind"), "Hosted");
  EXPECT_EQ(details.at("numberOfHits"), 2);
  EXPECT_TRUE(details.contains("createdAt"));
  EXPECT_TRUE(details.contains("lastUsage"));

  ASSERT_TRUE(registry.remove(added->local_id).ok());
  EXPECT_EQ(registry.get(added->url).error().kind, ErrorKind::kResourceNotFound);
  EXPECT_EQ(registry.remove(added->local_id).error().kind, ErrorKind::kResourceNotFound);
}

TEST_F(ContextRegistryTest, ImplicitEntriesHaveTheirKind) {
  ContextRegistry registry(options(), clock_);
  auto added = registry.add_implicit(kDocument);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->kind, ContextKind::kImplicitlyCreated);
  EXPECT_EQ(parse_context_kind("ImplicitlyCreated"), ContextKind::kImplicitlyCreated);
  EXPECT_EQ(parse_context_kind("Other"), std::nullopt);
}

// Every response to a request with an inline context names it by URL: the same document must
// not add an entry per request (they are never evicted and would fill the registry).
TEST_F(ContextRegistryTest, TheSameInlineContextIsStoredOnce) {
  ContextRegistry registry(options(), clock_, &persistence_);
  auto first = registry.add_implicit(kDocument);
  auto again = registry.add_implicit(kDocument);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->local_id, first->local_id);
  auto other = registry.add_implicit(R"({"@context": {"b": "https://b.example/b"}})");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->local_id, first->local_id);
  EXPECT_EQ(registry.list(ContextKind::kImplicitlyCreated).size(), 2u);
  auto hosted = registry.add_hosted(kDocument);  // a client's explicit add is always new
  ASSERT_TRUE(hosted.ok());
  EXPECT_NE(hosted->local_id, first->local_id);
}

// The host and port a client uses are not part of a hosted entry's identity.
TEST_F(ContextRegistryTest, HostedEntriesAreFoundThroughAnyHost) {
  ContextRegistry registry(options(), clock_);
  auto added = registry.add_hosted(kDocument);
  ASSERT_TRUE(added.ok());
  const std::string path = "/ngsi-ld/v1/jsonldContexts/" + added->local_id;
  for (const std::string& url :
       {"http://127.0.0.1:1026" + path, "http://broker.test" + path, "https://[::1]:8443" + path}) {
    auto found = registry.get(url);
    ASSERT_TRUE(found.ok()) << url;
    EXPECT_EQ(found->local_id, added->local_id);
    EXPECT_EQ(registry.document_for(url), std::string(kDocument)) << url;
  }
  for (const std::string& url :
       {std::string("http://h/ngsi-ld/v1/jsonldContexts/unknown"), "http://h/other" + path,
        "ftp://h" + path, "http://h" + path + "/x",
        std::string("http://h/ngsi-ld/v1/jsonldContexts/")}) {
    EXPECT_FALSE(registry.peek(url).has_value()) << url;
    EXPECT_FALSE(registry.document_for(url).has_value()) << url;
  }
  EXPECT_EQ(registry.add_cached("http://other.test" + path, kDocument).error().kind,
            ErrorKind::kAlreadyExists);
  ASSERT_TRUE(registry.remove("http://elsewhere:9" + path).ok());
  EXPECT_FALSE(registry.peek(added->local_id).has_value());
}

// Before hosted URLs were relative, entries were saved under "http://host:port/...": a restart
// (on any port) moves them to the relative URL, and the old record does not come back.
TEST_F(ContextRegistryTest, RestoreRebasesLegacyAbsoluteHostedUrls) {
  ContextEntry legacy;
  legacy.local_id = "0123456789abcdef0123456789abcdef";
  legacy.url = "http://127.0.0.1:40111/ngsi-ld/v1/jsonldContexts/" + legacy.local_id;
  legacy.kind = ContextKind::kHosted;
  legacy.document = std::string(kDocument);
  ASSERT_TRUE(persistence_.save(legacy).ok());
  ContextEntry cached = legacy;
  cached.local_id = "c1";
  cached.url = "http://remote.test/ngsi-ld/v1/jsonldContexts/abc";
  cached.kind = ContextKind::kCached;
  ASSERT_TRUE(persistence_.save(cached).ok());

  ContextRegistry registry(options(), clock_, &persistence_);
  ASSERT_TRUE(registry.restore().ok());
  auto hosted = registry.peek(legacy.local_id);
  ASSERT_TRUE(hosted.has_value());
  EXPECT_EQ(hosted->url, "/ngsi-ld/v1/jsonldContexts/" + legacy.local_id);
  EXPECT_TRUE(registry.peek(legacy.url).has_value());                // the old URL still names it
  EXPECT_EQ(registry.peek(cached.url)->kind, ContextKind::kCached);  // remote URLs unchanged

  auto saved = persistence_.load_all();
  ASSERT_TRUE(saved.ok());
  ASSERT_EQ(saved->size(), 2u);
  for (const ContextEntry& entry : *saved) EXPECT_NE(entry.url, legacy.url);
}

TEST_F(ContextRegistryTest, RejectsInvalidDocuments) {
  ContextRegistryOptions small = options();
  small.max_document_bytes = 64;
  ContextRegistry registry(small, clock_);
  EXPECT_EQ(registry.add_hosted("{not json").error().kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(registry.add_hosted(R"({"a": 1})").error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(registry.add_hosted(R"([1])").error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(registry.add_hosted(R"({"@context": 5})").error().kind, ErrorKind::kBadRequestData);
  std::string big = R"({"@context": {"a": ")" + std::string(100, 'x') + "\"}}";
  EXPECT_EQ(registry.add_hosted(big).error().kind, ErrorKind::kPayloadTooLarge);
}

TEST_F(ContextRegistryTest, PersistenceRoundTrip) {
  std::string hosted_id;
  {
    ContextRegistry registry(options(), clock_, &persistence_);
    auto hosted = registry.add_hosted(kDocument);
    ASSERT_TRUE(hosted.ok());
    hosted_id = hosted->local_id;
    ASSERT_TRUE(registry.add_cached("https://example.org/c.jsonld", kDocument).ok());
    auto gone = registry.add_hosted(kDocument);
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(registry.remove(gone->url).ok());
  }
  EXPECT_EQ(persistence_.size(), 2u);
  ContextRegistry restarted(options(), clock_, &persistence_);
  ASSERT_TRUE(restarted.restore().ok());
  auto hosted = restarted.get(hosted_id);
  ASSERT_TRUE(hosted.ok());
  EXPECT_EQ(hosted->kind, ContextKind::kHosted);
  EXPECT_EQ(hosted->document, kDocument);
  auto cached = restarted.peek("https://example.org/c.jsonld");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->kind, ContextKind::kCached);
  EXPECT_EQ(restarted.list().size(), core_context_files().size() + 2);
}

TEST_F(ContextRegistryTest, FailedSaveLeavesNothingBehind) {
  ContextRegistry registry(options(), clock_, &persistence_);
  persistence_.fail_saves();
  EXPECT_EQ(registry.add_hosted(kDocument).error().kind, ErrorKind::kInternalError);
  EXPECT_TRUE(registry.list(ContextKind::kHosted).empty());
}

TEST_F(ContextRegistryTest, FullRegistryEvictsLeastRecentlyUsedCachedEntry) {
  ContextRegistryOptions two = options();
  two.max_entries = 2;
  ContextRegistry registry(two, clock_, &persistence_);
  ASSERT_TRUE(registry.add_cached("https://example.org/old", kDocument).ok());
  clock_.advance_micros(10);
  ASSERT_TRUE(registry.add_cached("https://example.org/used", kDocument).ok());
  clock_.advance_micros(10);
  ASSERT_TRUE(registry.document_for("https://example.org/old").has_value());  // now recent
  clock_.advance_micros(10);
  std::uint64_t generation = registry.generation();
  ASSERT_TRUE(registry.add_cached("https://example.org/new", kDocument).ok());
  EXPECT_TRUE(registry.peek("https://example.org/old").has_value());
  EXPECT_FALSE(registry.peek("https://example.org/used").has_value());
  EXPECT_NE(registry.generation(), generation);

  ContextRegistryOptions one = options();
  one.max_entries = 1;
  ContextRegistry hosted_only(one, clock_);
  ASSERT_TRUE(hosted_only.add_hosted(kDocument).ok());
  EXPECT_EQ(hosted_only.add_hosted(kDocument).error().kind, ErrorKind::kServiceUnavailable);
}

TEST_F(ContextRegistryTest, CachedUrlCannotShadowHostedOrCore) {
  ContextRegistry registry(options(), clock_);
  auto hosted = registry.add_hosted(kDocument);
  ASSERT_TRUE(hosted.ok());
  EXPECT_EQ(registry.add_cached(hosted->url, kDocument).error().kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(registry.add_cached(kDefaultCoreContextUrl, kDocument).error().kind,
            ErrorKind::kAlreadyExists);
}

TEST_F(ContextRegistryTest, ReloadDownloadsCachedEntriesAgain) {
  ContextRegistry registry(options(), clock_, &persistence_);
  testing::FakeContextLoader loader;
  auto cached = registry.add_cached("https://example.org/c.jsonld", kDocument);
  ASSERT_TRUE(cached.ok());
  std::string fresh = R"({"@context": {"b": "https://b.example/b"}})";
  loader.serve("https://example.org/c.jsonld", fresh);
  std::uint64_t generation = registry.generation();
  auto reloaded = registry.reload(cached->local_id, loader);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->document, fresh);
  EXPECT_EQ(reloaded->local_id, cached->local_id);
  EXPECT_NE(registry.generation(), generation);

  auto hosted = registry.add_hosted(kDocument);
  ASSERT_TRUE(hosted.ok());
  EXPECT_EQ(registry.reload(hosted->local_id, loader).error().kind, ErrorKind::kBadRequestData);
  EXPECT_EQ(registry.reload(kDefaultCoreContextUrl, loader).error().kind,
            ErrorKind::kBadRequestData);

  testing::FakeContextLoader offline;
  EXPECT_EQ(registry.reload(cached->url, offline).error().kind, ErrorKind::kLdContextNotAvailable);
  EXPECT_EQ(registry.peek(cached->url)->document, fresh);  // the old copy is kept
}

}  // namespace
}  // namespace citytwin::jsonld
