#include "citytwin/http/http_getter.hpp"
#include "client_tls.hpp"

#include <cctype>
#include <charconv>

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
#include <boost/url/url.hpp>

namespace citytwin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Where one request goes.
struct Target {
  bool https = false;
  std::string host;         // for DNS and certificate checks (no brackets)
  std::string port;         // explicit or the scheme default
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // origin-form request target
};

// What one request/response produced.
struct Reply {
  unsigned status = 0;
  std::string location;
  std::string cache_control;
  std::string body;
};

struct Outcome {
  std::optional<Reply> reply;
  std::string error;  // set when reply is empty
};

Error unavailable(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

Result<Target> parse_target(std::string_view url, bool https_only) {
  auto parsed = urls::parse_uri(url);
  if (!parsed) return unavailable("not an absolute URL");
  const urls::url_view& view = *parsed;
  Target target;
  if (view.scheme_id() == urls::scheme::https) {
    target.https = true;
  } else if (view.scheme_id() != urls::scheme::http) {
    return unavailable("only http and https URLs can be loaded");
  }
  if (https_only && !target.https) return unavailable("only https URLs are accepted");
  if (!view.has_authority() || view.encoded_host().empty()) {
    return unavailable("the URL has no host");
  }
  target.host = view.host_address();
  target.port = view.has_port() ? std::string(view.port()) : (target.https ? "443" : "80");
  target.host_header = std::string(view.encoded_host_and_port());
  target.path = std::string(view.encoded_target());
  if (target.path.empty() || target.path.front() != '/') target.path.insert(0, "/");
  return target;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class Fetcher {
 public:
  Fetcher(const HttpGetOptions& options, ssl::context* tls, Clock::time_point deadline)
      : options_(options), tls_(tls), deadline_(deadline) {}

  asio::awaitable<void> run(const Target& target, Outcome& out) {
    auto executor = co_await asio::this_coro::executor;
    beast::error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(target.host, target.port,
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "cannot resolve " + target.host + ": " + ec.message());
    // SSRF guard: every address is checked and only these checked addresses are connected to.
    for (const auto& entry : endpoints) {
      auto allowed = options_.outbound.check(target.host, target.port, entry.endpoint().address());
      if (!allowed.ok()) co_return fail(out, allowed.error().detail);
    }
    if (!target.https) {
      beast::tcp_stream stream(executor);
      stream.expires_at(deadline_);
      co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return fail(out, "cannot connect: " + describe(ec));
      co_await exchange(stream, target, out);
      co_return;
    }
    if (tls_ == nullptr) co_return fail(out, "TLS is not available");
    beast::ssl_stream<beast::tcp_stream> stream(executor, *tls_);
    if (!is_ip_literal(target.host)) {  // RFC 6066 clause 3: no SNI for IP literals
      SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str());
    }
    stream.set_verify_callback(ssl::host_name_verification(target.host), ec);
    beast::get_lowest_layer(stream).expires_at(deadline_);
    co_await beast::get_lowest_layer(stream).async_connect(
        endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "cannot connect: " + describe(ec));
    co_await stream.async_handshake(ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "TLS handshake failed: " + describe(ec));
    co_await exchange(stream, target, out);
  }

 private:
  template <class Stream>
  asio::awaitable<void> exchange(Stream& stream, const Target& target, Outcome& out) {
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target.path, 11};
    request.set(bhttp::field::host, target.host_header);
    request.set(bhttp::field::accept, options_.accept);
    request.set(bhttp::field::user_agent, options_.user_agent);
    request.set(bhttp::field::connection, "close");
    beast::error_code ec;
    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "cannot send the request: " + describe(ec));
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    beast::flat_buffer buffer;
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(out, "cannot read the response: " + describe(ec));
    const auto& response = parser.get();
    Reply reply;
    reply.status = response.result_int();
    if (auto location = response.find(bhttp::field::location); location != response.end()) {
      reply.location = std::string(location->value());
    }
    if (auto cache = response.find(bhttp::field::cache_control); cache != response.end()) {
      reply.cache_control = std::string(cache->value());
    }
    reply.body = response.body();
    out.reply = std::move(reply);
  }

  std::string describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return "timed out after " + std::to_string(options_.timeout.count()) + " ms";
    }
    if (ec == bhttp::error::body_limit) {
      return "document larger than " + std::to_string(options_.max_body_bytes) + " bytes";
    }
    return ec.message();
  }

  static void fail(Outcome& out, std::string detail) { out.error = std::move(detail); }

  const HttpGetOptions& options_;
  ssl::context* tls_;
  Clock::time_point deadline_;
};

}  // namespace

