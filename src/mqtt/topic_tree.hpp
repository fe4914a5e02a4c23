#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "message.hpp"

namespace citytwin::mqtt {

// Subscriptions indexed by topic filter level (a trie), so that routing a message costs the
// levels of its topic, not the number of subscriptions. Not thread-safe: the broker guards it.
class TopicTree {
 public:
  // Adds or replaces `client_id`'s subscription to `filter`; true when it is new.
  bool add(std::string_view filter, const std::string& client_id, SubscriptionOptions options);
  // Removes it; false when there was none.
  bool remove(std::string_view filter, const std::string& client_id);
  // Calls `visit` for every subscription whose filter matches `topic` (clause 4.7); a client
  // with several matching filters is visited once per filter.
  void match(std::string_view topic,
             const std::function<void(const std::string& client_id,
                                      const SubscriptionOptions& options)>& visit) const;
  std::size_t size() const { return count_; }

 private:
  struct Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::map<std::string, SubscriptionOptions> subscribers;
    bool empty() const { return children.empty() && subscribers.empty(); }
  };
  void match_level(
      const Node& node, std::string_view rest, bool first_level, bool dollar,
      const std::function<void(const std::string&, const SubscriptionOptions&)>& visit) const;
  static bool remove_in(Node& node, std::string_view rest, const std::string& client_id);

  Node root_;
  std::size_t count_ = 0;
};

}  // namespace citytwin::mqtt
