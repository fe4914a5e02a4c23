// MQTT device load generator (docs/performance.md, "Durable MQTT ingestion"): D simulated
// devices, each its own MQTT 3.1.1 connection (client id dev<k>), publish UltraLight measures
// "t|<x>|h|<send µs>" at QoS 1 on /ul/<apikey>/dev<k>/attrs, each with at most W
// unacknowledged PUBLISHes. One thread, one epoll set, so 10,000 connections fit in one
// process. Independent of CityTwin's code on purpose: the same client drives any broker.
//
//   deviceload --port P [--devices 10000] [--messages 20] [--window 8] [--apikey bench]
//              [--warmup 1] [--rate 0] [--subscribe] [--server-pid PID]
//
// --warmup N: every device first sends N measures and all are acknowledged before timing
//   (CityTwin autoprovisions the devices then; later measures take the steady path).
// --messages M: timed measures per device after the warm-up.
// --rate R: offer at most R measures/s in total (0: as fast as the windows allow), to measure
//   latency below saturation.
// --seconds S: stop offering new measures S seconds into the timed phase (the per-device count
//   --messages is then an upper bound) and wait for the acknowledgements of those sent, so a
//   closed-loop run at full speed lasts a known time (bench/soak/soak.py --engine wrk).
// --subscribe: one more connection subscribes to /ul/<apikey>/# at QoS 1 and counts what the
//   broker forwards (the Mosquitto reference: rate = messages received per second).
// --server-pid: reads that process's CPU time (utime + stime) around the timed phase and
//   reports CPU microseconds per measure.
//
// Prints one JSON line: acknowledged (PUBACK) rate and PUBLISH -> PUBACK latency; with
// --subscribe also the subscriber's rate and PUBLISH -> delivery latency. Ends after every
// expected acknowledgement (and delivery), or 30 s without progress.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Options {
  int port = 0;
  int devices = 10000;
  int messages = 20;
  int window = 8;
  int warmup = 1;
  double rate = 0;
  double seconds = 0;
  bool subscribe = false;
  int server_pid = 0;
  std::string apikey = "bench";
};

void append_remaining_length(std::string& out, std::size_t n) {
  do {
    char byte = static_cast<char>(n % 128);
    n /= 128;
    if (n > 0) byte = static_cast<char>(byte | 0x80);
    out.push_back(byte);
  } while (n > 0);
}
void append_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}
void append_str(std::string& out, std::string_view s) {
  append_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}
void append_packet(std::string& out, std::uint8_t first, std::string_view body) {
  out.push_back(static_cast<char>(first));
  append_remaining_length(out, body.size());
  out.append(body);
}
std::string connect_packet(const std::string& id) {
  std::string body;
  append_str(body, "MQTT");
  body.append("\x04\x02\x00\x00", 4);  // 3.1.1, clean session, keep-alive 0 (no PINGREQ)
  append_str(body, id);
  std::string out;
  append_packet(out, 0x10, body);
  return out;
}

