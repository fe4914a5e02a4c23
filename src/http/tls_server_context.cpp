#include "tls_server_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <exception>

namespace citytwin::http {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites of Mozilla's "intermediate" profile (ECDHE key exchange, AES-GCM or
// ChaCha20-Poly1305); TLS 1.3 suites are OpenSSL's defaults, all of them AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error tls_error(std::string detail, const boost::system::error_code& ec) {
  return make_error(ErrorKind::kInvalidRequest, std::move(detail) + ": " + ec.message());
}

Result<std::shared_ptr<ssl::context>> make_context(const std::string& cert_file,
                                                   const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::no_compression,
                       ec);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return make_error(ErrorKind::kInternalError, "OpenSSL refused the TLS settings");
  }
  // No session tickets: their key would outlive a certificate swap and is one more secret.
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) return tls_error("cannot use TLS certificate " + cert_file, ec);
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return tls_error("cannot use TLS key " + key_file, ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return make_error(ErrorKind::kInvalidRequest,
                      "TLS key " + key_file + " does not match certificate " + cert_file);
  }
  return context;
}

}  // namespace

TlsServerContext::TlsServerContext(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

Status TlsServerContext::reload() {
  Result<std::shared_ptr<ssl::context>> fresh = make_error(ErrorKind::kInternalError, "");
  try {
    fresh = make_context(cert_file_, key_file_);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternalError, std::string("cannot set up TLS: ") + e.what());
  }
  if (!fresh) return std::move(fresh).error();
  std::lock_guard lock(mutex_);
  context_ = std::move(*fresh);
  return ok_status();
}

std::shared_ptr<boost::asio::ssl::context> TlsServerContext::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

}  // namespace citytwin::http
