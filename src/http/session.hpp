#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "citytwin/common/metrics.hpp"
#include "citytwin/http/rate_limiter.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/http/server.hpp"
#include "citytwin/security/console_sessions.hpp"
#include "citytwin/security/device_credentials.hpp"
#include "citytwin/security/key_service.hpp"
#include "connection_tracker.hpp"
#include "request_metrics.hpp"

namespace citytwin::http {

namespace beast = boost::beast;
using BeastRequest = beast::http::request<beast::http::string_body>;
using BeastResponse = beast::http::response<beast::http::string_body>;

// Turns a Beast request into a response through the router, and records metrics. A route
// that accepts the request inline runs on the calling event loop; every other handler runs on
// a worker thread and its response is posted back to the session's loop.
// A response on its way out: the head (and whole body), or the head of a streamed body.
struct Outgoing {
  BeastResponse response;  // with the body's first text; Content-Length counts the parts too
  std::vector<std::string> body_parts;  // Response::body_parts
  std::shared_ptr<BodyStream> stream;
};

struct Dispatcher {
  using Completion = std::function<void(Outgoing)>;

  const Router& router;
  MetricsRegistry& metrics;
  const ServerOptions& options;
  ConnectionTracker& tracker;
  boost::asio::thread_pool& workers;
  WriteBarrier* barrier;                    // null: handlers' writes are durable when they return
  security::KeyService* keys;               // null: authentication is off, every route is open
  RateLimiter* ip_limiter;                  // null: no limit per client address
  RateLimiter* key_limiter;                 // null: no limit per API key
  const security::JwtVerifierSlot* tokens;  // null: bearer JWTs are not accepted
  // Tenants' open data (docs/security.md, "Open data"); null: no anonymous reads.
  const core::DataPolicies* open_data = nullptr;
  // Where writes and administrative actions are recorded; null: nowhere.
  security::AuditLog* audit = nullptr;
  security::ConsoleSessions* sessions = nullptr;  // null: no console session cookies
  // Device credentials presented with HTTP Basic (docs/security.md, "Device credentials");
  // null: Basic authentication is refused.
  const security::DeviceCredentialService* devices = nullptr;
  // The request series of `metrics`, found once per route; null: looked up per request.
  RequestMetrics* request_metrics = nullptr;

  // Calls `done` with the response, on `loop` (directly when the handler ran inline).
  void dispatch(BeastRequest&& request, std::string_view client_address,
                const boost::asio::any_io_executor& loop, Completion done) const;
  BeastResponse error_response(unsigned version, int status, const char* error_kind,
                               std::string detail) const;
  void add_transport_headers(BeastResponse& response) const;

 private:
  struct Call;
  bool route(const std::string& target, Call& call) const;
  Status admit(Request& request, Permission permission) const;
  Status admit_anonymous(Request& request, Permission permission) const;
  Status admit_device(Request& request, Permission permission, std::string_view login) const;
  Result<std::optional<security::ConsoleSession>> console_session(const Request& request) const;
  bool over_limit(RateLimiter* limiter, std::string_view client, const char* by,
                  Response& response) const;
  void run_handler(Call& call) const;
  void complete(const std::shared_ptr<Call>& call, const boost::asio::any_io_executor& loop,
                Completion done) const;
  Outgoing finish(Call& call) const;
  void record_write(const Call& call) const;
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One client connection: reads requests (header first, to answer "Expect: 100-continue"),
// dispatches them, writes responses, keeps the connection alive while the client wants.
// `Stream` is PlainStream or TlsStream (session.cpp instantiates both); a TLS session first
// completes the handshake, within request_timeout, with the context it was given, which it
// keeps alive for its whole life (a certificate reload affects new connections only).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<boost::asio::ssl::context> tls,
          const Dispatcher& dispatcher);
  ~Session();
  void start();

 private:
  void handshake();
  void read_header();
  void wait_for_request();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void reject(int status, const char* error_kind, std::string detail);
  void write(BeastResponse response, std::vector<std::string> body_parts = {});
  void write_stream(Outgoing outgoing);
  void next_piece(std::shared_ptr<BodyStream> body, bool keep_alive);
  void wait_for_event(std::shared_ptr<BodyStream> body, bool keep_alive);
  void write_piece(std::shared_ptr<BodyStream> body, bool keep_alive,
                   Result<std::optional<std::string>> piece);
  void on_write(bool keep_alive, beast::error_code ec);
  void close_if_idle();
  void close();
  void set_busy(bool busy);

  std::shared_ptr<boost::asio::ssl::context> tls_;  // before stream_: outlives it
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::string wire_;  // the response being written: its head, and a small body too
  static constexpr std::size_t kKeptWireBytes = 64 * 1024;
  // A larger body is written from where it is, after the head: kept until written.
  static constexpr std::size_t kCopiedBodyBytes = 16 * 1024;
  BeastResponse large_;
  std::vector<std::string> large_parts_;
  const Dispatcher& dispatcher_;
  std::string client_address_;  // the peer's IP address, for per-address rate limits
  std::size_t tracker_id_ = 0;
  bool busy_ = false;  // what the tracker was last told (set_busy)
  bool closed_ = false;
  // The event stream this session waits on (BodyStream::event_driven), so that a shutdown
  // can close it although the session is busy.
  std::shared_ptr<BodyStream> waiting_;
};

}  // namespace citytwin::http
