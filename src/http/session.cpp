#include "session.hpp"
#include "citytwin/common/json_text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <type_traits>

#include "citytwin/http/console_session_routes.hpp"
#include "citytwin/http/problem.hpp"
#include "ngsi/request_env.hpp"

namespace citytwin::http {
namespace {

namespace bhttp = beast::http;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Request to_request(BeastRequest& beast_request) {
  Request request;
  request.method = std::string(beast_request.method_string());
  for (const auto& field : beast_request) {
    request.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(beast_request.body());
  return request;
}

// True for errors the HTTP parser reports about malformed input (as opposed to the peer
// closing, a timeout or a reset), which deserve a 400 before the connection is closed.
bool is_malformed_request(const beast::error_code& ec) {
  static const auto& http_category =
      beast::http::make_error_code(bhttp::error::bad_target).category();
  return ec.category() == http_category && ec != bhttp::error::end_of_stream &&
         ec != bhttp::error::partial_message;
}

// The status line and header fields as Beast's serializer writes them (RFC 9112 sections 4
// and 5): "HTTP/1.1 200 OK", then each field in order, then an empty line.
void append_head(std::string& out, const BeastResponse& response) {
  const unsigned version = response.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  out += std::to_string(response.result_int());
  out += ' ';
  out += response.reason();
  out += "\r\n";
  for (const auto& field : response) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
}

BeastResponse to_beast(Response&& response, unsigned version) {
  BeastResponse out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "citytwin");
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  out.prepare_payload();
  return out;
}

}  // namespace

BeastResponse Dispatcher::error_response(unsigned version, int status, const char* error_kind,
                                         std::string detail) const {
  boost::json::object body{
      {"type", std::string("https://uri.etsi.org/ngsi-ld/errors/") + error_kind},
      {"title", error_kind},
      {"status", status},
      {"detail", std::move(detail)}};
  auto response =
      to_beast(Response::with_body(status, "application/json", to_json_text(body)), version);
  add_transport_headers(response);
  return response;
}

// RFC 6797: over HTTPS, tell browsers to use HTTPS only for this host for a year.
void Dispatcher::add_transport_headers(BeastResponse& response) const {
  if (options.tls_enabled()) {
    response.set(bhttp::field::strict_transport_security, "max-age=31536000");
  }
}

// One request on its way through the dispatcher (shared with the worker thread).
struct Dispatcher::Call {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  unsigned version = 11;
  Request request;
  std::string route = "unmatched";
  std::size_t route_index = Router::kNoRoute;
  std::string client_address;
  const Handler* handler = nullptr;
  Permission permission = Permission::kGlobalAdmin;  // of the matched route
  Response response;
};

void Dispatcher::dispatch(BeastRequest&& beast_request, std::string_view client_address,
                          const boost::asio::any_io_executor& loop, Completion done) const {
  auto call = std::make_shared<Call>();
  call->client_address = client_address;
  call->version = beast_request.version();
  std::string target(beast_request.target());
  call->request = to_request(beast_request);
  bool run_inline = route(target, *call);
  if (call->handler == nullptr) return done(finish(*call));
  if (run_inline) {
    run_handler(*call);
    return complete(call, loop, std::move(done));
  }
  boost::asio::post(workers, [this, call, loop, done = std::move(done)]() mutable {
    run_handler(*call);
    complete(call, loop, std::move(done));
  });
}

// Hands the response to the session's loop; after a request that may have written, only
// once its writes are durable (a lost write is answered 503 instead).
void Dispatcher::complete(const std::shared_ptr<Call>& call,
                          const boost::asio::any_io_executor& loop, Completion done) const {
  const std::string& method = call->request.method;
  if (barrier == nullptr || method == "GET" || method == "HEAD") {
    boost::asio::dispatch(loop, [this, call, done = std::move(done)] { done(finish(*call)); });
    return;
  }
  barrier->when_durable(barrier->mark(), [this, call, loop, done = std::move(done)](Status status) {
    boost::asio::post(loop, [this, call, done, status = std::move(status)] {
      if (!status.ok()) {
        spdlog::error("write not durable, answering 503: {}", status.error().detail);
        call->response = problem_response(
            make_error(ErrorKind::kServiceUnavailable,
                       "the change could not be made durable: " + status.error().detail));
      }
      done(finish(*call));
    });
  });
}

void Dispatcher::run_handler(Call& call) const {
  try {
    call.response = (*call.handler)(call.request);
  } catch (const std::exception& e) {
    // A handler must never throw; if one does it is a bug, logged and answered with 500.
    spdlog::error("handler for {} {} threw: {}", call.request.method, call.route, e.what());
    call.response = problem_response(make_error(ErrorKind::kInternalError, "internal error"));
  }
}

// Finds the handler, or sets the error response when there is none. Returns whether the
// handler may run inline.
bool Dispatcher::route(const std::string& target, Call& call) const {
  Request& request = call.request;
  Response& response = call.response;
  if (target.size() > options.max_url_bytes) {
    response = problem_response(make_error(ErrorKind::kInvalidRequest, "request URL too long"));
    response.status = 414;
  } else if (!parse_request_target(target, request)) {
    response = problem_response(make_error(ErrorKind::kInvalidRequest, "malformed request target"));
  } else {
    auto match = router.match(request);
    if (match.handler != nullptr) {
      call.route = std::move(match.route);
      call.route_index = match.index;
      call.permission = match.permission;
      // Public routes (probes, console files) are never limited: a load balancer's probes
      // share one address.
      if (match.permission != Permission::kPublic &&
          over_limit(ip_limiter, call.client_address, "ip", response)) {
        return false;
      }
      if (keys != nullptr && match.permission != Permission::kPublic) {
        if (auto admitted = admit(request, match.permission); !admitted.ok()) {
          response = problem_response(admitted.error());
          if (admitted.error().kind == ErrorKind::kUnauthorized) {
            // RFC 6750 section 3: the scheme, and invalid_token when a key was sent.
            // A refused device credential (HTTP Basic) also gets the Basic challenge (RFC 7235
            // section 4.1 allows several; RFC 7617 section 2).
            response.header("WWW-Authenticate",
                            basic_credentials(request)
                                ? "Bearer realm=\"citytwin\", Basic realm=\"citytwin\""
                            : presented_credential(request)
                                ? "Bearer realm=\"citytwin\", error=\"invalid_token\""
                                : "Bearer realm=\"citytwin\"");
          }
          return false;
        }
        // Anonymous open-data readers share no key: the per-address limit applies to them.
        if (!request.principal->anonymous &&
            over_limit(key_limiter, request.principal->key_id, "key", response)) {
          return false;
        }
      }
      call.handler = match.handler;
      return match.run_inline;
    } else if (match.path_known) {
      std::string allowed;
      for (const auto& method : match.allowed) allowed += (allowed.empty() ? "" : ", ") + method;
      response = problem_response(make_error(
          ErrorKind::kMethodNotAllowed, request.method + " is not supported on this resource"));
      response.header("Allow", allowed);
    } else {
      response = problem_response(
          make_error(ErrorKind::kResourceNotFound, "no resource at " + request.path));
    }
  }
  return false;
}

// Authentication, then authorization of the route's permission in the request's tenant. Runs
// before the handler and before anything is looked up, so a denied request learns nothing
// about the tenant or the resource. Every failure is 401 or 403 (or 500 if the store fails).
Status Dispatcher::admit(Request& request, Permission permission) const {
  if (auto login = basic_credentials(request)) return admit_device(request, permission, *login);
  auto key = presented_credential(request);
  // The console's session cookie stands for the credential given at its login (docs/security.md,
  // "Console sessions"); a credential in the headers takes precedence over it. `session`
  // holds the credential `key` then points into.
  Result<std::optional<security::ConsoleSession>> session{
      std::optional<security::ConsoleSession>()};
  if ((!key || key->empty()) && sessions != nullptr) {
    session = console_session(request);
    if (!session) return std::move(session).error();
    if (*session) key = (*session)->credential;
  }
  if (!key || key->empty()) return admit_anonymous(request, permission);
  auto principal = security::authenticate_credential(*keys, tokens, *key);
  if (!principal) return std::move(principal).error();
  // An invalid NGSILD-Tenant names no tenant a scoped key could hold: only a key of every
  // tenant gets past (its role still checked), and the handler then answers 400.
  auto tenant = ngsi::tenant_of(request);
  const std::string scope = tenant ? std::move(*tenant) : std::string(security::kAllTenants);
  CT_RETURN_IF_ERROR(security::authorize(*principal, permission, scope));
  request.principal = std::move(*principal);
  return ok_status();
}

// A request without credentials may read a tenant's open data (docs/security.md, "Open
// data"): on kOpenRead routes of a tenant that opened some entity type only; what it then
// sees is limited by core (request_env.cpp gives the handlers the tenant's ReadRestriction).
// Everything else stays 401.
Status Dispatcher::admit_anonymous(Request& request, Permission permission) const {
  auto missing = [] {
    return make_error(ErrorKind::kUnauthorized,
                      "an API key is required: send 'Authorization: Bearer <key>' or "
                      "'X-API-Key: <key>'");
  };
  if (permission != Permission::kOpenRead || open_data == nullptr) return missing();
  auto tenant = ngsi::tenant_of(request);
  if (!tenant) return missing();
  auto view = open_data->open_data_view(*tenant);
  if (!view) return std::move(view).error();
  if (*view == nullptr) return missing();
  request.principal = security::anonymous_reader(*tenant);
  return ok_status();
}

// A device credential in HTTP Basic (docs/security.md, "Device credentials"): role kDevice,
// only on kDeviceWrite routes of the credential's tenant; a request that names no tenant acts
// in it (devices, like the IoT Agent's, send only k and i). Which device it writes for is
// checked by the handlers once they know it (security::authorize_device).
Status Dispatcher::admit_device(Request& request, Permission permission,
                                std::string_view login) const {
  auto parts = security::split_device_login(login);
  if (devices == nullptr || !parts) {
    return make_error(ErrorKind::kUnauthorized, "bad device user name or password");
  }
  auto credential = devices->authenticate(parts->first, parts->second);
  if (!credential) return std::move(credential).error();
  security::Principal principal = security::device_principal(*credential);
  std::string scope = principal.tenant;
  if (request.header("ngsild-tenant") || request.header("fiware-service")) {
    auto tenant = ngsi::tenant_of(request);
    // An invalid tenant name is no tenant a credential holds.
    scope = tenant ? std::move(*tenant) : std::string(security::kAllTenants);
  }
  CT_RETURN_IF_ERROR(security::authorize(principal, permission, scope));
  request.principal = std::move(principal);
  return ok_status();
}

// The live console session of the request's cookie, if any. A state-changing request made
// with it must echo the session's CSRF token in X-CSRF-Token (synchronizer token pattern):
// another site can make the browser send the cookie, but cannot read the token.
Result<std::optional<security::ConsoleSession>> Dispatcher::console_session(
    const Request& request) const {
  auto id = request_cookie(request, kSessionCookie);
  auto session = id ? sessions->find(*id) : std::nullopt;
  if (!session) return std::optional<security::ConsoleSession>();
  const std::string& method = request.method;
  if (method != "GET" && method != "HEAD" && method != "OPTIONS" &&
      !security::ConsoleSessions::csrf_matches(*session,
                                               request.header("x-csrf-token").value_or(""))) {
    return make_error(ErrorKind::kForbidden,
                      "a request authenticated by the console's session cookie must carry its "
                      "CSRF token in the X-CSRF-Token header");
  }
  return session;
}

// 429 with Retry-After in whole seconds (RFC 6585 clause 4, RFC 9110 clause 10.2.3), and a
// count per kind of limit in /metrics.
bool Dispatcher::over_limit(RateLimiter* limiter, std::string_view client, const char* by,
                            Response& response) const {
  if (limiter == nullptr) return false;
  auto wait = limiter->acquire(client, std::chrono::steady_clock::now());
  if (!wait) return false;
  long long seconds = std::max<long long>(1, (wait->count() + 999) / 1000);
  const std::string who = std::string_view(by) == "key" ? "API key" : "client address";
  response = problem_response(make_error(
      ErrorKind::kTooManyRequests,
      "rate limit of this " + who + " exceeded; retry after " + std::to_string(seconds) + " s"));
  response.header("Retry-After", std::to_string(seconds));
  metrics.add_counter("citytwin_http_rate_limited_total", Labels{{"by", by}});
  return true;
}

// The audit record of a request that may have changed something (docs/security.md, "Audit
// log"): routes of write and admin permissions, whatever their method, once answered. Never
// the query string, headers or body, where secrets travel. Requests refused before their
// handler (401, 403, 429) are not recorded: they changed nothing, and recording them would
// let anyone flood the log.
void Dispatcher::record_write(const Call& call) const {
  const Permission permission = call.permission;
  if (audit == nullptr || call.handler == nullptr ||
      (permission != Permission::kWrite && permission != Permission::kDeviceWrite &&
       permission != Permission::kAdmin && permission != Permission::kGlobalAdmin) ||
      call.request.method == "GET" || call.request.method == "HEAD") {
    return;
  }
  const Request& request = call.request;
  security::AuditRecord record;
  if (request.principal) {
    record.actor = request.principal->key_id;
    record.role = security::role_name(request.principal->role);
    record.scope = request.principal->tenant;
  } else {
    record.actor = "unauthenticated";  // authentication is off
  }
  auto tenant = ngsi::tenant_of(request);
  record.tenant = tenant ? *tenant : std::string();
  // Subscriptions send the tenant's data elsewhere: an administrative act like settings.
  bool admin = (permission != Permission::kWrite && permission != Permission::kDeviceWrite) ||
               call.route.find("/subscriptions") != std::string::npos;
  record.kind = admin ? "admin" : "write";
  record.method = request.method;
  record.path = request.path;
  // IoT Agent measures name the device in `i` (docs/ingest.md); `k`, the group's apikey, is
  // a credential and is left out.
  if (call.route.starts_with("/iot/")) {
    if (auto device = request.param("i")) record.device = std::string(device->substr(0, 256));
  }
  record.status = call.response.status;
  audit->record(std::move(record));
}

Outgoing Dispatcher::finish(Call& call) const {
  record_write(call);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call.started).count();
  if (request_metrics != nullptr) {
    request_metrics->record(call.route_index, call.route, call.request.method, call.response.status,
                            seconds);
  } else {
    Labels labels{{"route", call.route}, {"method", call.request.method}};
    metrics.observe_latency("citytwin_http_request_duration_seconds", labels, seconds);
    labels.emplace_back("status", std::to_string(call.response.status));
    metrics.add_counter("citytwin_http_requests_total", labels);
  }
  std::shared_ptr<BodyStream> stream = std::move(call.response.stream);
  std::vector<std::string> parts;
  if (!stream) parts = std::move(call.response.body_parts);
  BeastResponse response = to_beast(std::move(call.response), call.version);
  if (!parts.empty()) {
    std::size_t size = response.body().size();
    for (const std::string& part : parts) size += part.size();
    response.content_length(size);
  }
  Outgoing outgoing{std::move(response), std::move(parts), std::move(stream)};
  add_transport_headers(outgoing.response);
  return outgoing;
}