// The server's user + system CPU time in microseconds (/proc/PID/stat fields 14 and 15).
double cpu_us(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Connection {
  int fd = -1;
  int index = 0;
  bool connected = false;
  bool subscriber = false;
  std::string in, out;
  int inflight = 0;
  int to_send = 0;  // measures this device still has to publish in the current phase
  std::uint16_t next_id = 0;
  std::unordered_map<std::uint16_t, std::int64_t> sent_at;
  std::string topic;
};

struct Phase {
  std::uint64_t expected_acks = 0, acks = 0;
  std::uint64_t expected_deliveries = 0, deliveries = 0;
  std::vector<std::int64_t> ack_latency_us, delivery_latency_us;
  std::int64_t started_us = 0, last_ack_us = 0, last_delivery_us = 0;
  std::uint64_t offered = 0;  // measures sent so far (for --rate)
};

class Load {
 public:
  explicit Load(Options options) : options_(std::move(options)), epoll_(epoll_create1(0)) {}

  bool connect_all() {
    int total = options_.devices + (options_.subscribe ? 1 : 0);
    connections_.resize(static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i) {
      Connection& c = connections_[static_cast<std::size_t>(i)];
      c.index = i;
      c.subscriber = i == options_.devices;
      c.topic = "/ul/" + options_.apikey + "/dev" + std::to_string(i) + "/attrs";
      c.fd = socket(AF_INET, SOCK_STREAM, 0);
      if (c.fd < 0) return fail("socket");
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(options_.port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        return fail("connect");
      }
      int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<std::uint32_t>(i);
      epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event);
      c.out = connect_packet(c.subscriber ? "bench-subscriber" : "dev" + std::to_string(i));
      if (c.subscriber) {
        std::string body;
        append_u16(body, 1);
        append_str(body, "/ul/" + options_.apikey + "/#");
        body.push_back(1);
        append_packet(c.out, 0x82, body);
      }
      flush(c);
      // Let the broker accept as we go: a listen backlog is finite.
      if (i % 500 == 499) poll(0);
    }
    std::int64_t deadline = now_us() + 120'000'000;
    while (connected_ < total && now_us() < deadline) poll(100);
    return connected_ == total || fail("not every device connected");
  }

  // Each device publishes `per_device` measures; returns once all are acknowledged (and, with
  // a subscriber, delivered) or nothing progressed for 30 s.
  Phase run_phase(int per_device) {
    phase_ = Phase{};
    phase_.expected_acks = static_cast<std::uint64_t>(per_device) * options_.devices;
    phase_.expected_deliveries = options_.subscribe ? phase_.expected_acks : 0;
    constexpr std::uint64_t kReserveAtMost = 1 << 20;
    phase_.ack_latency_us.reserve(std::min(phase_.expected_acks, kReserveAtMost));
    phase_.delivery_latency_us.reserve(std::min(phase_.expected_deliveries, kReserveAtMost));
    phase_.started_us = now_us();
    for (auto& c : connections_) {
      if (!c.subscriber) c.to_send = per_device;
    }
    std::int64_t last_progress = now_us();
    std::uint64_t seen = 0;
    bool offering = true;
    while (phase_.acks < phase_.expected_acks || phase_.deliveries < phase_.expected_deliveries) {
      if (offering && options_.seconds > 0 &&
          now_us() - phase_.started_us > static_cast<std::int64_t>(options_.seconds * 1e6)) {
        stop_offering();
        offering = false;
      }
      send_allowed();
      poll(options_.rate > 0 ? 1 : 50);
      if (phase_.acks + phase_.deliveries != seen) {
        seen = phase_.acks + phase_.deliveries;
        last_progress = now_us();
      } else if (now_us() - last_progress > 30'000'000) {
        std::fprintf(stderr, "no progress for 30 s: %llu/%llu acks, %llu/%llu deliveries\n",
                     static_cast<unsigned long long>(phase_.acks),
                     static_cast<unsigned long long>(phase_.expected_acks),
                     static_cast<unsigned long long>(phase_.deliveries),
                     static_cast<unsigned long long>(phase_.expected_deliveries));
        break;
      }
    }
    return std::move(phase_);
  }

  bool failed() const { return failed_; }

  // From now on only what was sent is expected back.
  void stop_offering() {
    for (auto& c : connections_) c.to_send = 0;
    phase_.expected_acks = phase_.offered;
    if (options_.subscribe) phase_.expected_deliveries = phase_.offered;
  }

 private:
  bool fail(const char* what) {
    std::fprintf(stderr, "%s: %s\n", what, std::strerror(errno));
    failed_ = true;
    return false;
  }

  // Fills each device's window, within the offered rate.
  void send_allowed() {
    std::uint64_t budget = UINT64_MAX;
    if (options_.rate > 0) {
      double elapsed = static_cast<double>(now_us() - phase_.started_us) / 1e6;
      auto allowed = static_cast<std::uint64_t>(elapsed * options_.rate) + 1;
      budget = allowed > phase_.offered ? allowed - phase_.offered : 0;
    }
    std::size_t n = connections_.size();
    for (std::size_t k = 0; k < n && budget > 0; ++k) {
      Connection& c = connections_[(cursor_ + k) % n];
      if (c.subscriber || !c.connected) continue;
      bool wrote = false;
      while (c.to_send > 0 && c.inflight < options_.window && budget > 0) {
        publish(c);
        --budget;
        wrote = true;
      }
      if (wrote) flush(c);
    }
    cursor_ = (cursor_ + 97) % n;  // rotate who goes first when the rate is the limit
  }

  void publish(Connection& c) {
    std::uint16_t id = static_cast<std::uint16_t>(c.next_id++ % 65535 + 1);
    std::int64_t t = now_us();
    char payload[64];
    int length = std::snprintf(payload, sizeof payload, "t|%d.5|h|%lld",
                               static_cast<int>(phase_.offered % 40), static_cast<long long>(t));
    std::string body;
    append_str(body, c.topic);
    append_u16(body, id);
    body.append(payload, static_cast<std::size_t>(length));
    append_packet(c.out, 0x32, body);
    c.sent_at[id] = t;
    ++c.inflight;
    --c.to_send;
    ++phase_.offered;
  }

  void flush(Connection& c) {
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail("send");
        return;
      }
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    epoll_event event{};
    event.events = c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT);
    event.data.u32 = static_cast<std::uint32_t>(c.index);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  }

  void poll(int timeout_ms) {
    epoll_event events[512];
    int n = epoll_wait(epoll_, events, 512, timeout_ms);
    for (int i = 0; i < n; ++i) {
      Connection& c = connections_[events[i].data.u32];
      if (events[i].events & EPOLLOUT) flush(c);
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read(c);
    }
  }

  void read(Connection& c) {
    char chunk[65536];
    for (;;) {
      ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n == 0) {
        std::fprintf(stderr, "connection %d closed by the broker\n", c.index);
        epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
        failed_ = true;
        return;
      }
      if (n < 0) break;
      c.in.append(chunk, static_cast<std::size_t>(n));
    }
    std::size_t offset = 0;
    for (;;) {
      std::size_t length = 0, shift = 0, k = 1;
      bool complete = false;
      for (; offset + k < c.in.size() && k <= 4; ++k) {
        auto byte = static_cast<std::uint8_t>(c.in[offset + k]);
        length |= static_cast<std::size_t>(byte & 0x7F) << shift;
        shift += 7;
        if (!(byte & 0x80)) {
          complete = true;
          break;
        }
      }
      if (!complete || offset + k + 1 + length > c.in.size()) break;
      on_packet(c, static_cast<std::uint8_t>(c.in[offset]),
                std::string_view(c.in).substr(offset + k + 1, length));
      offset += k + 1 + length;
    }
    c.in.erase(0, offset);
    if (!c.out.empty()) flush(c);
  }

  void on_packet(Connection& c, std::uint8_t first, std::string_view body) {
    std::uint8_t type = first >> 4;
    if (type == 2 && !c.subscriber) {  // CONNACK
      c.connected = true;
      ++connected_;
    } else if (type == 9) {  // SUBACK
      c.connected = true;
      ++connected_;
    } else if (type == 4 && body.size() >= 2) {  // PUBACK
      auto id = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) |
                                           static_cast<std::uint8_t>(body[1]));
      auto sent = c.sent_at.find(id);
      if (sent == c.sent_at.end()) return;
      std::int64_t t = now_us();
      phase_.ack_latency_us.push_back(t - sent->second);
      c.sent_at.erase(sent);
      --c.inflight;
      ++phase_.acks;
      phase_.last_ack_us = t;
    } else if (type == 3) {  // PUBLISH forwarded to the subscriber
      std::size_t topic_length =
          (static_cast<std::uint8_t>(body[0]) << 8) | static_cast<std::uint8_t>(body[1]);
      std::size_t at = 2 + topic_length;
      if ((first >> 1) & 3) {
        append_packet(c.out, 0x40, body.substr(at, 2));
        at += 2;
      }
      std::string_view payload = body.substr(at);
      auto bar = payload.rfind('|');
      std::int64_t t = now_us();
      if (bar != std::string_view::npos) {
        phase_.delivery_latency_us.push_back(
            t - std::strtoll(std::string(payload.substr(bar + 1)).c_str(), nullptr, 10));
      }
      ++phase_.deliveries;
      phase_.last_delivery_us = t;
    }
  }

  Options options_;
  int epoll_;
  std::vector<Connection> connections_;
  int connected_ = 0;
  std::size_t cursor_ = 0;
  Phase phase_;
  bool failed_ = false;
};

