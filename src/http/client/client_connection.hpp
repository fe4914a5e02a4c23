#pragma once

// The connection part every outgoing HTTP(S) request shares (http_getter.cpp,
// http_notification_sender.cpp): name resolution, the SSRF check of every resolved address,
// TCP or TLS connection, all bounded by one deadline. Header-only because it is coroutine
// templates over the stream type.

#include <chrono>
#include <exception>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "citytwin/http/outbound_policy.hpp"
#include "client_target.hpp"

namespace citytwin::http {

using ClientClock = std::chrono::steady_clock;

// What connect_and_exchange needs besides the target.
struct ClientConnection {
  const OutboundPolicy& outbound;
  boost::asio::ssl::context* tls;  // null: https fails with "TLS is not available"
  ClientClock::time_point deadline;
};

// Resolves `target` and refuses it unless every resolved address passes the outbound policy
// (SSRF guard; only the checked addresses are dialled). Connects, for https with SNI (unless
// an IP literal) and the certificate checked against the host name, the stream expiring at
// the deadline; then returns what `exchange(stream)` returns: "" or what failed. `describe`
// words a stream error (timeouts with the caller's limit). `refused`, when the outbound
// policy refused an address, is set so that the caller can log it.
template <class Exchange, class Describe>
boost::asio::awaitable<std::string> connect_and_exchange(const ClientTarget& target,
                                                         ClientConnection connection,
                                                         Describe describe, Exchange exchange,
                                                         bool* refused = nullptr) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace ssl = boost::asio::ssl;
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(target.host, target.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "cannot resolve " + target.host + ": " + ec.message();
  for (const auto& entry : endpoints) {
    auto allowed = connection.outbound.check(target.host, target.port, entry.endpoint().address());
    if (!allowed.ok()) {
      if (refused != nullptr) *refused = true;
      co_return allowed.error().detail;
    }
  }
  if (!target.https) {
    beast::tcp_stream stream(executor);
    stream.expires_at(connection.deadline);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot connect to " + target.host_header + ": " + describe(ec);
    co_return co_await exchange(stream);
  }
  if (connection.tls == nullptr) co_return std::string("TLS is not available");
  beast::ssl_stream<beast::tcp_stream> stream(executor, *connection.tls);
  if (!is_ip_literal(target.host)) {
    SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
  }
  stream.set_verify_callback(ssl::host_name_verification(target.host), ec);
  beast::get_lowest_layer(stream).expires_at(connection.deadline);
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "cannot connect to " + target.host_header + ": " + describe(ec);
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return "TLS handshake failed: " + describe(ec);
  co_return co_await exchange(stream);
}

// Runs `request` (a connect_and_exchange) on an event loop of its own, so callers stay
// synchronous. The loop is bounded by the deadline plus 100 ms even if name resolution, which
// the stream timeout does not cover, hangs. Returns false if it did not end by then;
// otherwise `error` is what the request returned ("" on success).
inline bool run_until_deadline(boost::asio::awaitable<std::string> request,
                               ClientClock::time_point deadline, std::string& error) {
  bool done = false;
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io, std::move(request), [&](std::exception_ptr exception, std::string outcome) {
        done = true;
        error = exception ? "internal error in the HTTP client" : std::move(outcome);
      });
  io.run_until(deadline + std::chrono::milliseconds(100));
  return done;
}

}  // namespace citytwin::http
