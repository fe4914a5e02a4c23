// Topic name/filter rules and matching (MQTT 5.0 clause 4.7), for both the plain matcher
// and the subscription trie, which must agree.
#include <gtest/gtest.h>

#include <set>

#include "citytwin/mqtt/topic.hpp"
#include "topic_tree.hpp"

namespace citytwin::mqtt {
namespace {

TEST(Topic, NamesAndFilters) {
  EXPECT_TRUE(valid_topic_name("/key/dev/attrs"));
  EXPECT_TRUE(valid_topic_name("/"));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("a/+"));
  EXPECT_FALSE(valid_topic_name("a/#"));
  for (const char* ok : {"#", "+", "a/#", "a/+/c", "+/+", "/+", "a//b", "sport/tennis/#", "+/#"}) {
    EXPECT_TRUE(valid_topic_filter(ok)) << ok;
  }
  for (const char* bad : {"", "a/#/b", "a#", "a/b#", "a+/b", "a/+b", "##", "#/"}) {
    EXPECT_FALSE(valid_topic_filter(bad)) << bad;
  }
}

struct Case {
  const char* filter;
  const char* topic;
  bool matches;
};

// The examples of clause 4.7.1 and the '$' rule of 4.7.2.
const Case kCases[] = {
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/#", "sport", true},
    {"#", "sport/tennis", true},
    {"#", "/", true},
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"+", "finance", true},
    {"a/b", "a/b", true},
    {"a/b", "a/b/c", false},
    {"a/b/c", "a/b", false},
    {"a//b", "a//b", true},
    {"a/+/b", "a//b", true},
    {"/+/+/cmd", "/key/dev1/cmd", true},
    {"/+/+/cmd", "/key/dev1/attrs", false},
    {"#", "$SYS/uptime", false},
    {"+/uptime", "$SYS/uptime", false},
    {"$SYS/#", "$SYS/uptime", true},
    {"$SYS/+", "$SYS/uptime", true},
    {"a/+/#", "a/b", true},
    {"a/+/#", "a", false},
};

TEST(Topic, MatcherFollowsTheSpecExamples) {
  for (const auto& c : kCases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
  }
}

TEST(TopicTree, AgreesWithTheMatcher) {
  TopicTree tree;
  for (const auto& c : kCases) tree.add(c.filter, c.filter, SubscriptionOptions{});
  for (const auto& c : kCases) {
    std::set<std::string> hits;
    tree.match(c.topic,
               [&](const std::string& client, const SubscriptionOptions&) { hits.insert(client); });
    for (const auto& other : kCases) {
      EXPECT_EQ(hits.contains(other.filter), topic_matches(other.filter, c.topic))
          << other.filter << " vs " << c.topic;
    }
  }
}

TEST(TopicTree, AddReplaceRemove) {
  TopicTree tree;
  EXPECT_TRUE(tree.add("a/+", "c1", {1, false, false}));
  EXPECT_FALSE(tree.add("a/+", "c1", {2, false, false}));  // replaces
  EXPECT_TRUE(tree.add("a/#", "c1", {0, false, false}));
  EXPECT_TRUE(tree.add("a/+", "c2", {0, false, false}));
  EXPECT_EQ(tree.size(), 3u);
  std::vector<std::pair<std::string, int>> hits;
  tree.match("a/x", [&](const std::string& client, const SubscriptionOptions& o) {
    hits.emplace_back(client, o.qos);
  });
  EXPECT_EQ(hits.size(), 3u);
  EXPECT_TRUE(tree.remove("a/+", "c1"));
  EXPECT_FALSE(tree.remove("a/+", "c1"));
  EXPECT_FALSE(tree.remove("no/such", "c1"));
  EXPECT_TRUE(tree.remove("a/#", "c1"));
  EXPECT_TRUE(tree.remove("a/+", "c2"));
  EXPECT_EQ(tree.size(), 0u);
  int count = 0;
  tree.match("a/x", [&](const std::string&, const SubscriptionOptions&) { ++count; });
  EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace citytwin::mqtt
