#include "client_tls.hpp"

#include <exception>

namespace citytwin::http {

std::unique_ptr<boost::asio::ssl::context> make_client_tls(const std::string& ca_file) {
  namespace ssl = boost::asio::ssl;
  try {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1,
                         ec);
    context->set_verify_mode(ssl::verify_peer, ec);
    if (ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(ca_file, ec);
    }
    if (ec) return nullptr;
    return context;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace citytwin::http
