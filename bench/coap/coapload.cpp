// CoAP measure load generator (bench/coap/run.sh, docs/performance.md): `clients` CoAP
// clients (one UDP session each, as many devices send) post IoT Agent JSON measures as
// Confirmable requests to coap://127.0.0.1:PORT/iot/json?k=APIKEY&i=dev<N>; each client sends
// its next measure when the 2.04 of the previous one arrived, i.e. once it is durable.
// Prints one JSON object: measures/s, latency percentiles (request sent -> 2.04 received),
// and how many were refused or timed out.
//
//   coapload PORT CLIENTS MEASURES_PER_CLIENT APIKEY DEVICES
#include <coap3/coap.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  coap_session_t* session = nullptr;
  int index = 0;
  int sent = 0;
  bool ready = false;  // its response arrived: send the next measure from the main loop
  Clock::time_point started;
};

struct Load {
  std::string apikey;
  int devices = 1;
  int per_client = 0;
  std::vector<Client> clients;
  std::map<coap_session_t*, Client*> by_session;
  std::vector<double> latencies_ms;
  int refused = 0;
  int finished = 0;
};

Load* load = nullptr;

void send_next(Client& client) {
  coap_session_t* session = client.session;
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
                                  coap_new_message_id(session), coap_session_max_pdu_size(session));
  std::uint8_t token[8];
  std::size_t token_length = 0;
  coap_session_new_token(session, &token_length, token);
  coap_add_token(pdu, token_length, token);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 3, reinterpret_cast<const std::uint8_t*>("iot"));
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, reinterpret_cast<const std::uint8_t*>("json"));
  std::string k = "k=" + load->apikey;
  int device = (client.index * load->per_client + client.sent) % load->devices;
  std::string i = "i=dev" + std::to_string(device);
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, k.size(),
                  reinterpret_cast<const std::uint8_t*>(k.data()));
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, i.size(),
                  reinterpret_cast<const std::uint8_t*>(i.data()));
  std::string body = "{\"t\": " + std::to_string(15 + client.sent % 20) +
                     ".5, \"h\": " + std::to_string(40 + client.sent % 30) + "}";
  coap_add_data(pdu, body.size(), reinterpret_cast<const std::uint8_t*>(body.data()));
  client.started = Clock::now();
  ++client.sent;
  coap_send(session, pdu);
}

coap_response_t on_response(coap_session_t* session, const coap_pdu_t* /*sent*/,
                            const coap_pdu_t* received, const coap_mid_t /*mid*/) {
  auto found = load->by_session.find(session);
  if (found == load->by_session.end()) return COAP_RESPONSE_OK;
  Client& client = *found->second;
  coap_pdu_code_t code = coap_pdu_get_code(received);
  if (code == COAP_EMPTY_CODE) return COAP_RESPONSE_OK;  // the ACK before a separate response
  std::chrono::duration<double, std::milli> took = Clock::now() - client.started;
  load->latencies_ms.push_back(took.count());
  if (code != COAP_RESPONSE_CODE_CHANGED) ++load->refused;
  // Not from inside the handler: libcoap acknowledges the separate response after it returns.
  client.ready = true;
  return COAP_RESPONSE_OK;
}

void on_nack(coap_session_t* session, const coap_pdu_t*, coap_nack_reason_t, const coap_mid_t) {
  auto found = load->by_session.find(session);
  if (found == load->by_session.end()) return;
  ++load->refused;
  found->second->ready = true;
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t at = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[at];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: coapload PORT CLIENTS MEASURES_PER_CLIENT APIKEY DEVICES\n");
    return 2;
  }
  Load state;
  load = &state;
  int port = std::atoi(argv[1]);
  int clients = std::atoi(argv[2]);
  state.per_client = std::atoi(argv[3]);
  state.apikey = argv[4];
  state.devices = std::max(1, std::atoi(argv[5]));
  coap_startup();
  coap_set_log_level(LOG_ERR);
  coap_context_t* context = coap_new_context(nullptr);
  coap_register_response_handler(context, on_response);
  coap_register_nack_handler(context, on_nack);
  coap_address_t server;
  coap_address_init(&server);
  server.addr.sin.sin_family = AF_INET;
  server.addr.sin.sin_port = htons(static_cast<std::uint16_t>(port));
  server.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server.size = sizeof(server.addr.sin);
  state.clients.resize(static_cast<std::size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    Client& client = state.clients[static_cast<std::size_t>(c)];
    client.index = c;
    client.session = coap_new_client_session(context, nullptr, &server, COAP_PROTO_UDP);
    if (client.session == nullptr) {
      std::fprintf(stderr, "cannot create a CoAP session\n");
      return 1;
    }
    state.by_session[client.session] = &client;
  }
  auto started = Clock::now();
  for (auto& client : state.clients) send_next(client);
  auto deadline = started + std::chrono::minutes(5);
  while (state.finished < clients && Clock::now() < deadline) {
    coap_io_process(context, 100);
    for (auto& client : state.clients) {
      if (!client.ready) continue;
      client.ready = false;
      if (client.sent < state.per_client) {
        send_next(client);
      } else {
        ++state.finished;
      }
    }
  }
  std::chrono::duration<double> elapsed = Clock::now() - started;
  std::sort(state.latencies_ms.begin(), state.latencies_ms.end());
  std::size_t done = state.latencies_ms.size();
  std::printf(
      "{\"measures\": %zu, \"refused\": %d, \"seconds\": %.2f, \"measures_per_s\": %.0f, "
      "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
      done, state.refused, elapsed.count(), static_cast<double>(done) / elapsed.count(),
      percentile(state.latencies_ms, 0.5), percentile(state.latencies_ms, 0.99),
      state.latencies_ms.empty() ? 0.0 : state.latencies_ms.back());
  for (auto& client : state.clients) coap_session_release(client.session);
  coap_free_context(context);
  coap_cleanup();
  return state.finished == clients ? 0 : 1;
}
