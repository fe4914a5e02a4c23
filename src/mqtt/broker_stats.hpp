#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace citytwin::mqtt {

// Counters updated on the data path without locks and read when /metrics is scraped.
struct BrokerStats {
  std::array<std::atomic<std::uint64_t>, 16> packets_received{};  // by packet type
  std::array<std::atomic<std::uint64_t>, 16> packets_sent{};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::int64_t> connections_open{0};      // past CONNACK
  // Connections closed for bad input, by cause.
  std::atomic<std::uint64_t> malformed{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> too_large{0};
  std::atomic<std::uint64_t> keep_alive_timeouts{0};
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> publishes_refused{0};  // on_publish answered an error
  std::atomic<std::uint64_t> messages_received{0};  // inbound PUBLISH accepted for routing
  std::atomic<std::uint64_t> messages_sent{0};      // PUBLISH written to subscribers
  std::atomic<std::uint64_t> messages_dropped{0};   // session queue full, or too large
  std::atomic<std::uint64_t> tls_failures{0};       // TLS handshakes that failed
  std::atomic<std::uint64_t> retained_refused{0};   // over max_retained
  std::atomic<std::uint64_t> rate_limited{0};       // PUBLISHes held back by publish_rate_per_s
};

}  // namespace citytwin::mqtt
