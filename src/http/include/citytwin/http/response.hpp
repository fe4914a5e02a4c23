#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace citytwin::http {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response empty(int status) {
    Response response;
    response.status = status;
    return response;
  }
  static Response with_body(int status, std::string content_type, std::string body) {
    Response response;
    response.status = status;
    response.headers.emplace_back("Content-Type", std::move(content_type));
    response.body = std::move(body);
    return response;
  }
};

}  // namespace citytwin::http
