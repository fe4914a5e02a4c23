#include "citytwin/http/http_context_loader.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace citytwin::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kContext = R"({"@context": {"a": "https://a.example/a"}})";

// A tiny HTTP/1.1 server on 127.0.0.1, port chosen by the system, one thread per connection.
//   /context.jsonld  200 with a context     /missing  404
//   /moved           301 -> /context.jsonld  /loop     302 -> /loop
//   /slow            answers after 2 s       /huge     a 2 MiB body
class TestServer {
 public:
  TestServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);  // unblocks accept()
    accept_thread_.join();
    std::lock_guard lock(mutex_);
    for (std::thread& connection : connections_) connection.join();
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  unsigned short port() const { return port_; }

  int requests_seen() {
    std::lock_guard lock(mutex_);
    return requests_seen_;
  }

  std::string last_accept() {
    std::lock_guard lock(mutex_);
    return last_accept_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, s = std::move(socket)]() mutable { serve(s); });
    }
  }

  void serve(tcp::socket& socket) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::read(socket, buffer, request, ec);
    if (ec) return;
    {
      std::lock_guard lock(mutex_);
      last_accept_ = std::string(request[bhttp::field::accept]);
      ++requests_seen_;
    }
    bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
    std::string_view target = request.target();
    if (target == "/context.jsonld") {
      response.set(bhttp::field::content_type, "application/ld+json");
      response.body() = kContext;
    } else if (target == "/moved") {
      response.result(bhttp::status::moved_permanently);
      response.set(bhttp::field::location, "/context.jsonld");
    } else if (target == "/to-other-loopback") {
      response.result(bhttp::status::found);
      response.set(bhttp::field::location,
                   "http://127.0.0.2:" + std::to_string(port_) + "/context.jsonld");
    } else if (target == "/loop") {
      response.result(bhttp::status::found);
      response.set(bhttp::field::location, url("/loop"));
    } else if (target == "/slow") {
      for (int i = 0; i < 200 && !stopping_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      response.body() = kContext;
    } else if (target == "/huge") {
      response.body() = std::string(2 * 1024 * 1024, ' ');
    } else {
      response.result(bhttp::status::not_found);
    }
    response.prepare_payload();
    bhttp::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::string last_accept_;
  int requests_seen_ = 0;
};

// The test server is on loopback, which the default outbound policy refuses.
HttpContextLoaderOptions fast_options() {
  HttpContextLoaderOptions options;
  options.timeout = std::chrono::milliseconds(500);
  options.outbound = *OutboundPolicy::from_allowlist({"127.0.0.0/8"});
  return options;
}

void expect_unavailable(const Result<std::string>& result, std::string_view detail_part) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kLdContextNotAvailable);
  EXPECT_NE(result.error().detail.find(detail_part), std::string::npos) << result.error().detail;
}

TEST(HttpContextLoader, LoadsAContext) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  auto document = loader.load(server.url("/context.jsonld"));
  ASSERT_TRUE(document.ok()) << document.error().detail;
  EXPECT_EQ(*document, kContext);
  EXPECT_EQ(server.last_accept(), "application/ld+json, application/json");
}

TEST(HttpContextLoader, FollowsRelativeRedirects) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  auto document = loader.load(server.url("/moved"));
  ASSERT_TRUE(document.ok()) << document.error().detail;
  EXPECT_EQ(*document, kContext);
}

TEST(HttpContextLoader, StopsRedirectLoops) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  expect_unavailable(loader.load(server.url("/loop")), "more than 3 redirects");
}

TEST(HttpContextLoader, ReportsHttpStatus) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  expect_unavailable(loader.load(server.url("/missing")), "HTTP status 404");
}

TEST(HttpContextLoader, TimesOut) {
  TestServer server;
  HttpContextLoaderOptions options = fast_options();
  options.timeout = std::chrono::milliseconds(200);
  HttpContextLoader loader(options);
  auto start = std::chrono::steady_clock::now();
  expect_unavailable(loader.load(server.url("/slow")), "timed out");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(HttpContextLoader, RejectsHugeBodies) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  expect_unavailable(loader.load(server.url("/huge")), "larger than 1048576 bytes");
}

TEST(HttpContextLoader, ReportsRefusedConnections) {
  unsigned short port = 0;
  {
    TestServer server;
    port = server.port();
  }
  HttpContextLoader loader(fast_options());
  expect_unavailable(loader.load("http://127.0.0.1:" + std::to_string(port) + "/c.jsonld"),
                     "cannot connect");
}

TEST(HttpContextLoader, HttpsToAPlainServerFailsTheHandshake) {
  TestServer server;
  HttpContextLoader loader(fast_options());
  expect_unavailable(
      loader.load("https://127.0.0.1:" + std::to_string(server.port()) + "/context.jsonld"),
      "TLS handshake failed");
}

TEST(HttpContextLoader, DefaultPolicyRefusesLoopbackWithoutContactingIt) {
  TestServer server;
  HttpContextLoaderOptions options = fast_options();
  options.outbound = OutboundPolicy();
  HttpContextLoader loader(options);
  expect_unavailable(loader.load(server.url("/context.jsonld")),
                     "refused to connect to 127.0.0.1: it is a loopback address");
  EXPECT_EQ(server.requests_seen(), 0);
}

TEST(HttpContextLoader, RedirectsAreCheckedLikeTheFirstRequest) {
  TestServer server;
  HttpContextLoaderOptions options = fast_options();
  // Only this host:port is allowed; the redirect goes to another loopback address.
  options.outbound =
      *OutboundPolicy::from_allowlist({"127.0.0.1:" + std::to_string(server.port())});
  HttpContextLoader loader(options);
  ASSERT_TRUE(loader.load(server.url("/context.jsonld")).ok());
  expect_unavailable(loader.load(server.url("/to-other-loopback")),
                     "refused to connect to 127.0.0.2");
  EXPECT_EQ(server.requests_seen(), 2);  // the direct load and the redirecting answer only
}

TEST(HttpContextLoader, HostPortEntryAllowsAHostByName) {
  TestServer server;
  HttpContextLoaderOptions options = fast_options();
  options.outbound =
      *OutboundPolicy::from_allowlist({"localhost:" + std::to_string(server.port())});
  HttpContextLoader loader(options);
  auto document =
      loader.load("http://localhost:" + std::to_string(server.port()) + "/context.jsonld");
  ASSERT_TRUE(document.ok()) << document.error().detail;
  // Another port of the same host is not allowed.
  expect_unavailable(loader.load("http://localhost:9/context.jsonld"), "loopback address");
}

TEST(HttpContextLoader, RejectsOtherSchemesAndBadUrls) {
  HttpContextLoader loader(fast_options());
  expect_unavailable(loader.load("ftp://127.0.0.1/c.jsonld"), "only http and https");
  expect_unavailable(loader.load("not a url"), "not an absolute URL");
}

}  // namespace
}  // namespace citytwin::http
