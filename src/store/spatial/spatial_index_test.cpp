#include "citytwin/store/spatial_index.hpp"

#include <algorithm>
#include <map>
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

std::vector<std::string> types_of(int i) {
  switch (i % 4) {
    case 0:
      return {"A"};
    case 1:
      return {"B"};
    case 2:
      return {"A", "B"};
    default:
      return {};  // filed as untyped
  }
}

struct Truth {
  std::vector<std::string> types;
  std::vector<GeoEntry> entries;
};

bool has_any(const std::vector<std::string>& types, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& type) {
    return std::find(types.begin(), types.end(), type) != types.end();
  });
}

// Bulk-loaded and incrementally updated trees answer like a brute-force scan, by attribute
// and by any set of types.
TEST(SpatialIndex, MatchesBruteForce) {
  std::mt19937 random(42);
  std::map<std::string, Truth> truth;
  SpatialIndexBuilder builder;
  for (int i = 0; i < 2000; ++i) {
    std::string id = "urn:" + std::to_string(i);
    GeoEntry entry{i % 2 ? "a" : "b", random_box(random)};
    builder.add("t", entry.attribute, id, entry.box);
    truth[id].entries.push_back(entry);
    truth[id].types = types_of(i);
  }
  for (const auto& [id, known] : truth) {  // as the type index delivers them: by type, then id
    if (std::find(known.types.begin(), known.types.end(), "A") != known.types.end())
      builder.add_type("t", "A", id);
  }
  for (const auto& [id, known] : truth) {
    if (std::find(known.types.begin(), known.types.end(), "B") != known.types.end())
      builder.add_type("t", "B", id);
  }
  builder.add_type("t", "A", "urn:without-boxes");  // ignored
  std::unique_ptr<SpatialIndex> index = std::move(builder).build();
  EXPECT_EQ(index->size(), 2500u);  // 500 entities of two types

  // Replace a third of them (some with other types, some with the same boxes), delete a third.
  std::vector<GeoUpdate> updates;
  for (int i = 0; i < 2000; i += 3) {
    std::string id = "urn:" + std::to_string(i);
    Truth& known = truth[id];
    GeoUpdate update{id, known.entries, {}, known.types, {}};
    if (i % 2 == 0) {
      update.added = {GeoEntry{"a", random_box(random)}, GeoEntry{"a", random_box(random)}};
      update.added_types = types_of(i + 1);
    } else if (i % 5 == 0) {
      update.added = known.entries;
      update.added_types = types_of(i + 2);
    }
    known = Truth{update.added_types, update.added};
    updates.push_back(std::move(update));
  }
  index->update("t", updates);

  const std::vector<std::vector<std::string>> type_filters{{}, {"A"}, {"B"}, {"A", "B"}, {"C"}};
  for (int q = 0; q < 200; ++q) {
    Box box = random_box(random);
    for (const char* attribute : {"a", "b"}) {
      for (const auto& types : type_filters) {
        std::vector<std::string> expected;
        for (const auto& [id, known] : truth) {
          if (!has_any(known.types, types)) continue;
          for (const GeoEntry& entry : known.entries) {
            if (entry.attribute == attribute && intersects(entry.box, box)) {
              expected.push_back(id);
              break;
            }
          }
        }
        ASSERT_EQ(index->query("t", BoxQuery{attribute, box, types}), expected);
      }
    }
  }
}

TEST(SpatialIndex, ReleasesIdsAndSeparatesTenants) {
  SpatialIndex index;
  std::vector<GeoUpdate> add{{"urn:x", {}, {GeoEntry{"loc", Box{0, 0, 1, 1}}}, {}, {}}};
  index.update("t1", add);
  EXPECT_THAT(index.query("t1", BoxQuery{"loc", Box{0, 0, 5, 5}}), ElementsAre("urn:x"));
  EXPECT_THAT(index.query("t2", BoxQuery{"loc", Box{0, 0, 5, 5}}), IsEmpty());

  std::vector<GeoUpdate> remove{{"urn:x", add[0].added, {}, {}, {}}};
  index.update("t1", remove);
  EXPECT_THAT(index.query("t1", BoxQuery{"loc", Box{0, 0, 5, 5}}), IsEmpty());
  EXPECT_EQ(index.size(), 0u);

  // A freed handle is reused for a new id without resurrecting the old one.
  std::vector<GeoUpdate> other{{"urn:y", {}, {GeoEntry{"loc", Box{3, 3, 3, 3}}}, {}, {}}};
  index.update("t1", other);
  EXPECT_THAT(index.query("t1", BoxQuery{"loc", Box{0, 0, 5, 5}}), ElementsAre("urn:y"));
}

}  // namespace
}  // namespace citytwin::store
