#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/http/server.hpp"
#include "citytwin/ingest/ingest_service.hpp"
#include "citytwin/security/audit_log.hpp"
#include "citytwin/security/device_credentials.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::server {

struct CoapServerOptions {
  // UDP address to listen on. Port 0 picks a free port (port() tells which).
  std::string host = "127.0.0.1";
  std::uint16_t port = 5683;
  // Measurements accepted and not yet durable; past it requests are answered 5.03 Service
  // Unavailable (RFC 7252 section 5.9.3.4) until the store catches up. Default 1024.
  std::size_t max_pending = 1024;
  // Largest request body, in bytes, after block-wise reassembly (RFC 7959); a larger one gets
  // 4.13 Request Entity Too Large with Size1 saying the limit. Default 64 KiB.
  std::size_t max_payload_bytes = 64 * 1024;
  // Whether the separate response to a Confirmable request is Confirmable (retransmitted
  // until the device acknowledges it; RFC 7252 section 5.2.2) or Non-confirmable (sent once;
  // section 5.2.3 requires clients to accept it). Default true. libcoap 4.3.1 holds back
  // Confirmable separate responses for up to MAX_TRANSMIT_WAIT (93 s) when many devices post
  // at once (docs/performance.md); false avoids that at the price of a 2.04 that may be lost,
  // after which the device retries and the measure is written twice.
  bool confirmable_responses = true;
  // CoAP over DTLS (RFC 7252 section 9.1, "coaps") on a second UDP address, with the server
  // certificate chain and private key in PEM files; dtls_port 0 picks a free port. Devices are
  // not asked for certificates: they authenticate with their API key as over plain CoAP, which
  // DTLS now keeps confidential. Empty host (default): no DTLS listener.
  std::string dtls_host;
  std::uint16_t dtls_port = 5684;
  std::string dtls_cert_file;
  std::string dtls_key_file;
  // Measures per second per device (apikey + device id) and burst, as MQTT's per-device
  // limit (docs/ingest.md, "Rate limits"); over it a request is answered 4.29 Too Many
  // Requests with Max-Age = seconds until it may retry (RFC 8516) and nothing is written.
  // per_second 0 (default): no limit.
  http::RateLimit device_rate;
  // Counts citytwin_coap_device_rate_limited; may be null.
  MetricsRegistry* metrics = nullptr;
  // Device credentials accepted as `key=<username>:<password>` (docs/security.md, "Device
  // credentials"); null: only API keys.
  const security::DeviceCredentialService* device_credentials = nullptr;
  // Measures counted into the audit log's device summaries (device_audit.hpp); null: not
  // audited.
  security::AuditLog* audit = nullptr;
};

// The CoAP southbound (RFC 7252, libcoap; docs/ingest.md "CoAP"): POST coap://host/iot/json
// and /iot/d with ?k=<apikey>&i=<device_id>, the payloads of the HTTP paths. A measurement is
// answered 2.04 Changed only once it is durable in the twin and its history: the request is
// acknowledged at once (an empty ACK for a Confirmable one) and the response follows as a
// separate message (RFC 7252 section 5.2.2) when the store reports the write durable, so the
// I/O thread never waits for the disk. Refusals get 4.00, 4.01, 4.03, 4.04, 4.13 or 5.03
// with a diagnostic payload, counted in citytwin_ingest_measurements_total{transport="coap"}
// and logged with the device id.
//
// With `keys` (authentication required) every request carries in the query parameter `key`
// an editor's or admin's API key, and the measurement's tenant must be one it may write to;
// or a device credential as `username:password`, which writes only for its own device (or
// group) and tenant.
//
// libcoap is not thread-safe: one thread owns the libcoap context; durability callbacks
// arrive on the store's commit thread and are handed over through a queue and an eventfd.
class CoapServer {
 public:
  CoapServer(CoapServerOptions options, ingest::IngestService& ingest, security::KeyService* keys);
  ~CoapServer();
  CoapServer(const CoapServer&) = delete;
  CoapServer& operator=(const CoapServer&) = delete;

  // Binds the address and starts the I/O thread.
  Status start();
  // The bound UDP ports (after start()); dtls_port() is 0 without DTLS.
  std::uint16_t port() const;
  std::uint16_t dtls_port() const;
  // Stops the I/O thread; responses still waiting for durability are not sent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citytwin::server
