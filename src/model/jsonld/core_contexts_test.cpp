#include "citytwin/model/core_contexts.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace citytwin::jsonld {
namespace {

TEST(CoreContexts, EveryEmbeddedFileIsAContextDocument) {
  ASSERT_EQ(core_context_files().size(), 7u);
  for (const CoreContextFile& file : core_context_files()) {
    boost::system::error_code ec;
    boost::json::value document = boost::json::parse(file.document, ec);
    ASSERT_FALSE(ec) << file.url;
    ASSERT_TRUE(document.is_object()) << file.url;
    const boost::json::value& context = document.at("@context");
    EXPECT_TRUE(context.is_object()) << file.url;
    EXPECT_EQ(context.at("@vocab"), "https://uri.etsi.org/ngsi-ld/default-context/") << file.url;
  }
}

TEST(CoreContexts, FindsByOfficialUrl) {
  const CoreContextFile* v18 = find_core_context(kDefaultCoreContextUrl);
  ASSERT_NE(v18, nullptr);
  EXPECT_EQ(v18->version, "1.8");
  const CoreContextFile* v19 =
      find_core_context("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld");
  ASSERT_NE(v19, nullptr);
  EXPECT_NE(v19->document.find("ngsildproof"), std::string_view::npos);
  const CoreContextFile* unversioned = find_core_context(kUnversionedCoreContextUrl);
  ASSERT_NE(unversioned, nullptr);
  EXPECT_EQ(unversioned->version, "1.0");
  EXPECT_EQ(find_core_context("https://example.org/context.jsonld"), nullptr);
}

}  // namespace
}  // namespace citytwin::jsonld
