// MQTT forwarding load generator (docs/performance.md, "MQTT forwarding"): P publishers send
// M messages each over MQTT 3.1.1 to one broker on 127.0.0.1, QoS 0 or 1 with a window of W
// unacknowledged messages per publisher; one subscriber of "bench/#" receives them. Measures
// messages/s received by the subscriber and the publish-to-receive latency (the payload carries
// the send time). Independent of CityTwin's codec on purpose: the same client drives any broker.
//
//   mqttload PORT PUBLISHERS MESSAGES_PER_PUBLISHER QOS WINDOW PAYLOAD_BYTES [persistent]
// "persistent": the subscriber connects with clean session 0, so a broker that keeps
// persistent sessions durably (CityTwin) queues every QoS 1 message on disk before the
// publisher's PUBACK (docs/mqtt.md, "Sessions: what survives a crash").
// Prints one JSON line. Bounded: ends 5 s after the last message received (a broker may drop
// messages when a subscriber's queue is full: "received" < "expected"), or after 120 s.
#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string remaining_length(std::size_t n) {
  std::string out;
  do {
    char byte = static_cast<char>(n % 128);
    n /= 128;
    if (n > 0) byte = static_cast<char>(byte | 0x80);
    out.push_back(byte);
  } while (n > 0);
  return out;
}

std::string u16(std::uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}
std::string str(const std::string& s) {
  return u16(static_cast<std::uint16_t>(s.size())) + s;
}
std::string packet(std::uint8_t first, const std::string& body) {
  return std::string(1, static_cast<char>(first)) + remaining_length(body.size()) + body;
}
std::string connect_packet(const std::string& id, bool clean = true) {
  // Keep-alive 0: the generator sends no PINGREQ, and a run must not be cut by the broker.
  std::string flags(1, clean ? '\x02' : '\x00');
  return packet(0x10, str("MQTT") + "\x04" + flags + std::string("\x00\x00", 2) + str(id));
}
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Stats {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::vector<std::int64_t> latencies_ns;
  Clock::time_point start, end;
  int connected = 0;
  bool subscribed = false;
};

// Reads packets off a socket and hands each (first byte, body) to `on_packet`.
class Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(asio::io_context& io, std::uint16_t port) : socket_(io) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));
  }
  virtual ~Peer() = default;
  void write(std::string bytes) {
    out_ += bytes;
    if (!writing_) flush();
  }
  void read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                      boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      self->in_.append(self->chunk_.data(), n);
      std::size_t offset = 0;
      while (true) {
        std::size_t length = 0, shift = 0, k = 1;
        bool complete = false;
        for (; offset + k < self->in_.size() && k <= 4; ++k) {
          auto byte = static_cast<std::uint8_t>(self->in_[offset + k]);
          length |= static_cast<std::size_t>(byte & 0x7F) << shift;
          shift += 7;
          if (!(byte & 0x80)) {
            complete = true;
            break;
          }
        }
        if (!complete || offset + k + 1 + length > self->in_.size()) break;
        auto first = static_cast<std::uint8_t>(self->in_[offset]);
        self->on_packet(first, std::string_view(self->in_).substr(offset + k + 1, length));
        offset += k + 1 + length;
      }
      self->in_.erase(0, offset);
      self->read();
    });
  }
  virtual void on_packet(std::uint8_t first, std::string_view body) = 0;

 private:
  void flush() {
    writing_ = true;
    sending_.swap(out_);
    out_.clear();
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (!ec && !self->out_.empty()) self->flush();
                      });
  }
  tcp::socket socket_;
  std::array<char, 65536> chunk_{};
  std::string in_, out_, sending_;
  bool writing_ = false;
};

class Subscriber : public Peer {
 public:
  Subscriber(asio::io_context& io, std::uint16_t port, int qos, bool persistent, Stats& stats)
      : Peer(io, port), qos_(qos), persistent_(persistent), stats_(stats) {}
  void start() {
    write(connect_packet("bench-sub", !persistent_));
    write(packet(0x82, u16(1) + str("bench/#") + std::string(1, static_cast<char>(qos_))));
    read();
  }
  void on_packet(std::uint8_t first, std::string_view body) override {
    std::uint8_t type = first >> 4;
    if (type == 9) stats_.subscribed = true;
    if (type != 3) return;
    std::size_t topic_length =
        (static_cast<std::uint8_t>(body[0]) << 8) | static_cast<std::uint8_t>(body[1]);
    std::size_t at = 2 + topic_length;
    int qos = (first >> 1) & 3;
    if (qos > 0) {
      write(packet(0x40, std::string(body.substr(at, 2))));
      at += 2;
    }
    std::int64_t sent = 0;
    if (body.size() >= at + 8) std::memcpy(&sent, body.data() + at, 8);
    stats_.latencies_ns.push_back(now_ns() - sent);
    ++stats_.received;
    stats_.end = Clock::now();  // the rate is measured up to the last message received
  }

