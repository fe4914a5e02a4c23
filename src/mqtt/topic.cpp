#include "citytwin/mqtt/topic.hpp"

namespace citytwin::mqtt {

bool valid_topic_name(std::string_view topic) {
  return !topic.empty() && topic.size() <= 65535 &&
         topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > 65535) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = filter.find('/', start);
    bool last = end == std::string_view::npos;
    std::string_view level = filter.substr(start, last ? std::string_view::npos : end - start);
    bool has_plus = level.find('+') != std::string_view::npos;
    bool has_hash = level.find('#') != std::string_view::npos;
    if (has_plus && level != "+") return false;
    if (has_hash && (level != "#" || !last)) return false;
    if (last) return true;
    start = end + 1;
  }
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  std::size_t f = 0;
  std::size_t t = 0;
  while (true) {
    std::size_t f_end = filter.find('/', f);
    std::string_view f_level =
        filter.substr(f, f_end == std::string_view::npos ? f_end : f_end - f);
    if (f_level == "#") return true;     // matches the parent level too ("a/#" matches "a")
    if (t > topic.size()) return false;  // the topic ran out of levels
    std::size_t t_end = topic.find('/', t);
    std::string_view t_level = topic.substr(t, t_end == std::string_view::npos ? t_end : t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    bool filter_done = f_end == std::string_view::npos;
    bool topic_done = t_end == std::string_view::npos;
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // Only "x/#" may still match when the topic has no more levels.
      return topic_done && filter.substr(f_end + 1) == "#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace citytwin::mqtt
