#pragma once

// Server-side request forgery protection (docs/security.md, "Outgoing requests"): which
// destinations CityTwin may send requests to when it fetches or calls a URL that a client
// gave it (notification endpoints, remote @context documents). By default every address that
// reaches the server's own machine or network is refused: loopback, private (RFC 1918, unique
// local fc00::/7, carrier-grade NAT 100.64.0.0/10), link-local (169.254.0.0/16, which holds
// cloud metadata services, and fe80::/10), unspecified, multicast, broadcast and reserved
// ranges. An allowlist of networks and host:port pairs lets chosen ones through.
//
// The clients resolve a host name once, check every address it resolves to, and connect only
// to those checked addresses (no second lookup a rebinding DNS server could answer
// differently); a redirect is a new request and is checked again.

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citytwin/common/result.hpp"

namespace citytwin::http {

// Why `address` is refused by default ("loopback", "private", "link-local", ...), or nullopt
// for a public address. IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) IPv6 addresses are judged by the IPv4 address they carry.
std::optional<std::string_view> restricted_address_kind(const boost::asio::ip::address& address);

// The port a URL of `scheme` means without one: 443 (https), 1883 (mqtt), 8883 (mqtts), else
// 80.
std::string_view default_port(std::string_view scheme);

class OutboundPolicy {
 public:
  // Refuses every restricted address; allows nothing extra.
  OutboundPolicy() = default;

  // Entries: a network in CIDR notation ("10.0.0.0/8", "fd00::/8"), one address
  // ("127.0.0.1", "::1"), or "host:port" ("registry.internal:8080", "[::1]:9000") allowing
  // that host name or literal as written in URLs, on that port, whatever it resolves to.
  // Fails with kInvalidRequest naming the bad entry.
  static Result<OutboundPolicy> from_allowlist(const std::vector<std::string>& entries);

  // Whether a request to `host` (as written in the URL, without brackets) and `port` may go
  // to `address`, one of the addresses `host` resolved to. Fails with kBadRequestData
  // saying which address, why, and how to allow it.
  Status check(std::string_view host, std::string_view port,
               const boost::asio::ip::address& address) const;

  // The check possible without DNS: a URL whose host is an IP literal or "localhost" is
  // judged now; any other host name passes here and is judged when resolved (check()).
  // Fails with kBadRequestData for a refused destination or a URL without host.
  Status check_url(std::string_view url) const;

  // check_url(), then for a host name: resolves it (blocking) and checks every address. For
  // clients that cannot be handed checked addresses (the MQTT notification client connects
  // by name and resolves again, so a rebinding DNS server could still answer differently
  // for that second lookup).
  Status check_resolved_url(std::string_view url) const;

 private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  bool allows_name(std::string_view host, std::string_view port) const;
  bool allows_address(const boost::asio::ip::address& address) const;

  std::vector<Network> networks_;
  std::vector<std::pair<std::string, std::string>> host_ports_;  // host lower-cased
};

}  // namespace citytwin::http
