#include "citytwin/http/http_notification_sender.hpp"
#include "client_tls.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace citytwin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Target {
  bool https = false;
  std::string host;
  std::string port;
  std::string host_header;
  std::string path;
};

Error failed(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

Result<Target> parse_target(std::string_view uri) {
  auto parsed = urls::parse_uri(uri);
  if (!parsed) return failed("not an absolute URL: " + std::string(uri));
  Target target;
  if (parsed->scheme_id() == urls::scheme::https) {
    target.https = true;
  } else if (parsed->scheme_id() != urls::scheme::http) {
    return failed("only http:// and https:// endpoints are supported: " + std::string(uri));
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) {
    return failed("the endpoint URL has no host: " + std::string(uri));
  }
  target.host = parsed->host_address();
  target.port = parsed->has_port() ? std::string(parsed->port()) : (target.https ? "443" : "80");
  target.host_header = std::string(parsed->encoded_host_and_port());
  target.path = std::string(parsed->encoded_target());
  if (target.path.empty() || target.path.front() != '/') target.path.insert(0, "/");
  return target;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class Delivery {
 public:
  Delivery(const HttpNotificationSenderOptions& options, ssl::context* tls,
           SteadyClock::time_point deadline)
      : options_(options), tls_(tls), deadline_(deadline) {}

  asio::awaitable<void> run(const Target& target, const core::OutgoingNotification& notification,
                            std::optional<unsigned>& status, std::string& body,
                            std::string& error) {
    auto executor = co_await asio::this_coro::executor;
    beast::error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(target.host, target.port,
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "cannot resolve " + target.host + ": " + ec.message();
      co_return;
    }
    // SSRF guard: every address is checked and only these checked addresses are connected to.
    for (const auto& entry : endpoints) {
      auto allowed = options_.outbound.check(target.host, target.port, entry.endpoint().address());
      if (!allowed.ok()) {
        spdlog::warn("notification to {}:{} not sent: {}", target.host, target.port,
                     allowed.error().detail);
        error = allowed.error().detail;
        co_return;
      }
    }
    if (!target.https) {
      beast::tcp_stream stream(executor);
      stream.expires_at(deadline_);
      co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        error = "cannot connect to " + target.host_header + ": " + describe(ec);
        co_return;
      }
      co_await exchange(stream, target, notification, status, body, error);
      co_return;
    }
    if (tls_ == nullptr) {
      error = "TLS is not available";
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(executor, *tls_);
    if (!is_ip_literal(target.host)) {  // RFC 6066 clause 3: no SNI for IP literals
      SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
    }
    stream.set_verify_callback(ssl::host_name_verification(target.host), ec);
    beast::get_lowest_layer(stream).expires_at(deadline_);
    co_await beast::get_lowest_layer(stream).async_connect(
        endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "cannot connect to " + target.host_header + ": " + describe(ec);
      co_return;
    }
    co_await stream.async_handshake(ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "TLS handshake failed: " + describe(ec);
      co_return;
    }
    co_await exchange(stream, target, notification, status, body, error);
  }

 private:
  template <class Stream>
  asio::awaitable<void> exchange(Stream& stream, const Target& target,
                                 const core::OutgoingNotification& notification,
                                 std::optional<unsigned>& status, std::string& body,
                                 std::string& error) {
    beast::error_code ec;
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, target.path, 11};
    request.set(bhttp::field::host, target.host_header);
    request.set(bhttp::field::user_agent, options_.user_agent);
    request.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : notification.headers) request.set(name, value);
    request.body() = notification.body;
    request.prepare_payload();
    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "cannot send the notification: " + describe(ec);
      co_return;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    beast::flat_buffer buffer;
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "no valid HTTP answer: " + describe(ec);
      co_return;
    }
    status = parser.get().result_int();
    body = std::move(parser.get().body());
  }

 private:
  std::string describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return "timed out after " + std::to_string(options_.timeout.count()) + " ms";
    }
    return ec.message();
  }

  const HttpNotificationSenderOptions& options_;
  ssl::context* tls_;
  SteadyClock::time_point deadline_;
};

}  // namespace

struct HttpNotificationSender::Tls {
  std::unique_ptr<ssl::context> context;
};

HttpNotificationSender::HttpNotificationSender(HttpNotificationSenderOptions options)
    : options_(std::move(options)) {
  auto context = make_client_tls(options_.ca_file);
  if (context) tls_ = std::make_unique<Tls>(Tls{std::move(context)});
}

HttpNotificationSender::~HttpNotificationSender() = default;

Result<HttpAnswer> HttpNotificationSender::post(const core::OutgoingNotification& notification) {
  try {
    auto target = parse_target(notification.uri);
    if (!target) return std::move(target).error();
    std::optional<unsigned> status;
    std::string body;
    std::string error;
    bool done = false;
    auto deadline = SteadyClock::now() + options_.timeout;
    {
      asio::io_context io;
      Delivery delivery(options_, tls_ ? tls_->context.get() : nullptr, deadline);
      asio::co_spawn(io, delivery.run(*target, notification, status, body, error),
                     [&](std::exception_ptr exception) {
                       done = true;
                       if (exception) error = "internal error in the HTTP client";
                     });
      // Bounded even if name resolution, which the stream timeout does not cover, hangs.
      io.run_until(deadline + std::chrono::milliseconds(100));
    }
    if (!done) {
      return failed("timed out after " + std::to_string(options_.timeout.count()) + " ms");
    }
    if (!status) return failed(error);
    return HttpAnswer{*status, std::move(body)};
  } catch (const std::exception& exception) {
    return failed(std::string("internal error: ") + exception.what());
  }
}

Status HttpNotificationSender::send(const core::OutgoingNotification& notification) {
  auto answer = post(notification);
  if (!answer) return std::move(answer).error();
  if (answer->status < 200 || answer->status > 299) {
    return failed("the receiver answered HTTP " + std::to_string(answer->status));
  }
  return ok_status();
}

}  // namespace citytwin::http
