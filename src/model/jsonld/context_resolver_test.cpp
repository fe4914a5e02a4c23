#include "citytwin/model/context_resolver.hpp"

#include <thread>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fake_context_loader.hpp"

namespace citytwin::jsonld {
namespace {

std::string context_document(std::string_view context_json) {
  return R"({"@context": )" + std::string(context_json) + "}";
}

class ContextResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { make_resolver({}); }

  void make_resolver(ContextResolverOptions options) {
    auto resolver = ContextResolver::create(registry_, loader_, std::move(options));
    ASSERT_TRUE(resolver.ok());
    resolver_ = std::move(*resolver);
  }

  Result<std::shared_ptr<const Context>> resolve(std::string_view json) {
    return resolver_->resolve(boost::json::parse(json));
  }

  testing::FakeClock clock_;
  ContextRegistry registry_{ContextRegistryOptions{}, clock_};
  testing::FakeContextLoader loader_;
  std::unique_ptr<ContextResolver> resolver_;
};

TEST_F(ContextResolverTest, NullMeansTheCoreContext) {
  auto ctx = resolver_->resolve(nullptr);
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(*ctx, resolver_->core());
}

TEST_F(ContextResolverTest, RemoteContextIsLoadedOnceAndCachedInTheRegistry) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"a": "https://a.example/a"})"));
  auto first = resolve(R"("https://example.org/a.jsonld")");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->expand("a"), "https://a.example/a");
  EXPECT_EQ((*first)->source(), boost::json::value("https://example.org/a.jsonld"));
  auto entry = registry_.peek("https://example.org/a.jsonld");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->kind, ContextKind::kCached);

  auto again = resolve(R"("https://example.org/a.jsonld")");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);  // the resolved-context cache
  auto other = resolve(R"(["https://example.org/a.jsonld", {"b": "https://b.example/b"}])");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->expand("a"), "https://a.example/a");
  EXPECT_EQ(loader_.requests().size(), 1u);  // the second document came from the registry
}

TEST_F(ContextResolverTest, CacheKeyIgnoresMemberOrder) {
  auto first = resolve(R"({"a": "https://a.example/a", "b": "https://b.example/b"})");
  auto second = resolve(R"({"b": "https://b.example/b", "a": "https://a.example/a"})");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST_F(ContextResolverTest, CoreUrlsResolveLocally) {
  for (std::string_view url : {"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
                               "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
                               "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}) {
    auto ctx = resolver_->resolve(boost::json::value(url));
    ASSERT_TRUE(ctx.ok()) << url;
    EXPECT_EQ((*ctx)->expand("location"), "https://uri.etsi.org/ngsi-ld/location");
  }
  EXPECT_TRUE(loader_.requests().empty());
}

TEST_F(ContextResolverTest, ArrayOrderDecidesOverrides) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"t": "https://a.example/t"})"));
  auto url_last = resolve(R"([{"t": "https://inline.example/t"}, "https://example.org/a.jsonld"])");
  ASSERT_TRUE(url_last.ok());
  EXPECT_EQ((*url_last)->expand("t"), "https://a.example/t");
  auto inline_last =
      resolve(R"(["https://example.org/a.jsonld", {"t": "https://inline.example/t"}])");
  ASSERT_TRUE(inline_last.ok());
  EXPECT_EQ((*inline_last)->expand("t"), "https://inline.example/t");
}

TEST_F(ContextResolverTest, NestedRemoteContextsAndRelativeReferences) {
  loader_.serve("https://example.org/ctx/main.jsonld",
                context_document(R"(["part.jsonld", "/shared/base.jsonld",
                                     {"main": "https://m.example/main"},
                                     "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"])"));
  loader_.serve("https://example.org/ctx/part.jsonld",
                context_document(R"({"part": "https://p.example/part"})"));
  loader_.serve(
      "https://example.org/shared/base.jsonld",
      context_document(
          R"([{"base": "https://b.example/base"}, [{"deep": "https://d.example/deep"}]])"));
  auto ctx = resolve(R"("https://example.org/ctx/main.jsonld")");
  ASSERT_TRUE(ctx.ok()) << ctx.error().detail;
  EXPECT_EQ((*ctx)->expand("main"), "https://m.example/main");
  EXPECT_EQ((*ctx)->expand("part"), "https://p.example/part");
  EXPECT_EQ((*ctx)->expand("base"), "https://b.example/base");
  EXPECT_EQ((*ctx)->expand("deep"), "https://d.example/deep");
  EXPECT_EQ(loader_.requests().size(), 3u);
}

TEST_F(ContextResolverTest, CyclesAreRejected) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"("https://example.org/b.jsonld")"));
  loader_.serve("https://example.org/b.jsonld",
                context_document(R"(["https://example.org/a.jsonld"])"));
  auto ctx = resolve(R"("https://example.org/a.jsonld")");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_NE(ctx.error().detail.find("recursive"), std::string::npos);
}

TEST_F(ContextResolverTest, TheSameDocumentTwiceIsNotACycle) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"a": "https://a.example/a"})"));
  EXPECT_TRUE(resolve(R"(["https://example.org/a.jsonld", "https://example.org/a.jsonld"])").ok());
}

TEST_F(ContextResolverTest, DepthIsLimited) {
  for (int i = 0; i < 10; ++i) {
    loader_.serve("https://example.org/" + std::to_string(i),
                  context_document("\"https://example.org/" + std::to_string(i + 1) + "\""));
  }
  loader_.serve("https://example.org/10", context_document(R"({"end": "https://e.example/end"})"));
  ContextResolverOptions options;
  options.max_depth = 8;
  options.max_remote_loads = 100;
  make_resolver(options);
  auto deep = resolve(R"("https://example.org/0")");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_NE(deep.error().detail.find("deeper"), std::string::npos);
  EXPECT_TRUE(resolve(R"("https://example.org/4")").ok());  // 7 levels
}

TEST_F(ContextResolverTest, RemoteLoadsPerRequestAreLimited) {
  ContextResolverOptions options;
  options.max_remote_loads = 2;
  make_resolver(options);
  for (char c : std::string("abc")) {
    loader_.serve(std::string("https://example.org/") + c, context_document("{}"));
  }
  auto ctx =
      resolve(R"(["https://example.org/a", "https://example.org/b", "https://example.org/c"])");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().kind, ErrorKind::kInvalidRequest);
}

TEST_F(ContextResolverTest, UnreachableUrlIsLdContextNotAvailable) {
  auto ctx = resolve(R"(["https://unreachable.example/c.jsonld"])");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().kind, ErrorKind::kLdContextNotAvailable);
  EXPECT_FALSE(registry_.peek("https://unreachable.example/c.jsonld").has_value());
}

TEST_F(ContextResolverTest, NonHttpUrlIsInvalidRequest) {
  for (const char* context : {R"("urn:ngsi-ld:null")", R"(["ftp://example.org/c.jsonld"])"}) {
    auto ctx = resolve(context);
    ASSERT_FALSE(ctx.ok()) << context;
    EXPECT_EQ(ctx.error().kind, ErrorKind::kInvalidRequest) << context;
  }
}

TEST_F(ContextResolverTest, InvalidDocumentsAreInvalidRequest) {
  loader_.serve("https://example.org/html", "<html>not json</html>");
  loader_.serve("https://example.org/plain", R"({"a": "https://a.example/a"})");
  loader_.serve("https://example.org/bad", context_document(R"({"a": 42})"));
  for (std::string_view url :
       {"https://example.org/html", "https://example.org/plain", "https://example.org/bad"}) {
    auto ctx = resolver_->resolve(boost::json::value(url));
    ASSERT_FALSE(ctx.ok()) << url;
    EXPECT_EQ(ctx.error().kind, ErrorKind::kInvalidRequest) << url;
  }
  EXPECT_FALSE(registry_.peek("https://example.org/html").has_value());
  EXPECT_EQ(resolve("42").error().kind, ErrorKind::kInvalidRequest);
  EXPECT_EQ(resolve(R"("relative.jsonld")").error().kind, ErrorKind::kInvalidRequest);
}

TEST_F(ContextResolverTest, ImportMergesUnderTheImportingContext) {
  loader_.serve(
      "https://example.org/base.jsonld",
      context_document(R"({"a": "https://base.example/a", "b": "https://base.example/b"})"));
  auto ctx =
      resolve(R"({"@import": "https://example.org/base.jsonld", "b": "https://mine.example/b"})");
  ASSERT_TRUE(ctx.ok()) << ctx.error().detail;
  EXPECT_EQ((*ctx)->expand("a"), "https://base.example/a");
  EXPECT_EQ((*ctx)->expand("b"), "https://mine.example/b");
  loader_.serve("https://example.org/array.jsonld", context_document(R"([{}])"));
  EXPECT_EQ(resolve(R"({"@import": "https://example.org/array.jsonld"})").error().kind,
            ErrorKind::kInvalidRequest);
}

TEST_F(ContextResolverTest, RemovingADocumentDropsContextsBuiltFromIt) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"a": "https://v1.example/a"})"));
  auto before = resolve(R"("https://example.org/a.jsonld")");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(registry_.remove("https://example.org/a.jsonld").ok());
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"a": "https://v2.example/a"})"));
  auto after = resolve(R"("https://example.org/a.jsonld")");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->expand("a"), "https://v2.example/a");
}

TEST_F(ContextResolverTest, HostedContextsResolveWithoutNetwork) {
  auto hosted = registry_.add_hosted(context_document(R"({"h": "https://h.example/h"})"));
  ASSERT_TRUE(hosted.ok());
  // Clients name it by an absolute URL through whatever host and port they reach us by.
  auto ctx = resolver_->resolve(boost::json::value("http://127.0.0.1:40111" + hosted->url));
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->expand("h"), "https://h.example/h");
  EXPECT_TRUE(loader_.requests().empty());
}

TEST_F(ContextResolverTest, ConcurrentResolvesAgree) {
  loader_.serve("https://example.org/a.jsonld",
                context_document(R"({"a": "https://a.example/a"})"));
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string local =
            R"({"n": "https://n.example/)" + std::to_string((t * 50 + i) % 7) + "\"}";
        auto ctx = resolver_->resolve(
            boost::json::parse(R"(["https://example.org/a.jsonld", )" + local + "]"));
        if (ctx.ok() && (*ctx)->expand("a") == "https://a.example/a") ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 200);
}

TEST_F(ContextResolverTest, UnknownCoreVersionFailsCreate) {
  ContextResolverOptions options;
  options.core_context_url = "https://example.org/not-a-core.jsonld";
  auto resolver = ContextResolver::create(registry_, loader_, options);
  ASSERT_FALSE(resolver.ok());
  EXPECT_EQ(resolver.error().kind, ErrorKind::kInternalError);
}

}  // namespace
}  // namespace citytwin::jsonld