template <class Stream>
Session<Stream>::Session(Stream stream, std::shared_ptr<boost::asio::ssl::context> tls,
                         const Dispatcher& dispatcher)
    : tls_(std::move(tls)), stream_(std::move(stream)), dispatcher_(dispatcher) {}

template <class Stream>
Session<Stream>::~Session() {
  dispatcher_.tracker.remove(tracker_id_, busy_);
}

template <class Stream>
void Session<Stream>::start() {
  boost::system::error_code ec;
  auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (!ec) client_address_ = peer.address().to_string();
  std::weak_ptr<Session> weak = this->shared_from_this();
  auto executor = stream_.get_executor();
  tracker_id_ = dispatcher_.tracker.add([weak, executor] {
    boost::asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->close_if_idle();
    });
  });
  boost::asio::dispatch(executor, [self = this->shared_from_this()] { self->handshake(); });
}

// TLS: the handshake must finish within request_timeout; a client speaking plain HTTP to the
// TLS port fails it and is disconnected without an answer.
template <class Stream>
void Session<Stream>::handshake() {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) return self->close();
                              self->read_header();
                            });
  } else {
    read_header();
  }
}

template <class Stream>
void Session<Stream>::read_header() {
  if (closed_ || dispatcher_.tracker.shutting_down()) return close();
  if (buffer_.size() == 0) return wait_for_request();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(dispatcher_.options.max_header_bytes));
  parser_->body_limit(dispatcher_.options.max_body_bytes);
  // From its first byte, the whole request must arrive within request_timeout (slow clients
  // that trickle headers are cut off).
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             self->on_header(ec);
                           });
}

