#include "citytwin/security/stream_tickets.hpp"

#include <gtest/gtest.h>

namespace citytwin::security {
namespace {

class SteppedClock final : public Clock {
 public:
  Instant now() const override { return now_; }
  void advance_seconds(std::int64_t seconds) { now_.micros += seconds * 1'000'000; }

 private:
  Instant now_{1'800'000'000'000'000};
};

TEST(StreamTicketsTest, TicketWorksOnceForItsTenantAndPrincipal) {
  SteppedClock clock;
  StreamTickets tickets(clock);
  auto ticket = tickets.mint({"city", Principal{"k1", Role::kViewer, "city"}});
  ASSERT_TRUE(ticket.ok());
  EXPECT_GE(ticket->size(), 43u);  // 32 bytes in base64url
  auto grant = tickets.redeem(*ticket);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->tenant, "city");
  ASSERT_TRUE(grant->principal.has_value());
  EXPECT_EQ(grant->principal->key_id, "k1");
  auto again = tickets.redeem(*ticket);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kUnauthorized);
}

TEST(StreamTicketsTest, ExpiredAndUnknownTicketsAreRefused) {
  SteppedClock clock;
  StreamTickets tickets(clock, {std::chrono::seconds(30), 10});
  auto ticket = tickets.mint({"", std::nullopt});
  ASSERT_TRUE(ticket.ok());
  clock.advance_seconds(31);
  EXPECT_FALSE(tickets.redeem(*ticket).ok());
  EXPECT_FALSE(tickets.redeem("not-a-ticket").ok());
  EXPECT_FALSE(tickets.redeem("").ok());
}

TEST(StreamTicketsTest, OutstandingTicketsAreBoundedUntilTheyExpire) {
  SteppedClock clock;
  StreamTickets tickets(clock, {std::chrono::seconds(30), 2});
  ASSERT_TRUE(tickets.mint({"", std::nullopt}).ok());
  ASSERT_TRUE(tickets.mint({"", std::nullopt}).ok());
  auto refused = tickets.mint({"", std::nullopt});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTooManyRequests);
  clock.advance_seconds(31);
  EXPECT_TRUE(tickets.mint({"", std::nullopt}).ok());
}

}  // namespace
}  // namespace citytwin::security