double percentile_ms(std::vector<std::int64_t>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return static_cast<double>(
             values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))]) /
         1e3;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--port") {
      o.port = std::stoi(value());
    } else if (flag == "--devices") {
      o.devices = std::stoi(value());
    } else if (flag == "--messages") {
      o.messages = std::stoi(value());
    } else if (flag == "--window") {
      o.window = std::stoi(value());
    } else if (flag == "--warmup") {
      o.warmup = std::stoi(value());
    } else if (flag == "--rate") {
      o.rate = std::stod(value());
    } else if (flag == "--seconds") {
      o.seconds = std::stod(value());
    } else if (flag == "--apikey") {
      o.apikey = value();
    } else if (flag == "--server-pid") {
      o.server_pid = std::stoi(value());
    } else if (flag == "--subscribe") {
      o.subscribe = true;
    } else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of deviceload.cpp)\n",
                   flag.c_str());
      std::exit(2);
    }
  }
  if (o.port <= 0 || o.devices <= 0 || o.window <= 0) {
    std::fprintf(stderr, "--port, --devices and --window must be positive\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  Load load(options);
  if (!load.connect_all()) return 1;
  if (options.warmup > 0) load.run_phase(options.warmup);
  double cpu_before = cpu_us(options.server_pid);
  Phase phase = load.run_phase(options.messages);
  double cpu_used = cpu_us(options.server_pid) - cpu_before;
  double ack_seconds = static_cast<double>(phase.last_ack_us - phase.started_us) / 1e6;
  double delivery_seconds = static_cast<double>(phase.last_delivery_us - phase.started_us) / 1e6;
  std::printf(
      "{\"devices\": %d, \"window\": %d, \"offered_rate\": %.0f, \"expected\": %llu, "
      "\"acked\": %llu, \"acked_per_s\": %.0f, \"ack_p50_ms\": %.2f, \"ack_p99_ms\": %.2f, "
      "\"delivered\": %llu, \"delivered_per_s\": %.0f, \"delivery_p50_ms\": %.2f, "
      "\"delivery_p99_ms\": %.2f, \"server_cpu_us_per_measure\": %.2f}\n",
      options.devices, options.window, options.rate,
      static_cast<unsigned long long>(phase.expected_acks),
      static_cast<unsigned long long>(phase.acks),
      ack_seconds > 0 ? static_cast<double>(phase.acks) / ack_seconds : 0.0,
      percentile_ms(phase.ack_latency_us, 0.5), percentile_ms(phase.ack_latency_us, 0.99),
      static_cast<unsigned long long>(phase.deliveries),
      delivery_seconds > 0 ? static_cast<double>(phase.deliveries) / delivery_seconds : 0.0,
      percentile_ms(phase.delivery_latency_us, 0.5), percentile_ms(phase.delivery_latency_us, 0.99),
      phase.acks > 0 ? cpu_used / static_cast<double>(phase.acks) : 0.0);
  bool complete = phase.acks == phase.expected_acks &&
                  phase.deliveries == phase.expected_deliveries && !load.failed();
  return complete ? 0 : 1;
}
