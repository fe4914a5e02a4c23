#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <utility>

// I/O on an MQTT network connection that is TLS when `tls` is set and plain TCP otherwise
// (MQTT 5.0 clause 4.2), shared by the broker's connections and the subscriber client.
namespace citytwin::mqtt::stream_io {

using Tcp = boost::asio::ip::tcp;
using TlsStream = boost::asio::ssl::stream<Tcp::socket&>;

template <class Handler>
void async_read_some(const std::unique_ptr<TlsStream>& tls, Tcp::socket& socket,
                     boost::asio::mutable_buffer buffer, Handler&& handler) {
  if (tls) {
    tls->async_read_some(buffer, std::forward<Handler>(handler));
  } else {
    socket.async_read_some(buffer, std::forward<Handler>(handler));
  }
}

template <class Handler>
void async_write(const std::unique_ptr<TlsStream>& tls, Tcp::socket& socket,
                 boost::asio::const_buffer buffer, Handler&& handler) {
  if (tls) {
    boost::asio::async_write(*tls, buffer, std::forward<Handler>(handler));
  } else {
    boost::asio::async_write(socket, buffer, std::forward<Handler>(handler));
  }
}

}  // namespace citytwin::mqtt::stream_io
