#include "topic_tree.hpp"

namespace citytwin::mqtt {
namespace {

// Splits off the first level: ("a/b/c") -> "a", rest "b/c"; the last level leaves no rest.
std::string_view first_level(std::string_view path, std::string_view& rest, bool& more) {
  std::size_t slash = path.find('/');
  more = slash != std::string_view::npos;
  rest = more ? path.substr(slash + 1) : std::string_view{};
  return more ? path.substr(0, slash) : path;
}

}  // namespace

bool TopicTree::add(std::string_view filter, const std::string& client_id,
                    SubscriptionOptions options) {
  Node* node = &root_;
  std::string_view rest = filter;
  bool more = true;
  while (more) {
    std::string_view level = first_level(rest, rest, more);
    auto it = node->children.find(level);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
    }
    node = it->second.get();
  }
  auto [entry, inserted] = node->subscribers.insert_or_assign(client_id, options);
  if (inserted) ++count_;
  return inserted;
}

bool TopicTree::remove_in(Node& node, std::string_view rest, const std::string& client_id) {
  bool more = false;
  std::string_view tail;
  std::string_view level = first_level(rest, tail, more);
  auto it = node.children.find(level);
  if (it == node.children.end()) return false;
  Node& child = *it->second;
  bool removed = more ? remove_in(child, tail, client_id) : child.subscribers.erase(client_id) > 0;
  if (child.empty()) node.children.erase(it);  // keep the trie no larger than its subscriptions
  return removed;
}

bool TopicTree::remove(std::string_view filter, const std::string& client_id) {
  bool removed = remove_in(root_, filter, client_id);
  if (removed) --count_;
  return removed;
}

void TopicTree::match_level(
    const Node& node, std::string_view rest, bool first, bool dollar,
    const std::function<void(const std::string&, const SubscriptionOptions&)>& visit) const {
  bool more = false;
  std::string_view tail;
  std::string_view level = first_level(rest, tail, more);
  // '#' matches this level and everything below, and the parent level itself [MQTT-4.7.1-2];
  // neither wildcard matches a first level starting with '$' [MQTT-4.7.2-1].
  bool wildcards = !(first && dollar);
  if (wildcards) {
    if (auto hash = node.children.find("#"); hash != node.children.end()) {
      for (const auto& [client, options] : hash->second->subscribers) visit(client, options);
    }
  }
  auto visit_child = [&](const Node& child) {
    if (more) {
      match_level(child, tail, false, dollar, visit);
      return;
    }
    for (const auto& [client, options] : child.subscribers) visit(client, options);
    if (auto hash = child.children.find("#"); hash != child.children.end()) {
      for (const auto& [client, options] : hash->second->subscribers) visit(client, options);
    }
  };
  if (auto exact = node.children.find(level);
      exact != node.children.end() && level != "+" && level != "#") {
    visit_child(*exact->second);
  }
  if (wildcards) {
    if (auto plus = node.children.find("+"); plus != node.children.end()) {
      visit_child(*plus->second);
    }
  }
}

void TopicTree::match(
    std::string_view topic,
    const std::function<void(const std::string&, const SubscriptionOptions&)>& visit) const {
  match_level(root_, topic, true, !topic.empty() && topic.front() == '$', visit);
}

}  // namespace citytwin::mqtt
