#pragma once

// Delivers NGSI-LD notifications over HTTP and HTTPS (GS CIM 009 V1.8.1 clause 7.2: a POST of
// the Notification to endpoint.uri). HTTPS verifies the receiver's certificate against the
// system CA store (or ca_file) and its host name or IP address, and sends SNI. Synchronous for the
// caller: each send() runs its own short-lived event loop bounded by the timeout, so a receiver
// that hangs, trickles or never answers costs one notifier thread at most `timeout`. Redirects are
// not followed (a 3xx is a failed delivery), so a receiver that redirects forever cannot keep a
// thread either.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "citytwin/core/notification_sender.hpp"
#include "citytwin/http/outbound_policy.hpp"

namespace citytwin::http {

struct HttpNotificationSenderOptions {
  // Time allowed for one delivery: resolve, connect, write, read the answer. Default 5 s.
  std::chrono::milliseconds timeout{5000};
  // Largest answer body read (and discarded); a bigger one fails the delivery. Default 64 KiB.
  std::size_t max_response_bytes = 64 * 1024;
  // Sent as User-Agent. Default "CityTwin".
  std::string user_agent = "CityTwin";
  // PEM file of trusted CA certificates for https:// receivers; empty means the system store.
  std::string ca_file;
  // Which receivers may be called (SSRF protection, outbound_policy.hpp). Default: public
  // addresses only.
  OutboundPolicy outbound;
};

// A receiver's answer: its status code and body (at most max_response_bytes).
struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

class HttpNotificationSender final : public core::NotificationSender {
 public:
  explicit HttpNotificationSender(HttpNotificationSenderOptions options = {});
  ~HttpNotificationSender() override;
  Status send(const core::OutgoingNotification& notification) override;
  // The same POST, returning whatever the receiver answered (push commands read the
  // device's result from the body, docs/ingest.md "Commands"); errors as for send().
  Result<HttpAnswer> post(const core::OutgoingNotification& request);

 private:
  struct Tls;  // the OpenSSL client context, shared by all deliveries
  HttpNotificationSenderOptions options_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace citytwin::http