// An idle keep-alive connection may wait up to idle_timeout for the next request to start.
template <class Stream>
void Session<Stream>::wait_for_request() {
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](
                                                     beast::error_code ec, std::size_t bytes) {
    if (ec) return self->close();
    self->buffer_.commit(bytes);
    self->read_header();
  });
}

template <class Stream>
void Session<Stream>::on_header(beast::error_code ec) {
  if (ec == bhttp::error::header_limit) {
    return reject(431, "InvalidRequest", "request headers too large");
  }
  if (ec == bhttp::error::body_limit) {
    return reject(413, "PayloadTooLarge", "request body larger than the configured limit");
  }
  if (ec) {
    if (is_malformed_request(ec)) {
      return reject(400, "InvalidRequest", "malformed HTTP request: " + ec.message());
    }
    return close();  // peer closed, timed out (slow client) or reset
  }
  set_busy(true);
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
  auto& header = parser_->get();
  if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
    auto continue_response = std::make_shared<bhttp::response<bhttp::empty_body>>(
        bhttp::status::continue_, header.version());
    bhttp::async_write(
        stream_, *continue_response,
        [self = this->shared_from_this(), continue_response](beast::error_code wec, std::size_t) {
          if (wec) return self->close();
          self->read_body();
        });
    return;
  }
  read_body();
}

