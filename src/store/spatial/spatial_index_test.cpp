#include "citytwin/store/spatial_index.hpp"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace citytwin::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

bool intersects(const Box& a, const Box& b) {
  return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

Box random_box(std::mt19937& random) {
  std::uniform_real_distribution<double> x(-10, 10), y(-10, 10), size(0, 1.5);
  double min_x = x(random), min_y = y(random);
  return Box{min_x, min_y, min_x + size(random), min_y + size(random)};
}

// Bulk-loaded and incrementally updated trees answer like a brute-force scan.
TEST(SpatialIndex, MatchesBruteForce) {
  std::mt19937 random(42);
  std::map<std::string, std::vector<GeoEntry>> truth;
  SpatialIndexBuilder builder;
  for (int i = 0; i < 2000; ++i) {
    std::string id = "urn:" + std::to_string(i);
    GeoEntry entry{i % 2 ? "a" : "b", random_box(random)};
    builder.add("t", entry.attribute, id, entry.box);
    truth[id].push_back(entry);
  }
  std::unique_ptr<SpatialIndex> index = std::move(builder).build();
  EXPECT_EQ(index->size(), 2000u);

  // Replace a third of them, delete a third.
  std::vector<GeoUpdate> updates;
  for (int i = 0; i < 2000; i += 3) {
    std::string id = "urn:" + std::to_string(i);
    GeoUpdate update{id, truth[id], {}};
    if (i % 2 == 0)
      update.added = {GeoEntry{"a", random_box(random)}, GeoEntry{"a", random_box(random)}};
    truth[id] = update.added;
    updates.push_back(std::move(update));
  }
  index->update("t", updates);

  for (int q = 0; q < 200; ++q) {
    Box box = random_box(random);
    for (const char* attribute : {"a", "b"}) {
      std::vector<std::string> expected;
      for (const auto& [id, entries] : truth) {
        for (const GeoEntry& entry : entries) {
          if (entry.attribute == attribute && intersects(entry.box, box)) {
            expected.push_back(id);
            break;
          }
        }
      }
      ASSERT_EQ(index->query("t", attribute, box), expected);
    }
  }
}

TEST(SpatialIndex, ReleasesIdsAndSeparatesTenants) {
  SpatialIndex index;
  std::vector<GeoUpdate> add{{"urn:x", {}, {GeoEntry{"loc", Box{0, 0, 1, 1}}}}};
  index.update("t1", add);
  EXPECT_THAT(index.query("t1", "loc", Box{0, 0, 5, 5}), ElementsAre("urn:x"));
  EXPECT_THAT(index.query("t2", "loc", Box{0, 0, 5, 5}), IsEmpty());

  std::vector<GeoUpdate> remove{{"urn:x", add[0].added, {}}};
  index.update("t1", remove);
  EXPECT_THAT(index.query("t1", "loc", Box{0, 0, 5, 5}), IsEmpty());
  EXPECT_EQ(index.size(), 0u);

  // A freed handle is reused for a new id without resurrecting the old one.
  std::vector<GeoUpdate> other{{"urn:y", {}, {GeoEntry{"loc", Box{3, 3, 3, 3}}}}};
  index.update("t1", other);
  EXPECT_THAT(index.query("t1", "loc", Box{0, 0, 5, 5}), ElementsAre("urn:y"));
}

}  // namespace
}  // namespace citytwin::store
