#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace citytwin::http {

// The OpenSSL client context of CityTwin's outgoing HTTPS (remote @context loads,
// notifications): TLS 1.2 or newer, the peer's certificate verified against the system's
// trust store or, when given, the PEM file `ca_file`. Null when OpenSSL cannot set it up:
// https requests then fail with "TLS is not available", plain http keeps working.
std::unique_ptr<boost::asio::ssl::context> make_client_tls(const std::string& ca_file);

}  // namespace citytwin::http