template <class Stream>
void Session<Stream>::read_body() {
  bhttp::async_read(
      stream_, buffer_, *parser_,
      [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

template <class Stream>
void Session<Stream>::on_body(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return reject(413, "PayloadTooLarge", "request body larger than the configured limit");
  }
  if (ec) {
    if (is_malformed_request(ec)) {
      return reject(400, "InvalidRequest", "malformed HTTP request: " + ec.message());
    }
    return close();
  }
  BeastRequest request = parser_->release();
  bool keep_alive = request.keep_alive();
  dispatcher_.dispatch(
      std::move(request), client_address_, stream_.get_executor(),
      [self = this->shared_from_this(), keep_alive](Outgoing outgoing) {
        outgoing.response.keep_alive(keep_alive && !self->dispatcher_.tracker.shutting_down());
        if (outgoing.stream) return self->write_stream(std::move(outgoing));
        self->write(std::move(outgoing.response), std::move(outgoing.body_parts));
      });
}

template <class Stream>
void Session<Stream>::reject(int status, const char* error_kind, std::string detail) {
  set_busy(true);
  auto response = dispatcher_.error_response(11, status, error_kind, std::move(detail));
  response.keep_alive(false);
  write(std::move(response));
}

template <class Stream>
void Session<Stream>::write(BeastResponse response, std::vector<std::string> body_parts) {
  bool keep_alive = response.keep_alive();
  // One buffer, kept by the session and reused: Beast's serializer walks a sequence of
  // buffers per field, which showed in the GET profile; the bytes are the same.
  wire_.clear();
  append_head(wire_, response);
  auto done = [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
    self->on_write(keep_alive, ec);
  };
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
  if (body_parts.empty() && response.body().size() <= kCopiedBodyBytes) {
    wire_ += response.body();
    return boost::asio::async_write(stream_, boost::asio::buffer(wire_), std::move(done));
  }
  // A large body (a page of histories: megabytes) is not copied after the head: the copy and
  // the fresh pages it touched were a tenth of an aggregated temporal query's CPU.
  large_ = std::move(response);
  large_parts_ = std::move(body_parts);
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(2 + large_parts_.size());
  buffers.emplace_back(boost::asio::buffer(wire_));
  if (!large_.body().empty()) buffers.emplace_back(boost::asio::buffer(large_.body()));
  for (const std::string& part : large_parts_) {
    if (!part.empty()) buffers.emplace_back(boost::asio::buffer(part));
  }
  boost::asio::async_write(stream_, std::move(buffers), std::move(done));
}

// Chunked transfer encoding (RFC 9112 7.1): the head, then one chunk per piece, each asked
// for on a worker thread (producing a piece may read the store) once the previous chunk is
// written, then the last chunk.
template <class Stream>
void Session<Stream>::write_stream(Outgoing outgoing) {
  auto head = std::make_shared<bhttp::response<bhttp::empty_body>>(outgoing.response.result(),
                                                                   outgoing.response.version());
  for (const auto& field : outgoing.response) head->set(field.name_string(), field.value());
  head->erase(bhttp::field::content_length);
  head->keep_alive(outgoing.response.keep_alive());
  head->chunked(true);
  auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
  bool keep_alive = head->keep_alive();
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
  bhttp::async_write_header(stream_, *serializer,
                            [self = this->shared_from_this(), head, serializer, keep_alive,
                             body = std::move(outgoing.stream)](beast::error_code ec, std::size_t) {
                              if (ec) return self->on_write(false, ec);
                              self->next_piece(body, keep_alive);
                            });
}

template <class Stream>
void Session<Stream>::next_piece(std::shared_ptr<BodyStream> body, bool keep_alive) {
  if (dispatcher_.tracker.shutting_down()) return close();  // no final chunk: incomplete
  if (body->event_driven()) return wait_for_event(std::move(body), keep_alive);
  auto loop = stream_.get_executor();
  boost::asio::post(dispatcher_.workers, [self = this->shared_from_this(), body, keep_alive, loop] {
    Result<std::optional<std::string>> piece = std::optional<std::string>();
    try {
      piece = body->next();
    } catch (const std::exception& e) {
      piece = make_error(ErrorKind::kInternalError, e.what());
    }
    boost::asio::post(loop, [self, body, keep_alive, piece = std::move(piece)]() mutable {
      self->write_piece(body, keep_alive, std::move(piece));
    });
  });
}

// An event stream holds no worker while it waits: the stream calls back when it has a piece.
// The write timeout still applies to each piece, so a client that stops reading is cut off
// once the socket's buffers are full.
template <class Stream>
void Session<Stream>::wait_for_event(std::shared_ptr<BodyStream> body, bool keep_alive) {
  waiting_ = body;
  auto loop = stream_.get_executor();
  body->wait([self = this->shared_from_this(), body, keep_alive, loop] {
    boost::asio::post(loop, [self, body, keep_alive] {
      if (self->waiting_ != body) return;  // cancelled meanwhile
      self->waiting_.reset();
      Result<std::optional<std::string>> piece = std::optional<std::string>();
      try {
        piece = body->next();
      } catch (const std::exception& e) {
        piece = make_error(ErrorKind::kInternalError, e.what());
      }
      self->write_piece(body, keep_alive, std::move(piece));
    });
  });
}

template <class Stream>
void Session<Stream>::write_piece(std::shared_ptr<BodyStream> body, bool keep_alive,
                                  Result<std::optional<std::string>> piece) {
  if (!piece) {
    spdlog::error("streamed response failed, closing the connection: {}", piece.error().detail);
    return close();
  }
  beast::get_lowest_layer(stream_).expires_after(dispatcher_.options.request_timeout);
  if (!*piece) {
    boost::asio::async_write(
        stream_, bhttp::make_chunk_last(),
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          self->on_write(keep_alive, ec);
        });
    return;
  }
  if ((*piece)->empty()) return next_piece(std::move(body), keep_alive);  // 0 would end it
  auto data = std::make_shared<std::string>(std::move(**piece));
  boost::asio::async_write(
      stream_, bhttp::make_chunk(boost::asio::buffer(*data)),
      [self = this->shared_from_this(), data, body, keep_alive](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        self->next_piece(body, keep_alive);
      });
}

template <class Stream>
void Session<Stream>::on_write(bool keep_alive, beast::error_code ec) {
  // A large answer's buffer is not kept for the rest of a keep-alive connection's life.
  if (wire_.capacity() > kKeptWireBytes) std::string().swap(wire_);
  large_ = BeastResponse();
  std::vector<std::string>().swap(large_parts_);
  set_busy(false);
  if (ec || !keep_alive) return close();
  read_header();
}

template <class Stream>
void Session<Stream>::close_if_idle() {
  if (waiting_) {
    // An event stream never ends by itself: at shutdown it is closed like an idle connection.
    auto body = std::move(waiting_);
    body->cancel();
    set_busy(false);
    return close();
  }
  if (!busy_) close();
}

// The tracker counts busy connections; it is told only of changes.
template <class Stream>
void Session<Stream>::set_busy(bool busy) {
  if (busy_ == busy) return;
  busy_ = busy;
  dispatcher_.tracker.set_busy(busy);
}

template <class Stream>
void Session<Stream>::close() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

template class Session<PlainStream>;
template class Session<TlsStream>;

}  // namespace citytwin::http