 private:
  int qos_;
  bool persistent_;
  Stats& stats_;
};

class Publisher : public Peer {
 public:
  Publisher(asio::io_context& io, std::uint16_t port, int index, int messages, int qos, int window,
            int payload_bytes, Stats& stats)
      : Peer(io, port),
        index_(index),
        remaining_(messages),
        qos_(qos),
        window_(window),
        payload_bytes_(std::max(8, payload_bytes)),
        stats_(stats),
        topic_("bench/" + std::to_string(index) + "/data") {}
  void start() {
    write(connect_packet("bench-pub-" + std::to_string(index_)));
    read();
  }
  void go() { send_some(window_); }
  void on_packet(std::uint8_t first, std::string_view) override {
    std::uint8_t type = first >> 4;
    if (type == 2) ++stats_.connected;
    if (type == 4) send_some(1);  // PUBACK: one more may go
  }

 private:
  void send_some(int count) {
    std::string batch;
    for (int i = 0; i < count && remaining_ > 0; ++i, --remaining_) {
      std::string payload(static_cast<std::size_t>(payload_bytes_), 'x');
      std::int64_t t = now_ns();
      std::memcpy(payload.data(), &t, 8);
      std::string body = str(topic_);
      if (qos_ > 0) body += u16(static_cast<std::uint16_t>(next_id_++ % 65535 + 1));
      batch += packet(qos_ > 0 ? 0x32 : 0x30, body + payload);
    }
    if (!batch.empty()) write(std::move(batch));
    // QoS 0 has no acknowledgement to pace it: keep sending after each write completes.
    if (qos_ == 0 && remaining_ > 0) {
      asio::post(socket_executor(), [self = std::static_pointer_cast<Publisher>(
                                         shared_from_this())] { self->send_some(self->window_); });
    }
  }
  asio::any_io_executor socket_executor() { return executor_; }

 public:
  asio::any_io_executor executor_;

 private:
  int index_;
  int remaining_;
  int qos_;
  int window_;
  int payload_bytes_;
  Stats& stats_;
  std::string topic_;
  std::uint32_t next_id_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 && !(argc == 8 && std::string(argv[7]) == "persistent")) {
    std::fprintf(stderr,
                 "usage: %s PORT PUBLISHERS MESSAGES QOS WINDOW PAYLOAD_BYTES [persistent]\n",
                 argv[0]);
    return 2;
  }
  auto port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  int publishers = std::stoi(argv[2]), messages = std::stoi(argv[3]), qos = std::stoi(argv[4]);
  int window = std::stoi(argv[5]), payload = std::stoi(argv[6]);
  asio::io_context io(1);
  Stats stats;
  stats.expected = static_cast<std::uint64_t>(publishers) * messages;
  stats.latencies_ns.reserve(stats.expected);
  auto subscriber = std::make_shared<Subscriber>(io, port, qos, argc == 8, stats);
  subscriber->start();
  std::vector<std::shared_ptr<Publisher>> pubs;
  for (int i = 0; i < publishers; ++i) {
    pubs.push_back(std::make_shared<Publisher>(io, port, i, messages, qos, window, payload, stats));
    pubs.back()->executor_ = io.get_executor();
    pubs.back()->start();
  }
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while ((stats.connected < publishers || !stats.subscribed) && Clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  stats.start = Clock::now();
  for (auto& p : pubs) p->go();
  stats.end = stats.start;
  while (stats.received < stats.expected && Clock::now() < deadline &&
         Clock::now() - std::max(stats.end, stats.start) < std::chrono::seconds(5)) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  double seconds = std::chrono::duration<double>(stats.end - stats.start).count();
  auto& l = stats.latencies_ns;
  std::sort(l.begin(), l.end());
  auto pct = [&l](double p) {
    return l.empty() ? 0.0
                     : l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))] / 1e6;
  };
  std::printf(
      "{\"publishers\": %d, \"qos\": %d, \"window\": %d, \"payload_bytes\": %d, \"expected\": "
      "%llu, \"received\": %llu, \"seconds\": %.3f, \"messages_per_s\": %.0f, \"p50_ms\": %.2f, "
      "\"p99_ms\": %.2f}\n",
      publishers, qos, window, payload, static_cast<unsigned long long>(stats.expected),
      static_cast<unsigned long long>(stats.received), seconds, stats.received / seconds, pct(0.5),
      pct(0.99));
  return stats.received == stats.expected ? 0 : 1;
}
