// Downloads are counted by outcome and timed, and the inner loader's answer passes unchanged.
#include "citytwin/http/metered_context_loader.hpp"

#include <gtest/gtest.h>

namespace citytwin::http {
namespace {

class OneDocumentLoader final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view url) override {
    if (url == "http://127.0.0.1/ok.jsonld") return std::string(R"({"@context": {}})");
    return make_error(ErrorKind::kLdContextNotAvailable, "timed out after 5 ms");
  }
};

TEST(MeteredContextLoader, CountsOutcomesAndTimesEveryDownload) {
  OneDocumentLoader inner;
  MetricsRegistry metrics;
  MeteredContextLoader loader(inner, metrics);
  auto ok = loader.load("http://127.0.0.1/ok.jsonld");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, R"({"@context": {}})");
  auto failed = loader.load("http://127.0.0.1/hangs.jsonld");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kLdContextNotAvailable);
  EXPECT_EQ(failed.error().detail, "timed out after 5 ms");
  EXPECT_FALSE(loader.load("http://127.0.0.1/hangs.jsonld").ok());
  std::string text = metrics.render();
  EXPECT_NE(text.find("citytwin_context_downloads_total{outcome=\"ok\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("citytwin_context_downloads_total{outcome=\"failed\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("citytwin_context_download_duration_seconds_count 3\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace citytwin::http