struct HttpGetter::Tls {
  std::unique_ptr<ssl::context> context;
};

HttpGetter::HttpGetter(HttpGetOptions options) : options_(std::move(options)) {
  auto context = make_client_tls(options_.ca_file);
  if (context) tls_ = std::make_unique<Tls>(Tls{std::move(context)});
}

HttpGetter::~HttpGetter() = default;

// One request on its own event loop. The loop is bounded by the deadline even if name
// resolution (which the stream timeout does not cover) hangs.
static Result<Reply> fetch_once(const Target& target, const HttpGetOptions& options,
                                ssl::context* tls) {
  Outcome out;
  Clock::time_point deadline = Clock::now() + options.timeout;
  bool done = false;
  {
    asio::io_context io;
    Fetcher fetcher(options, tls, deadline);
    asio::co_spawn(io, fetcher.run(target, out), [&](std::exception_ptr error) {
      done = true;
      if (error) out.error = "internal error in the HTTP client";
    });
    io.run_until(deadline + std::chrono::milliseconds(100));
  }
  if (!done) {
    return unavailable("timed out after " + std::to_string(options.timeout.count()) + " ms");
  }
  if (!out.reply) return unavailable(out.error);
  return std::move(*out.reply);
}

// Follows up to max_redirects redirects (RFC 9110 clause 15.4), resolving relative Locations.
Result<HttpDocument> HttpGetter::get(std::string_view url) const {
  try {
    urls::url current;
    if (auto parsed = urls::parse_uri(url)) current = *parsed;
    for (int hop = 0;; ++hop) {
      auto target =
          parse_target(hop == 0 ? url : std::string_view(current.buffer()), options_.https_only);
      if (!target) return std::move(target).error();
      auto reply = fetch_once(*target, options_, tls_ ? tls_->context.get() : nullptr);
      if (!reply) return std::move(reply).error();
      if (is_redirect(reply->status)) {
        if (hop >= options_.max_redirects) {
          return unavailable("more than " + std::to_string(options_.max_redirects) + " redirects");
        }
        auto location = urls::parse_uri_reference(reply->location);
        urls::url next;
        if (reply->location.empty() || !location || !urls::resolve(current, *location, next)) {
          return unavailable("redirect with an invalid Location");
        }
        current = std::move(next);
        continue;
      }
      if (reply->status < 200 || reply->status > 299) {
        return unavailable("HTTP status " + std::to_string(reply->status));
      }
      return HttpDocument{std::move(reply->body), std::move(reply->cache_control)};
    }
  } catch (const std::exception& error) {
    return unavailable(std::string("internal error: ") + error.what());
  }
}

long long cache_max_age(std::string_view cache_control) {
  long long max_age = -1;
  // Directives are comma-separated, case-insensitive names, optionally "=value" (clause 5.2).
  while (!cache_control.empty()) {
    auto comma = cache_control.find(',');
    std::string directive;
    for (char c : cache_control.substr(0, comma)) {
      if (c != ' ' && c != '\t') directive.push_back(static_cast<char>(std::tolower(c)));
    }
    cache_control.remove_prefix(comma == std::string_view::npos ? cache_control.size() : comma + 1);
    if (directive == "no-store" || directive == "no-cache") return 0;
    if (!directive.starts_with("max-age=")) continue;
    std::string_view value = std::string_view(directive).substr(8);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    long long parsed = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec == std::errc() && end == value.data() + value.size() && parsed >= 0) max_age = parsed;
  }
  return max_age;
}

}  // namespace citytwin::http
