#include "citytwin/http/http_notification_sender.hpp"
#include "client_connection.hpp"
#include "client_tls.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include <boost/beast/http.hpp>

namespace citytwin::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

Error failed(std::string detail) {
  return make_error(ErrorKind::kServiceUnavailable, std::move(detail));
}

// The POST exchange on a connected stream (client_connection.hpp connects).
class Delivery {
 public:
  explicit Delivery(const HttpNotificationSenderOptions& options) : options_(options) {}

  template <class Stream>
  asio::awaitable<std::string> exchange(Stream& stream, const ClientTarget& target,
                                        const core::OutgoingNotification& notification) {
    beast::error_code ec;
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, target.path, 11};
    request.set(bhttp::field::host, target.host_header);
    request.set(bhttp::field::user_agent, options_.user_agent);
    request.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : notification.headers()) request.set(name, value);
    request.body() = notification.body;
    request.prepare_payload();
    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "cannot send the notification: " + describe(ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    beast::flat_buffer buffer;
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "no valid HTTP answer: " + describe(ec);
    status = parser.get().result_int();
    body = std::move(parser.get().body());
    co_return std::string();
  }

  std::string describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      return "timed out after " + std::to_string(options_.timeout.count()) + " ms";
    }
    return ec.message();
  }

  std::optional<unsigned> status;  // set once the receiver answered
  std::string body;

 private:
  const HttpNotificationSenderOptions& options_;
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
    auto target = parse_client_target(notification.uri());
    if (!target) return std::move(target).error();
    auto deadline = ClientClock::now() + options_.timeout;
    Delivery delivery(options_);
    bool refused = false;
    auto request = connect_and_exchange(
        *target,
        ClientConnection{options_.outbound, tls_ ? tls_->context.get() : nullptr, deadline},
        [&delivery](const beast::error_code& ec) { return delivery.describe(ec); },
        [&delivery, &target, &notification](auto& stream) {
          return delivery.exchange(stream, *target, notification);
        },
        &refused);
    std::string error;
    if (!run_until_deadline(std::move(request), deadline, error)) {
      return failed("timed out after " + std::to_string(options_.timeout.count()) + " ms");
    }
    if (refused) {
      spdlog::warn("notification to {}:{} not sent: {}", target->host, target->port, error);
    }
    if (!delivery.status) return failed(error);
    return HttpAnswer{*delivery.status, std::move(delivery.body)};
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
