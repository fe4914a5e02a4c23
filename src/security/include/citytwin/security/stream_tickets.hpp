#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/security/access.hpp"

namespace citytwin::security {

struct StreamTicketOptions {
  // How long a ticket may wait to be used. Default 30 s: enough to open the stream right
  // after asking for it, short enough that a ticket found in a log is useless.
  std::chrono::seconds lifetime{30};
  // Tickets outstanding at once; minting more fails (429) until some are used or expire, so
  // a client cannot make the server hold unbounded state. Default 10,000.
  std::size_t max_outstanding = 10000;
};

// What a ticket stands for: the tenant it was minted for and who minted it (empty when
// authentication is off).
struct StreamGrant {
  std::string tenant;
  std::optional<Principal> principal;
};

// One-time tickets for the routes a browser opens without headers (EventSource cannot send
// Authorization, docs/security.md): an authenticated request mints one for its tenant, the
// stream request presents it in its URL. A ticket is 32 random bytes (base64url), works once,
// expires after `lifetime`, and only its SHA-256 is kept, so memory holds nothing replayable.
// Thread-safe.
class StreamTickets {
 public:
  StreamTickets(const Clock& clock, StreamTicketOptions options = {});

  Result<std::string> mint(StreamGrant grant);
  // The grant of a valid ticket, which is then spent; 401 for an unknown, used or expired one.
  Result<StreamGrant> redeem(std::string_view ticket);
  std::chrono::seconds lifetime() const { return options_.lifetime; }

 private:
  struct Entry {
    StreamGrant grant;
    Instant expires;
  };
  void drop_expired(Instant now);

  const Clock& clock_;
  StreamTicketOptions options_;
  std::mutex mutex_;
  std::map<std::string, Entry> by_hash_;
};

}  // namespace citytwin::security
