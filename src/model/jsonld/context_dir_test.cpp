#include "citytwin/model/context_dir.hpp"

#include <atomic>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "fake_context_loader.hpp"

namespace citytwin::jsonld {
namespace {

constexpr std::string_view kSdmUrl =
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/"
    "context.jsonld";

std::filesystem::path testdata(const std::string& name) {
  return std::filesystem::path(CT_JSONLD_TESTDATA_DIR) / name;
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("citytwin-context-dir-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ / name) << text;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ContextDirTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  ContextRegistry registry_{ContextRegistryOptions{}, clock_};
};

TEST_F(ContextDirTest, JsonManifestRegistersCachedEntries) {
  ASSERT_TRUE(load_context_dir(registry_, testdata("context_dir_json")).ok());
  auto sdm = registry_.peek(kSdmUrl);
  ASSERT_TRUE(sdm.has_value());
  EXPECT_EQ(sdm->kind, ContextKind::kCached);
  EXPECT_NE(sdm->document.find("AirQualityObserved"), std::string::npos);
  EXPECT_TRUE(registry_.peek("https://example.org/city.jsonld").has_value());
}

TEST_F(ContextDirTest, TextManifestRegistersCachedEntries) {
  ASSERT_TRUE(load_context_dir(registry_, testdata("context_dir_txt")).ok());
  EXPECT_TRUE(registry_.peek(kSdmUrl).has_value());
  EXPECT_TRUE(registry_.peek("https://example.org/city.jsonld").has_value());
}

TEST_F(ContextDirTest, ErrorsNameTheLineAndFile) {
  TempDir dir;
  dir.write("manifest.txt", "# comment\nhttps://example.org/a.jsonld missing.jsonld\n");
  Status missing = load_context_dir(registry_, dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().detail.find("manifest.txt line 2"), std::string::npos);
  EXPECT_NE(missing.error().detail.find("missing.jsonld"), std::string::npos);

  dir.write("manifest.txt", "https://example.org/a.jsonld\n");
  Status short_line = load_context_dir(registry_, dir.path());
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.error().detail.find("line 1"), std::string::npos);

  dir.write("bad.jsonld", R"({"no": "context"})");
  dir.write("manifest.json",
            R"([{"url": "https://example.org/bad.jsonld", "file": "bad.jsonld"}])");
  Status bad_document = load_context_dir(registry_, dir.path());
  ASSERT_FALSE(bad_document.ok());
  EXPECT_EQ(bad_document.error().kind, ErrorKind::kBadRequestData);
  EXPECT_NE(bad_document.error().detail.find("manifest.json entry 0"), std::string::npos);
  EXPECT_NE(bad_document.error().detail.find("bad.jsonld"), std::string::npos);

  dir.write("manifest.json", R"([{"url": "https://example.org/x"}])");
  EXPECT_FALSE(load_context_dir(registry_, dir.path()).ok());
}

TEST_F(ContextDirTest, MissingManifestIsAnError) {
  TempDir dir;
  Status status = load_context_dir(registry_, dir.path());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().detail.find("manifest"), std::string::npos);
}

}  // namespace
}  // namespace citytwin::jsonld
