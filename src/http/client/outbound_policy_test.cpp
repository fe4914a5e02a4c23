#include "citytwin/http/outbound_policy.hpp"

#include "citytwin/http/outbound_checked_sender.hpp"

#include <gtest/gtest.h>

// Literal addresses, and "localhost" from the hosts file: nothing here opens a connection.
namespace citytwin::http {
namespace {

namespace ip = boost::asio::ip;

std::string kind_of(const char* text) {
  auto kind = restricted_address_kind(ip::make_address(text));
  return kind ? std::string(*kind) : std::string("public");
}

TEST(OutboundPolicy, ClassifiesIpv4) {
  EXPECT_EQ(kind_of("127.0.0.1"), "loopback");
  EXPECT_EQ(kind_of("127.255.1.2"), "loopback");
  EXPECT_EQ(kind_of("10.1.2.3"), "private");
  EXPECT_EQ(kind_of("172.16.0.1"), "private");
  EXPECT_EQ(kind_of("172.31.255.255"), "private");
  EXPECT_EQ(kind_of("172.32.0.1"), "public");
  EXPECT_EQ(kind_of("192.168.1.1"), "private");
  EXPECT_EQ(kind_of("100.64.0.1"), "private");
  EXPECT_EQ(kind_of("100.128.0.1"), "public");
  EXPECT_EQ(kind_of("169.254.169.254"), "link-local");
  EXPECT_EQ(kind_of("0.0.0.0"), "unspecified");
  EXPECT_EQ(kind_of("0.1.2.3"), "unspecified");
  EXPECT_EQ(kind_of("224.0.0.1"), "multicast");
  EXPECT_EQ(kind_of("255.255.255.255"), "reserved");
  EXPECT_EQ(kind_of("198.18.0.1"), "reserved");
  EXPECT_EQ(kind_of("8.8.8.8"), "public");
  EXPECT_EQ(kind_of("93.184.216.34"), "public");
}

TEST(OutboundPolicy, ClassifiesIpv6AndEmbeddedIpv4) {
  EXPECT_EQ(kind_of("::1"), "loopback");
  EXPECT_EQ(kind_of("::"), "unspecified");
  EXPECT_EQ(kind_of("fe80::1"), "link-local");
  EXPECT_EQ(kind_of("fd12:3456::1"), "private");
  EXPECT_EQ(kind_of("fc00::1"), "private");
  EXPECT_EQ(kind_of("ff02::1"), "multicast");
  EXPECT_EQ(kind_of("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(kind_of("::ffff:10.0.0.1"), "private");
  EXPECT_EQ(kind_of("::ffff:8.8.8.8"), "public");
  EXPECT_EQ(kind_of("64:ff9b::a9fe:a9fe"), "link-local");  // NAT64 of 169.254.169.254
  EXPECT_EQ(kind_of("2002:7f00:1::"), "loopback");         // 6to4 of 127.0.0.1
  EXPECT_EQ(kind_of("2001:db8::1"), "reserved");
  EXPECT_EQ(kind_of("2a00:1450:4001:80b::200e"), "public");
}

TEST(OutboundPolicy, DefaultRefusesRestrictedAndSaysWhy) {
  OutboundPolicy policy;
  auto refused = policy.check("169.254.169.254", "80", ip::make_address("169.254.169.254"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kBadRequestData);
  EXPECT_NE(refused.error().detail.find("link-local"), std::string::npos);
  EXPECT_NE(refused.error().detail.find("security.outbound_allow"), std::string::npos);
  auto named = policy.check("metadata.internal", "80", ip::make_address("10.0.0.5"));
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().detail.find("resolved from 'metadata.internal'"), std::string::npos);
  EXPECT_TRUE(policy.check("example.org", "443", ip::make_address("93.184.216.34")).ok());
}

TEST(OutboundPolicy, NetworksAndAddressesAllowAddresses) {
  auto policy = OutboundPolicy::from_allowlist({"10.0.0.0/8", "127.0.0.1", "fd00::/8"});
  ASSERT_TRUE(policy.ok()) << policy.error().detail;
  EXPECT_TRUE(policy->check("a", "80", ip::make_address("10.200.0.1")).ok());
  EXPECT_TRUE(policy->check("a", "80", ip::make_address("127.0.0.1")).ok());
  EXPECT_TRUE(policy->check("a", "80", ip::make_address("::ffff:127.0.0.1")).ok());
  EXPECT_TRUE(policy->check("a", "80", ip::make_address("fd00::5")).ok());
  EXPECT_FALSE(policy->check("a", "80", ip::make_address("127.0.0.2")).ok());
  EXPECT_FALSE(policy->check("a", "80", ip::make_address("192.168.0.1")).ok());
  EXPECT_FALSE(policy->check("a", "80", ip::make_address("::1")).ok());
}

TEST(OutboundPolicy, HostPortEntriesAllowNamesOnOnePort) {
  auto policy = OutboundPolicy::from_allowlist({"Registry.Internal:8080", "[::1]:9000"});
  ASSERT_TRUE(policy.ok()) << policy.error().detail;
  EXPECT_TRUE(policy->check("registry.internal", "8080", ip::make_address("10.0.0.7")).ok());
  EXPECT_FALSE(policy->check("registry.internal", "8081", ip::make_address("10.0.0.7")).ok());
  EXPECT_FALSE(policy->check("other.internal", "8080", ip::make_address("10.0.0.7")).ok());
  EXPECT_TRUE(policy->check("::1", "9000", ip::make_address("::1")).ok());
}

TEST(OutboundPolicy, RejectsBadEntries) {
  for (const char* entry :
       {"10.0.0.0/33", "nonsense", "host:", "host:70000", "::1/129", "a b:80", "10.0.0.0/x"}) {
    auto policy = OutboundPolicy::from_allowlist({entry});
    ASSERT_FALSE(policy.ok()) << entry;
    EXPECT_NE(policy.error().detail.find(entry), std::string::npos);
  }
}

TEST(OutboundPolicy, ChecksUrlsWithoutDns) {
  OutboundPolicy policy;
  EXPECT_FALSE(policy.check_url("http://127.0.0.1:8080/notify").ok());
  EXPECT_FALSE(policy.check_url("http://[::1]/notify").ok());
  EXPECT_FALSE(policy.check_url("http://localhost:8080/notify").ok());
  EXPECT_FALSE(policy.check_url("https://LOCALHOST/notify").ok());
  EXPECT_FALSE(policy.check_url("http://192.168.0.10/notify").ok());
  EXPECT_TRUE(policy.check_url("https://receiver.example.org/notify").ok());  // judged later
  EXPECT_TRUE(policy.check_url("http://93.184.216.34/notify").ok());
  auto loopback = OutboundPolicy::from_allowlist({"127.0.0.0/8", "::1"});
  EXPECT_TRUE(loopback->check_url("http://localhost:8080/notify").ok());
  EXPECT_TRUE(loopback->check_url("http://127.0.0.1:8080/notify").ok());
}

// The MQTT notification client gets the policy through OutboundCheckedSender: a refused
// broker is never handed the notification. Only loopback and literal addresses here: the
// names resolved are "localhost" (the hosts file), nothing is sent anywhere.
TEST(OutboundPolicy, CheckedSenderRefusesBeforeTheInnerSenderSeesIt) {
  class Recording final : public core::NotificationSender {
   public:
    Status send(const core::OutgoingNotification&) override {
      ++sent;
      return ok_status();
    }
    int sent = 0;
  };
  EXPECT_EQ(default_port("mqtt"), "1883");
  EXPECT_EQ(default_port("MQTTS"), "8883");
  Recording inner;
  OutboundPolicy refusing;
  OutboundCheckedSender refused(refusing, inner);
  core::OutgoingNotification notification;
  for (const char* uri : {"mqtt://127.0.0.1:1883/city/lights", "mqtts://localhost/t",
                          "mqtt://[::1]/t", "mqtt://10.1.2.3/t"}) {
    notification.endpoint = core::make_endpoint(uri);
    Status status = refused.send(notification);
    EXPECT_FALSE(status.ok()) << uri;
  }
  EXPECT_EQ(inner.sent, 0);
  auto loopback = OutboundPolicy::from_allowlist({"127.0.0.0/8", "::1"});
  OutboundCheckedSender allowed(*loopback, inner);
  notification.endpoint = core::make_endpoint("mqtt://localhost:1883/city/lights");
  EXPECT_TRUE(allowed.send(notification).ok());
  notification.endpoint = core::make_endpoint("mqtt://127.0.0.1/city/lights");
  EXPECT_TRUE(allowed.send(notification).ok());
  EXPECT_EQ(inner.sent, 2);
  // A port-scoped allowance counts mqtt's default port.
  auto broker = OutboundPolicy::from_allowlist({"127.0.0.1:1883"});
  EXPECT_TRUE(broker->check_url("mqtt://127.0.0.1/t").ok());
  EXPECT_FALSE(broker->check_url("mqtts://127.0.0.1/t").ok());
}

// send_batch judges each origin once per batch: later notifications to an allowed origin
// pass without a new check, a refused origin is refused for each of its notifications, and
// the inner sender sees only the allowed ones, in order.
TEST(OutboundPolicy, CheckedSenderJudgesABatchPerOrigin) {
  class Recording final : public core::NotificationSender {
   public:
    Status send(const core::OutgoingNotification& notification) override {
      uris.push_back(notification.uri());
      return ok_status();
    }
    std::vector<std::string> uris;
  };
  Recording inner;
  auto broker = OutboundPolicy::from_allowlist({"127.0.0.1:1883"});
  OutboundCheckedSender checked(*broker, inner);
  std::vector<core::OutgoingNotification> notifications(5);
  notifications[0].endpoint = core::make_endpoint("mqtt://127.0.0.1:1883/a");
  notifications[1].endpoint =
      core::make_endpoint("mqtt://127.0.0.1:1884/b");  // another port: refused
  notifications[2].endpoint = core::make_endpoint("mqtt://127.0.0.1:1883/c");
  notifications[3].endpoint = core::make_endpoint("mqtt://127.0.0.1:1884/d");
  notifications[4].endpoint =
      core::make_endpoint("mqtt://127.0.0.1/e");  // the default port 1883, another origin text
  std::vector<const core::OutgoingNotification*> batch;
  for (const auto& notification : notifications) batch.push_back(&notification);
  auto statuses = checked.send_batch(batch);
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_FALSE(statuses[1].ok());
  EXPECT_TRUE(statuses[2].ok());
  EXPECT_FALSE(statuses[3].ok());
  EXPECT_TRUE(statuses[4].ok());
  EXPECT_EQ(inner.uris,
            (std::vector<std::string>{"mqtt://127.0.0.1:1883/a", "mqtt://127.0.0.1:1883/c",
                                      "mqtt://127.0.0.1/e"}));
}

}  // namespace
}  // namespace citytwin::http
