#include "citytwin/http/router.hpp"

#include <algorithm>

namespace citytwin::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  // A trailing slash does not make a different resource.
  if (segments.size() > 1 && segments.back().empty()) segments.pop_back();
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int high = hex_value(in[i + 1]);
    int low = hex_value(in[i + 2]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

void Router::add(std::string method, std::string pattern, Permission permission, Handler handler,
                 InlinePredicate may_run_inline) {
  Route route;
  route.method = std::move(method);
  route.permission = permission;
  for (auto segment : split_path(pattern)) {
    route.segments.emplace_back(segment);
    route.parameter.push_back(is_parameter(segment));
  }
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  route.may_run_inline = std::move(may_run_inline);
  std::size_t length = route.segments.size();
  if (routes_by_length_.size() <= length) routes_by_length_.resize(length + 1);
  routes_by_length_[length].push_back(routes_.size());
  routes_.push_back(std::move(route));
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& route : routes_) out.push_back({route.method, route.pattern, route.permission});
  return out;
}

bool Router::literals_match(const Route& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.parameter[i] ? segments[i].empty() : route.segments[i] != segments[i]) return false;
  }
  return true;
}

bool Router::decode_parameters(const Route& route, const std::vector<std::string_view>& segments,
                               std::map<std::string, std::string>& params) {
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!route.parameter[i]) continue;
    std::string decoded;
    if (!percent_decode(segments[i], decoded)) return false;
    const std::string& name = route.segments[i];
    params[name.substr(1, name.size() - 2)] = std::move(decoded);
  }
  return true;
}

Router::Match Router::match(Request& request) const {
  Match result;
  auto segments = split_path(request.path);
  if (segments.size() >= routes_by_length_.size()) return result;
  const std::vector<std::size_t>& candidates = routes_by_length_[segments.size()];
  // The first route of the request's method wins, as declared.
  for (std::size_t index : candidates) {
    const Route& route = routes_[index];
    if (route.method != request.method || !literals_match(route, segments)) continue;
    std::map<std::string, std::string> params;
    if (!decode_parameters(route, segments, params)) continue;
    result.path_known = true;
    result.handler = &route.handler;
    result.route = route.pattern;
    result.index = index;
    result.permission = route.permission;
    request.path_params = std::move(params);
    result.run_inline = route.may_run_inline && route.may_run_inline(request);
    return result;
  }
  // No route of this method: which methods the path has, for 405.
  for (std::size_t index : candidates) {
    const Route& route = routes_[index];
    if (!literals_match(route, segments)) continue;
    std::map<std::string, std::string> params;
    if (!decode_parameters(route, segments, params)) continue;
    result.path_known = true;
    if (std::find(result.allowed.begin(), result.allowed.end(), route.method) ==
        result.allowed.end()) {
      result.allowed.push_back(route.method);
    }
  }
  return result;
}

}  // namespace citytwin::http
