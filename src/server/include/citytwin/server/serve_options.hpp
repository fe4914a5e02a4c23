#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "citytwin/common/result.hpp"

namespace citytwin::server {

// Everything `citytwin serve` can be told. The TOML config file (--config) and the command
// line fill this same struct; a command-line flag wins over the file, the file over these
// defaults. docs/configuration.md lists every key.
struct ServeOptions {
  // Directory of the embedded database; created when missing.
  std::string data_dir = "./citytwin-data";
  // Address the HTTP API listens on, HOST:PORT ([v6]:PORT for IPv6). Port 0 picks a free port.
  std::string listen = "127.0.0.1:1026";
  // trace, debug, info, warn, error, critical or off.
  std::string log_level = "info";
  // Directory with a manifest.json (or manifest.txt) mapping @context URLs to local files,
  // pre-seeding the context cache so a deployment without internet still resolves them.
  std::string context_dir;
  // Write the chosen port to this file once listening (used by tests and scripts).
  std::string port_file;

  // HTTP server limits (see http::ServerOptions for what each does).
  unsigned http_io_threads = 0;
  unsigned http_threads = 0;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_url_bytes = 8 * 1024;
  std::uint32_t request_timeout_ms = 30000;
  std::uint32_t idle_timeout_ms = 60000;

  // Storage: fsync the write-ahead log before acknowledging a write. Turning this off trades
  // the durability guarantee for throughput; only for throwaway data.
  bool sync_writes = true;
  // RocksDB block cache in MiB.
  std::size_t block_cache_mb = 64;

  // Remote @context download limits.
  std::uint32_t context_fetch_timeout_ms = 5000;
  std::size_t context_max_bytes = 1024 * 1024;

  // Notification delivery (docs/subscriptions.md; core::NotifierOptions says what each does).
  unsigned notify_threads = 16;
  std::uint32_t notify_timeout_ms = 5000;
  std::size_t notify_queue_limit = 1000;
  std::uint32_t notify_retry_initial_ms = 500;
  std::uint32_t notify_retry_max_ms = 30000;
  unsigned notify_max_attempts = 5;
  // PEM file of CA certificates trusted for https:// receivers; empty: the system store.
  std::string notify_ca_file;
};

// Reads a TOML file into `options`. Unknown keys are errors so typos do not pass silently.
Status load_config_file(const std::string& path, ServeOptions& options);

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace citytwin::server
