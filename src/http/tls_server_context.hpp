#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "citytwin/common/result.hpp"

namespace citytwin::http {

// The server's TLS configuration: certificate chain and private key read from PEM files,
// TLS 1.2 or newer, forward-secret AEAD cipher suites only. `current()` is what a new
// connection handshakes with; reload() reads the files again and swaps in a new context, so
// connections already established keep the context they started with (each holds a
// shared_ptr) and only new handshakes see the new pair. A failed reload keeps the old pair.
class TlsServerContext {
 public:
  TlsServerContext(std::string cert_file, std::string key_file);

  // Reads the files; fails with kInvalidRequest saying which file and why.
  Status reload();
  std::shared_ptr<boost::asio::ssl::context> current() const;

 private:
  std::string cert_file_;
  std::string key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace citytwin::http
