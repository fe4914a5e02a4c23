#include "pagination_links.hpp"

#include <cctype>

namespace citytwin::http::ngsi {
namespace {

// RFC 3986 clause 2: unreserved, sub-delims, ':', '@', '/', '?' and '%' (already an escape)
// may stand in a path or query; everything else is escaped so that the reference survives
// inside "<...>" of a Link header (raw '<', '>', '"' and spaces do occur in `q`).
bool allowed_in_reference(unsigned char c) {
  static constexpr std::string_view kMarks = "-._~!$&'()*+,;=:@/?%";
  return std::isalnum(c) || kMarks.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (allowed_in_reference(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

bool is_paging_parameter(std::string_view item) {
  const std::string_view name = item.substr(0, item.find('='));
  return name == "limit" || name == "offset";
}

// The request's path and query without limit and offset, ready for "limit=..&offset=..".
std::string target_without_paging(std::string_view raw_target) {
  const std::size_t question = raw_target.find('?');
  std::string out(raw_target.substr(0, question));
  out += '?';
  if (question == std::string_view::npos) return out;
  std::string_view query = raw_target.substr(question + 1);
  while (true) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (!item.empty() && !is_paging_parameter(item)) {
      out += item;
      out += '&';
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string link_value(const std::string& base, std::size_t limit, std::size_t offset,
                       std::string_view rel, std::string_view media_type) {
  return "<" +
         escaped(base + "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset)) +
         ">; rel=\"" + std::string(rel) + "\"; type=\"" + std::string(media_type) + "\"";
}

}  // namespace

std::vector<std::string> pagination_links(std::string_view raw_target, const PageWindow& window,
                                          std::string_view media_type) {
  std::vector<std::string> links;
  if (window.limit == 0) return links;
  const std::string base = target_without_paging(raw_target);
  if (window.offset > 0) {
    const std::size_t previous = window.offset > window.limit ? window.offset - window.limit : 0;
    links.push_back(link_value(base, window.limit, previous, "prev", media_type));
  }
  if (window.more) {
    links.push_back(
        link_value(base, window.limit, window.offset + window.limit, "next", media_type));
  }
  return links;
}

}  // namespace citytwin::http::ngsi
