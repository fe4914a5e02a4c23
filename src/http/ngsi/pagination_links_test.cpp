#include "pagination_links.hpp"

#include <gtest/gtest.h>

namespace citytwin::http::ngsi {
namespace {

constexpr std::string_view kJson = "application/json";

TEST(PaginationLinksTest, FirstPageHasOnlyNext) {
  auto links =
      pagination_links("/ngsi-ld/v1/entities?type=Building&limit=2", PageWindow{2, 0, true}, kJson);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0],
            "</ngsi-ld/v1/entities?type=Building&limit=2&offset=2>; rel=\"next\"; "
            "type=\"application/json\"");
}

TEST(PaginationLinksTest, MiddlePageHasBothAndLastPageOnlyPrev) {
  auto middle =
      pagination_links("/e?offset=3&type=T&limit=3&count=true", PageWindow{3, 3, true}, kJson);
  ASSERT_EQ(middle.size(), 2u);
  EXPECT_EQ(middle[0],
            "</e?type=T&count=true&limit=3&offset=0>; rel=\"prev\"; "
            "type=\"application/json\"");
  EXPECT_EQ(middle[1],
            "</e?type=T&count=true&limit=3&offset=6>; rel=\"next\"; "
            "type=\"application/json\"");
  auto last =
      pagination_links("/e?offset=6&limit=3", PageWindow{3, 6, false}, "application/ld+json");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0], "</e?limit=3&offset=3>; rel=\"prev\"; type=\"application/ld+json\"");
}

// An offset that is not a multiple of the limit goes back to 0, not below.
TEST(PaginationLinksTest, PreviousOffsetStopsAtZero) {
  auto links = pagination_links("/e?offset=1&limit=5", PageWindow{5, 1, false}, kJson);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].substr(0, links[0].find('>') + 1), "</e?limit=5&offset=0>");
}

TEST(PaginationLinksTest, NoLinksForASinglePageOrACountOnlyRequest) {
  EXPECT_TRUE(pagination_links("/e?type=T", PageWindow{20, 0, false}, kJson).empty());
  EXPECT_TRUE(pagination_links("/e?limit=0&count=true", PageWindow{0, 0, true}, kJson).empty());
}

// Clients send `q` with raw '<', '>', '"' and spaces (docs/decisions.md 5); escapes the client
// already made are kept as they are.
TEST(PaginationLinksTest, CharactersNotAllowedInAUriAreEscaped) {
  auto links = pagination_links("/e?q=a<3;b==\"x y\"&idPattern=.*%2F&limit=1",
                                PageWindow{1, 0, true}, kJson);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].substr(0, links[0].find('>') + 1),
            "</e?q=a%3C3;b==%22x%20y%22&idPattern=.*%2F&limit=1&offset=1>");
}

TEST(PaginationLinksTest, ATargetWithoutQueryGetsOne) {
  auto links = pagination_links("/e", PageWindow{20, 0, true}, kJson);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].substr(0, links[0].find('>') + 1), "</e?limit=20&offset=20>");
}

}  // namespace
}  // namespace citytwin::http::ngsi
