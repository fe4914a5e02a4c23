#include "citytwin/http/outbound_policy.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdint>

namespace citytwin::http {
namespace {

namespace ip = boost::asio::ip;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool in_v4(std::uint32_t address, std::uint32_t base, unsigned prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == (base & mask);
}

bool in_v6(const ip::address_v6::bytes_type& address, const ip::address_v6::bytes_type& base,
           unsigned prefix) {
  for (unsigned i = 0; i < 16 && prefix > 0; ++i) {
    unsigned bits = std::min(prefix, 8u);
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((address[i] & mask) != (base[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates), the ranges that are
// not globally reachable unicast.
std::optional<std::string_view> restricted_v4(std::uint32_t a) {
  struct Range {
    std::uint32_t base;
    unsigned prefix;
    std::string_view kind;
  };
  static constexpr std::array<Range, 15> kRanges{{
      {v4(0, 0, 0, 0), 8, "unspecified"},      // RFC 791 "this network"
      {v4(10, 0, 0, 0), 8, "private"},         // RFC 1918
      {v4(100, 64, 0, 0), 10, "private"},      // RFC 6598 carrier-grade NAT
      {v4(127, 0, 0, 0), 8, "loopback"},       // RFC 1122
      {v4(169, 254, 0, 0), 16, "link-local"},  // RFC 3927, cloud metadata
      {v4(172, 16, 0, 0), 12, "private"},      // RFC 1918
      {v4(192, 0, 0, 0), 24, "reserved"},      // RFC 6890 protocol assignments
      {v4(192, 0, 2, 0), 24, "reserved"},      // RFC 5737 documentation
      {v4(192, 88, 99, 0), 24, "reserved"},    // RFC 7526 6to4 relay anycast
      {v4(192, 168, 0, 0), 16, "private"},     // RFC 1918
      {v4(198, 18, 0, 0), 15, "reserved"},     // RFC 2544 benchmarking
      {v4(198, 51, 100, 0), 24, "reserved"},   // RFC 5737 documentation
      {v4(203, 0, 113, 0), 24, "reserved"},    // RFC 5737 documentation
      {v4(224, 0, 0, 0), 4, "multicast"},      // RFC 5771
      {v4(240, 0, 0, 0), 4, "reserved"},       // RFC 1112, and the broadcast
  }};
  for (const auto& range : kRanges) {
    if (in_v4(a, range.base, range.prefix)) return range.kind;
  }
  return std::nullopt;
}

ip::address_v6::bytes_type v6_bytes(std::string_view text) {
  return ip::make_address_v6(std::string(text)).to_bytes();
}

std::optional<std::string_view> restricted_v6(const ip::address_v6& address) {
  const auto bytes = address.to_bytes();
  auto embedded_v4 = [&bytes](unsigned offset) {
    return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
           (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
  };
  if (address.is_v4_mapped()) return restricted_v4(embedded_v4(12));
  static const auto kNat64 = v6_bytes("64:ff9b::");
  if (in_v6(bytes, kNat64, 96)) return restricted_v4(embedded_v4(12));  // RFC 6052
  static const auto k6to4 = v6_bytes("2002::");
  if (in_v6(bytes, k6to4, 16)) return restricted_v4(embedded_v4(2));  // RFC 3056
  if (address.is_unspecified()) return "unspecified";
  if (address.is_loopback()) return "loopback";
  struct Range {
    ip::address_v6::bytes_type base;
    unsigned prefix;
    std::string_view kind;
  };
  static const std::array<Range, 7> kRanges{{
      {v6_bytes("::"), 96, "reserved"},          // RFC 4291 IPv4-compatible (deprecated)
      {v6_bytes("100::"), 64, "reserved"},       // RFC 6666 discard-only
      {v6_bytes("2001:db8::"), 32, "reserved"},  // RFC 3849 documentation
      {v6_bytes("fc00::"), 7, "private"},        // RFC 4193 unique local
      {v6_bytes("fe80::"), 10, "link-local"},    // RFC 4291
      {v6_bytes("fec0::"), 10, "private"},       // RFC 3879 site-local (deprecated)
      {v6_bytes("ff00::"), 8, "multicast"},      // RFC 4291
  }};
  for (const auto& range : kRanges) {
    if (in_v6(bytes, range.base, range.prefix)) return range.kind;
  }
  return std::nullopt;
}

// IPv4-mapped IPv6 addresses are compared as the IPv4 address they carry.
ip::address normalized(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

Error bad_entry(const std::string& entry, std::string_view why) {
  return make_error(ErrorKind::kInvalidRequest,
                    "security.outbound_allow entry '" + entry + "': " + std::string(why) +
                        " (expected a network like 10.0.0.0/8, an address, or host:port)");
}

std::optional<unsigned> parse_number(std::string_view text, unsigned max) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

}  // namespace

std::optional<std::string_view> restricted_address_kind(const ip::address& address) {
  if (address.is_v4()) return restricted_v4(address.to_v4().to_uint());
  return restricted_v6(address.to_v6());
}

Result<OutboundPolicy> OutboundPolicy::from_allowlist(const std::vector<std::string>& entries) {
  OutboundPolicy policy;
  for (const std::string& entry : entries) {
    boost::system::error_code ec;
    if (auto slash = entry.find('/'); slash != std::string::npos) {
      auto base = ip::make_address(entry.substr(0, slash), ec);
      if (ec) return bad_entry(entry, "not an IP network");
      auto prefix =
          parse_number(std::string_view(entry).substr(slash + 1), base.is_v4() ? 32 : 128);
      if (!prefix) return bad_entry(entry, "bad prefix length");
      policy.networks_.push_back({normalized(base), *prefix});
      continue;
    }
    auto address = ip::make_address(entry, ec);
    if (!ec) {
      address = normalized(address);
      policy.networks_.push_back({address, address.is_v4() ? 32u : 128u});
      continue;
    }
    auto colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0) return bad_entry(entry, "no port");
    auto port = parse_number(std::string_view(entry).substr(colon + 1), 65535);
    if (!port || *port == 0) return bad_entry(entry, "bad port");
    std::string host = strip_brackets(std::string_view(entry).substr(0, colon));
    if (host.empty() || host.find_first_of("[]/ ") != std::string::npos) {
      return bad_entry(entry, "bad host");
    }
    policy.host_ports_.emplace_back(lower(host), std::to_string(*port));
  }
  return policy;
}

bool OutboundPolicy::allows_name(std::string_view host, std::string_view port) const {
  const std::string wanted = lower(strip_brackets(host));
  return std::any_of(host_ports_.begin(), host_ports_.end(), [&](const auto& entry) {
    return entry.first == wanted && entry.second == port;
  });
}

bool OutboundPolicy::allows_address(const ip::address& address) const {
  return std::any_of(networks_.begin(), networks_.end(), [&address](const Network& network) {
    if (network.base.is_v4() != address.is_v4()) return false;
    if (address.is_v4()) {
      return in_v4(address.to_v4().to_uint(), network.base.to_v4().to_uint(), network.prefix);
    }
    return in_v6(address.to_v6().to_bytes(), network.base.to_v6().to_bytes(), network.prefix);
  });
}

Status OutboundPolicy::check(std::string_view host, std::string_view port,
                             const ip::address& address) const {
  const ip::address plain = normalized(address);
  auto kind = restricted_address_kind(plain);
  if (!kind || allows_address(plain) || allows_name(host, port)) return ok_status();
  std::string shown = plain.to_string();
  std::string detail = "refused to connect to " + shown;
  if (strip_brackets(host) != shown) detail += " (resolved from '" + std::string(host) + "')";
  detail += ": it is a " + std::string(*kind) +
            " address, and outgoing requests to loopback, private, link-local and other "
            "non-public addresses are refused unless security.outbound_allow permits them";
  return make_error(ErrorKind::kBadRequestData, std::move(detail));
}

Status OutboundPolicy::check_url(std::string_view url) const {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) {
    return make_error(ErrorKind::kBadRequestData, "the URL has no host: " + std::string(url));
  }
  std::string host = parsed->host_address();
  std::string port = parsed->has_port() ? std::string(parsed->port())
                                        : std::string(default_port(parsed->scheme()));
  boost::system::error_code ec;
  auto literal = ip::make_address(host, ec);
  if (!ec) return check(host, port, literal);
  if (lower(host) == "localhost" || lower(host).ends_with(".localhost")) {
    // RFC 6761 clause 6.3: localhost names always mean the loopback interface.
    CT_RETURN_IF_ERROR(check(host, port, ip::make_address("127.0.0.1")));
    return check(host, port, ip::make_address("::1"));
  }
  return ok_status();
}

std::string_view default_port(std::string_view scheme) {
  std::string name = lower(scheme);
  if (name == "https") return "443";
  if (name == "mqtt") return "1883";
  if (name == "mqtts") return "8883";
  return "80";
}

Status OutboundPolicy::check_resolved_url(std::string_view url) const {
  CT_RETURN_IF_ERROR(check_url(url));
  auto parsed = boost::urls::parse_uri(url);
  std::string host = parsed->host_address();
  std::string port = parsed->has_port() ? std::string(parsed->port())
                                        : std::string(default_port(parsed->scheme()));
  boost::system::error_code ec;
  ip::make_address(host, ec);
  if (!ec) return ok_status();  // a literal: check_url judged it
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, port, ec);
  if (ec) {
    return make_error(ErrorKind::kBadRequestData, "cannot resolve " + host + ": " + ec.message());
  }
  for (const auto& entry : results)
    CT_RETURN_IF_ERROR(check(host, port, entry.endpoint().address()));
  return ok_status();
}

}  // namespace citytwin::http
