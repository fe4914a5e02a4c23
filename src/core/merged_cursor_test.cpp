// Union and leapfrog intersection of id cursors, checked against std::set_union and
// std::set_intersection over random sorted lists.
#include "merged_cursor.hpp"

#include <algorithm>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

namespace citytwin::core {
namespace {

class VectorCursor final : public store::IdCursor {
 public:
  explicit VectorCursor(std::vector<std::string> ids) : ids_(std::move(ids)) {}
  void seek(std::string_view id) override {
    position_ =
        static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
    ++seeks;
  }
  bool valid() const override { return position_ < ids_.size(); }
  std::string_view id() const override { return ids_[position_]; }
  void next() override { ++position_; }
  Status status() const override { return ok_status(); }
  int seeks = 0;

 private:
  std::vector<std::string> ids_;
  std::size_t position_ = 0;
};

std::vector<std::string> random_ids(std::mt19937& random, int count, int range) {
  std::uniform_int_distribution<int> pick(0, range - 1);
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) ids.push_back("urn:e:" + std::to_string(pick(random)));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::string> drain(store::IdCursor& cursor) {
  std::vector<std::string> ids;
  for (; cursor.valid(); cursor.next()) ids.emplace_back(cursor.id());
  return ids;
}

TEST(IdCursors, UnionAndIntersectionMatchTheSetAlgorithms) {
  std::mt19937 random(7);
  for (int round = 0; round < 300; ++round) {
    auto a = random_ids(random, round % 50, 200);
    auto b = random_ids(random, (round * 7) % 120, 200);
    auto c = random_ids(random, (round * 3) % 30, 200);

    std::vector<std::unique_ptr<store::IdCursor>> parts;
    parts.push_back(std::make_unique<VectorCursor>(b));
    parts.push_back(std::make_unique<VectorCursor>(c));
    IntersectionCursor both(std::make_unique<VectorCursor>(a),
                            std::make_unique<MergedCursor>(std::move(parts)));

    std::vector<std::string> b_or_c;
    std::set_union(b.begin(), b.end(), c.begin(), c.end(), std::back_inserter(b_or_c));
    std::vector<std::string> expected;
    std::set_intersection(a.begin(), a.end(), b_or_c.begin(), b_or_c.end(),
                          std::back_inserter(expected));
    EXPECT_EQ(drain(both), expected) << "round " << round;
  }
}

TEST(IdCursors, IntersectionSeeksPastARunOfNonMatches) {
  std::vector<std::string> crowd;  // many ids of another type at one place
  for (int i = 0; i < 5000; ++i) crowd.push_back("urn:a:" + std::to_string(100000 + i));
  crowd.push_back("urn:b:1");
  crowd.push_back("urn:b:2");
  auto typed = std::make_unique<VectorCursor>(std::vector<std::string>{"urn:b:1", "urn:b:2"});
  VectorCursor* typed_view = typed.get();
  IntersectionCursor both(std::make_unique<VectorCursor>(crowd), std::move(typed));
  EXPECT_EQ(drain(both), (std::vector<std::string>{"urn:b:1", "urn:b:2"}));
  EXPECT_LE(typed_view->seeks, 3);  // not one per crowded id
}

TEST(IdCursors, SeekRepositionsBothKinds) {
  std::vector<std::unique_ptr<store::IdCursor>> parts;
  parts.push_back(std::make_unique<VectorCursor>(std::vector<std::string>{"a", "c", "e"}));
  parts.push_back(std::make_unique<VectorCursor>(std::vector<std::string>{"b", "c", "f"}));
  MergedCursor merged(std::move(parts));
  merged.seek("c");
  EXPECT_EQ(drain(merged), (std::vector<std::string>{"c", "e", "f"}));

  IntersectionCursor both(
      std::make_unique<VectorCursor>(std::vector<std::string>{"a", "c", "e", "g"}),
      std::make_unique<VectorCursor>(std::vector<std::string>{"c", "d", "g"}));
  both.seek("d");
  EXPECT_EQ(drain(both), (std::vector<std::string>{"g"}));
  merged.seek("z");
  EXPECT_FALSE(merged.valid());
}

}  // namespace
}  // namespace citytwin::core
