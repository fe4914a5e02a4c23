#include "citytwin/http/http_getter.hpp"
#include "client_connection.hpp"
#include "client_tls.hpp"

#include <cctype>
#include <charconv>

#include <optional>

#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace citytwin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace urls = boost::urls;
using Clock = ClientClock;

// What one request/response produced.
struct Reply {
  unsigned status = 0;
  std::string location;
  std::string cache_control;
  std::string body;
};

Error unavailable(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The GET exchange on a connected stream (client_connection.hpp connects).
class Fetcher {
 public:
  explicit Fetcher(const HttpGetOptions& options) : options_(options) {}

  template <class Stream>
  asio::awaitable<std::string> exchange(Stream& stream, const ClientTarget& target) {
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target.path, 11};
    request.set(bhttp::field::host, target.host_header);
    request.set(bhttp::field::accept, options_.accept);
    request.set(bhttp::field::user_agent, options_.user_agent);
    request.set(bhttp::field::connection, "close");
    beast::error_code ec;
    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot send the request: " + describe(ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    beast::flat_buffer buffer;
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot read the response: " + describe(ec);
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
    this->reply = std::move(reply);
    co_return std::string();
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

  std::optional<Reply> reply;  // set once a response was read

 private:
  const HttpGetOptions& options_;
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

// One request on its own event loop, bounded by the timeout (client_connection.hpp).
static Result<Reply> fetch_once(const ClientTarget& target, const HttpGetOptions& options,
                                ssl::context* tls) {
  Clock::time_point deadline = Clock::now() + options.timeout;
  Fetcher fetcher(options);
  auto request = connect_and_exchange(
      target, ClientConnection{options.outbound, tls, deadline},
      [&fetcher](const beast::error_code& ec) { return fetcher.describe(ec); },
      [&fetcher, &target](auto& stream) { return fetcher.exchange(stream, target); });
  std::string error;
  if (!run_until_deadline(std::move(request), deadline, error)) {
    return unavailable("timed out after " + std::to_string(options.timeout.count()) + " ms");
  }
  if (!fetcher.reply) return unavailable(error);
  return std::move(*fetcher.reply);
}

// Follows up to max_redirects redirects (RFC 9110 clause 15.4), resolving relative Locations.
Result<HttpDocument> HttpGetter::get(std::string_view url) const {
  try {
    urls::url current;
    if (auto parsed = urls::parse_uri(url)) current = *parsed;
    for (int hop = 0;; ++hop) {
      auto target = parse_client_target(hop == 0 ? url : std::string_view(current.buffer()),
                                        options_.https_only);
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
