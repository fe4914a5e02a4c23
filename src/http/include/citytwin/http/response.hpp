#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::http {

// A response body produced piece by piece (exports of any size with bounded memory). The
// server sends it with chunked transfer encoding, asking for the next piece on a worker
// thread only once the previous one is written, so a slow client slows the producer.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece, or nullopt at the end. An error can no longer change the status line
  // already sent: the server logs it and closes the connection without the final chunk, so
  // the client sees an incomplete body, never a silently truncated one.
  virtual Result<std::optional<std::string>> next() = 0;

  // An event stream (Server-Sent Events) has its pieces when something happens, not on
  // demand: the server then never runs next() on a worker to wait, it calls wait() and the
  // stream calls `ready` once, on any thread, when next() has a piece (or the end) to return
  // without blocking. cancel() (the connection closed) drops a `ready` not yet called.
  virtual bool event_driven() const { return false; }
  virtual void wait(std::function<void()> ready) { ready(); }
  virtual void cancel() {}
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The rest of the body, after `body`, in order: a large body assembled from texts made
  // apart (a temporal page's entities) is sent from them, never copied into one string.
  std::vector<std::string> body_parts;
  std::shared_ptr<BodyStream> stream;  // when set, the body (`body` and parts are ignored)

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
