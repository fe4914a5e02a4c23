#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/http/request.hpp"
#include "citytwin/http/response.hpp"

namespace citytwin::http {

using Handler = std::function<Response(Request&)>;

// A declarative route table: "METHOD /path/{param}/..." -> handler. Matching splits the raw
// (still percent-encoded) path on '/', so an encoded '/' inside an entity id stays in its
// segment; each parameter is decoded after matching.
class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    std::string route;                 // the pattern, used as the metrics label
    bool path_known = false;           // path matched some route but not with this method
    std::vector<std::string> allowed;  // methods allowed for the path (for 405 Allow)
  };

  void add(std::string method, std::string pattern, Handler handler);

  // Finds the handler for request.method and request.path and fills request.path_params.
  Match match(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

// Decodes %XX escapes; returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace citytwin::http
