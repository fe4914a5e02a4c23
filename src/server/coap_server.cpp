#include "coap_server.hpp"

#include <coap3/coap.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "citytwin/http/rate_limiter.hpp"
#include "coap_request.hpp"
#include "device_audit.hpp"

namespace citytwin::server {
namespace {

// What a measurement's response says.
struct Outcome {
  CoapCode code = kCoapChanged;
  std::string diagnostic;           // RFC 7252 section 5.5.2 diagnostic payload of an error
  std::optional<unsigned> max_age;  // seconds; 4.29 says when to retry (RFC 8516 section 4)
};

Outcome outcome_of(const Error& error) {
  return {coap_code_for(error), error.detail, std::nullopt};
}

// Durability outcomes handed from the store's commit thread to the CoAP thread. The callbacks
// share it, so one arriving after stop() still finds it alive.
class Completions {
 public:
  Completions() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Completions() {
    if (fd_ >= 0) close(fd_);
  }
  Completions(const Completions&) = delete;
  Completions& operator=(const Completions&) = delete;

  int fd() const { return fd_; }
  void push(std::uint64_t id, Outcome outcome) {
    {
      std::lock_guard lock(mutex_);
      items_.emplace_back(id, std::move(outcome));
    }
    wake();
  }
  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(fd_, &one, sizeof one);
  }
  std::deque<std::pair<std::uint64_t, Outcome>> take() {
    std::uint64_t count = 0;
    [[maybe_unused]] auto read_bytes = read(fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  int fd_;
  std::mutex mutex_;
  std::deque<std::pair<std::uint64_t, Outcome>> items_;
};

void set_response(coap_pdu_t* response, const Outcome& outcome, std::size_t max_payload) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(outcome.code)));
  if (outcome.code == kCoapRequestEntityTooLarge) {
    // RFC 7959 section 4: Size1 in a 4.13 tells the largest body the server takes.
    std::uint8_t size[4];
    coap_add_option(response, COAP_OPTION_SIZE1,
                    coap_encode_var_safe(size, sizeof size, static_cast<unsigned>(max_payload)),
                    size);
  }
  if (outcome.max_age) {
    std::uint8_t seconds[4];
    coap_add_option(response, COAP_OPTION_MAXAGE,
                    coap_encode_var_safe(seconds, sizeof seconds, *outcome.max_age), seconds);
  }
  if (!outcome.diagnostic.empty()) {
    coap_add_data(response, outcome.diagnostic.size(),
                  reinterpret_cast<const std::uint8_t*>(outcome.diagnostic.data()));
  }
}

std::string_view text_of(const coap_string_t* text) {
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text->s), text->length};
}

Result<coap_address_t> resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return make_error(ErrorKind::kInvalidRequest, "cannot resolve the CoAP listen host " + host);
  }
  coap_address_t address;
  coap_address_init(&address);
  address.size = found->ai_addrlen;
  std::memcpy(&address.addr, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return address;
}

// The port of "127.0.0.1:5683" or "[::1]:5683" (coap_endpoint_str's form).
std::uint16_t port_of(const char* endpoint) {
  std::string_view text = endpoint == nullptr ? std::string_view() : endpoint;
  auto space = text.find(' ');
  if (space != std::string_view::npos) text = text.substr(0, space);
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return 0;
  return static_cast<std::uint16_t>(std::atoi(std::string(text.substr(colon + 1)).c_str()));
}

// Binds an endpoint; returns its port (the chosen one when `port` is 0).
Result<std::uint16_t> listen_on(coap_context_t* context, const std::string& host,
                                std::uint16_t port, coap_proto_t protocol) {
  auto address = resolve(host, port);
  if (!address) return std::move(address).error();
  coap_endpoint_t* endpoint = coap_new_endpoint(context, &*address, protocol);
  if (endpoint == nullptr) {
    return make_error(ErrorKind::kInternalError,
                      "cannot listen for CoAP on " + host + ":" + std::to_string(port));
  }
  return port_of(coap_endpoint_str(endpoint));
}

// libcoap's own messages go to the server log, not to stderr in libcoap's format.
void log_coap(coap_log_t level, const char* message) {
  std::string_view text = message == nullptr ? std::string_view() : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (level <= LOG_ERR) {
    spdlog::error("coap: {}", text);
  } else {
    spdlog::warn("coap: {}", text);
  }
}

}  // namespace

struct CoapServer::Impl {
  Impl(CoapServerOptions server_options, ingest::IngestService& ingest_service,
       security::KeyService* key_service)
      : options(std::move(server_options)),
        ingest(ingest_service),
        keys(key_service),
        audit(options.audit),
        device_limiter(options.device_rate.enabled()
                           ? std::make_unique<http::RateLimiter>(options.device_rate)
                           : nullptr) {
    if (device_limiter && options.metrics != nullptr) {
      options.metrics->describe("citytwin_coap_device_rate_limited", "counter",
                                "CoAP measures refused over the per-device rate limit");
    }
  }

  // A measurement waiting for durability (CoAP thread only).
  struct Waiting {
    coap_session_t* session;  // referenced until the response is sent
    std::string token;
    std::optional<Outcome> outcome;  // set once the store has answered
  };

  static void handle_post(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t* query,
                          coap_pdu_t* response) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    self->on_post(resource, session, request, query, response);
  }

  void on_post(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
               const coap_string_t* query, coap_pdu_t* response);
  void answer_waiting(coap_session_t* session, coap_async_t* async, coap_pdu_t* response);
  // `who` is set to the sender for the audit log.
  Result<ingest::Measurement> measurement_of(coap_resource_t* resource, const coap_pdu_t* request,
                                             const coap_string_t* query,
                                             security::AuditRecord& who);
  std::optional<Outcome> over_device_rate(const ingest::Measurement& measurement);
  Result<security::Principal> principal_of(std::string_view key) const;
  void deliver(std::uint64_t id, Outcome outcome);
  void run();
  // Frees the context of a start() that failed half-way.
  Status fail(Error error) {
    coap_free_context(context);
    context = nullptr;
    return error;
  }

  CoapServerOptions options;
  ingest::IngestService& ingest;
  security::KeyService* keys;
  DeviceAudit audit;
  std::unique_ptr<http::RateLimiter> device_limiter;  // null: no per-device limit
  std::shared_ptr<Completions> completions = std::make_shared<Completions>();
  coap_context_t* context = nullptr;
  std::uint16_t port = 0;
  std::uint16_t dtls_port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::map<std::uint64_t, Waiting> waiting;
  std::uint64_t next_id = 0;
};

Result<ingest::Measurement> CoapServer::Impl::measurement_of(coap_resource_t* resource,
                                                             const coap_pdu_t* request,
                                                             const coap_string_t* query,
                                                             security::AuditRecord& who) {
  auto parsed = parse_coap_query(text_of(query));
  if (!parsed) return std::move(parsed).error();
  std::size_t length = 0;
  std::size_t offset = 0;
  std::size_t total = 0;
  const std::uint8_t* data = nullptr;
  std::string payload;
  if (coap_get_data_large(request, &length, &data, &offset, &total) != 0) {
    payload.assign(reinterpret_cast<const char*>(data), length);
  }
  const coap_str_const_t* path = coap_resource_get_uri_path(resource);
  std::string_view path_text(reinterpret_cast<const char*>(path->s), path->length);
  auto measurement = coap_measurement(path_text, *parsed, std::move(payload));
  if (!measurement) return measurement;
  if (measurement->payload.size() > options.max_payload_bytes) {
    return make_error(
        ErrorKind::kPayloadTooLarge,
        "payload larger than " + std::to_string(options.max_payload_bytes) + " bytes");
  }
  who = DeviceAudit::actor_of(nullptr, "unauthenticated");
  if (keys != nullptr) {
    if (parsed->api_key.empty()) {
      return make_error(ErrorKind::kUnauthorized, "an API key is required as the query key=");
    }
    auto principal = principal_of(parsed->api_key);
    if (!principal) return std::move(principal).error();
    // A device writes only for itself; checked before the pipeline looks anything up.
    if (principal->role == security::Role::kDevice) {
      CT_RETURN_IF_ERROR(security::authorize_device(*principal, measurement->apikey,
                                                    measurement->device_id, principal->tenant));
    }
    who = DeviceAudit::actor_of(&*principal, "");
    measurement->authorize = [principal = std::move(*principal), apikey = measurement->apikey,
                              device = measurement->device_id](std::string_view tenant) {
      return security::authorize_device(principal, apikey, device, tenant);
    };
  }
  return measurement;
}

// `key=` holds an API key, or a device credential as "username:password": API keys and
// tokens never contain ':', device passwords neither (docs/security.md, "Device credentials").
Result<security::Principal> CoapServer::Impl::principal_of(std::string_view key) const {
  auto login = security::split_device_login(key);
  if (!login) return keys->authenticate(key);
  if (options.device_credentials == nullptr) {
    return make_error(ErrorKind::kUnauthorized, "bad device user name or password");
  }
  auto credential = options.device_credentials->authenticate(login->first, login->second);
  if (!credential) return std::move(credential).error();
  return security::device_principal(*credential);
}

std::optional<Outcome> CoapServer::Impl::over_device_rate(const ingest::Measurement& measurement) {
  if (!device_limiter) return std::nullopt;
  auto wait = device_limiter->acquire(measurement.apikey + "/" + measurement.device_id,
                                      std::chrono::steady_clock::now());
  if (!wait) return std::nullopt;
  auto seconds = static_cast<unsigned>(std::max<long long>(1, (wait->count() + 999) / 1000));
  Error error = make_error(ErrorKind::kTooManyRequests,
                           "device '" + measurement.device_id + "' is over its rate limit");
  if (options.metrics != nullptr) {
    options.metrics->add_counter("citytwin_coap_device_rate_limited", {});
  }
  ingest.reject("coap", measurement.apikey, measurement.device_id, error);
  Outcome outcome = outcome_of(error);
  outcome.max_age = seconds;
  return outcome;
}

void CoapServer::Impl::on_post(coap_resource_t* resource, coap_session_t* session,
                               const coap_pdu_t* request, const coap_string_t* query,
                               coap_pdu_t* response) {
  coap_bin_const_t token = coap_pdu_get_token(request);
  if (coap_async_t* async = coap_find_async(session, token)) {
    answer_waiting(session, async, response);
    return;
  }
  security::AuditRecord who;
  auto measurement = measurement_of(resource, request, query, who);
  if (measurement && waiting.size() >= options.max_pending) {
    measurement = make_error(ErrorKind::kServiceUnavailable,
                             "too many measurements are waiting for the disk; retry later");
  }
  if (!measurement) {
    auto parsed = parse_coap_query(text_of(query));
    ingest.reject("coap", parsed ? parsed->apikey : "", parsed ? parsed->device_id : "",
                  measurement.error());
    set_response(response, outcome_of(measurement.error()), options.max_payload_bytes);
    return;
  }
  if (auto refused = over_device_rate(*measurement)) {
    set_response(response, *refused, options.max_payload_bytes);
    return;
  }
  // The pipeline answers at once for a refused measurement (on this thread, inside ingest()),
  // later for an accepted one (on the store's commit thread, once durable).
  struct Call {
    std::mutex mutex;
    bool returned = false;
    std::optional<Outcome> immediate;
  };
  auto call = std::make_shared<Call>();
  std::uint64_t id = ++next_id;
  auto audited =
      audit.track(std::move(who), "CoAP POST", measurement->resource, measurement->device_id,
                  std::move(measurement->authorize), [](Status) {});
  measurement->authorize = std::move(audited.authorize);
  ingest.ingest(*measurement,
                [call, id, completions = completions,
                 counted = std::move(audited.done)](Result<ingest::IngestReceipt> receipt) {
                  counted(receipt ? ok_status() : Status(receipt.error()));
                  Outcome outcome = receipt ? Outcome{} : outcome_of(receipt.error());
                  std::lock_guard lock(call->mutex);
                  if (!call->returned) {
                    call->immediate = std::move(outcome);
                    return;
                  }
                  completions->push(id, std::move(outcome));
                });
  {
    std::lock_guard lock(call->mutex);
    call->returned = true;
    if (call->immediate) {
      set_response(response, *call->immediate, options.max_payload_bytes);
      return;
    }
  }
  // RFC 7252 section 5.2.2: leaving the response code unset makes libcoap send an empty ACK
  // now; the response follows when deliver() triggers the async entry. Completions are only
  // read on this thread after this handler returns, so the entry exists by then.
  coap_async_t* async = coap_register_async(session, request, 0);
  if (async == nullptr) {
    set_response(response,
                 Outcome{kCoapServiceUnavailable, "cannot defer the response", std::nullopt},
                 options.max_payload_bytes);
    return;
  }
  coap_async_set_app_data(async, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  waiting.emplace(
      id, Waiting{coap_session_reference(session),
                  std::string(reinterpret_cast<const char*>(token.s), token.length), std::nullopt});
}

void CoapServer::Impl::answer_waiting(coap_session_t* /*session*/, coap_async_t* async,
                                      coap_pdu_t* response) {
  auto id =
      static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(coap_async_get_app_data(async)));
  auto entry = waiting.find(id);
  // A retransmission of a request still waiting for the disk: acknowledge it again (empty).
  if (entry != waiting.end() && !entry->second.outcome) return;
  Outcome outcome = entry != waiting.end()
                        ? *entry->second.outcome
                        : Outcome{500, "the measurement's outcome was lost", std::nullopt};
  if (!options.confirmable_responses) coap_pdu_set_type(response, COAP_MESSAGE_NON);
  set_response(response, outcome, options.max_payload_bytes);
  // libcoap frees the async entry itself once this triggered call returns.
  if (entry != waiting.end()) {
    coap_session_release(entry->second.session);
    waiting.erase(entry);
  }
}

void CoapServer::Impl::deliver(std::uint64_t id, Outcome outcome) {
  auto entry = waiting.find(id);
  if (entry == waiting.end()) return;
  Waiting& item = entry->second;
  coap_bin_const_t token{item.token.size(),
                         reinterpret_cast<const std::uint8_t*>(item.token.data())};
  coap_async_t* async = coap_find_async(item.session, token);
  if (async == nullptr) {  // the session went away
    coap_session_release(item.session);
    waiting.erase(entry);
    return;
  }
  item.outcome = std::move(outcome);
  coap_async_trigger(async);  // handle_post runs again for it and sends the response
}

void CoapServer::Impl::run() {
  // With epoll (Linux builds of libcoap) one descriptor covers the sockets and the timers;
  // otherwise libcoap's select() watches the completions' eventfd too.
  int coap_fd = coap_context_get_coap_fd(context);
  coap_io_process(context, COAP_IO_NO_WAIT);
  while (!stopping.load()) {
    if (coap_fd >= 0) {
      pollfd fds[2] = {{coap_fd, POLLIN, 0}, {completions->fd(), POLLIN, 0}};
      poll(fds, 2, 1000);
    } else {
      fd_set read_fds;
      FD_ZERO(&read_fds);
      FD_SET(completions->fd(), &read_fds);
      coap_io_process_with_fds(context, 1000, completions->fd() + 1, &read_fds, nullptr, nullptr);
    }
    for (auto& [id, outcome] : completions->take()) deliver(id, std::move(outcome));
    coap_io_process(context, COAP_IO_NO_WAIT);
  }
}

CoapServer::CoapServer(CoapServerOptions options, ingest::IngestService& ingest,
                       security::KeyService* keys)
    : impl_(std::make_unique<Impl>(std::move(options), ingest, keys)) {}

CoapServer::~CoapServer() {
  stop();
}

Status CoapServer::start() {
  coap_startup();
  coap_set_log_level(LOG_WARNING);
  coap_set_log_handler(log_coap);
  const CoapServerOptions& options = impl_->options;
  impl_->context = coap_new_context(nullptr);
  if (impl_->context == nullptr) {
    return make_error(ErrorKind::kInternalError, "cannot create the CoAP context");
  }
  coap_set_app_data(impl_->context, impl_.get());
  // RFC 7959 block-wise transfers: libcoap reassembles a large body before the handler runs.
  coap_context_set_block_mode(impl_->context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
  auto port = listen_on(impl_->context, options.host, options.port, COAP_PROTO_UDP);
  if (!port) return impl_->fail(std::move(port).error());
  impl_->port = *port;
  if (!options.dtls_host.empty()) {
    coap_dtls_pki_t pki{};
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 0;  // devices authenticate with API keys, not certificates
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.public_cert = options.dtls_cert_file.c_str();
    pki.pki_key.key.pem.private_key = options.dtls_key_file.c_str();
    if (!coap_dtls_is_supported() || coap_context_set_pki(impl_->context, &pki) == 0) {
      return impl_->fail(
          make_error(ErrorKind::kInvalidRequest, "cannot use the CoAP DTLS certificate " +
                                                     options.dtls_cert_file + " and key " +
                                                     options.dtls_key_file));
    }
    auto dtls_port =
        listen_on(impl_->context, options.dtls_host, options.dtls_port, COAP_PROTO_DTLS);
    if (!dtls_port) return impl_->fail(std::move(dtls_port).error());
    impl_->dtls_port = *dtls_port;
  }
  for (const char* path : {"iot/json", "iot/d"}) {
    coap_resource_t* resource = coap_resource_init(
        coap_new_str_const(reinterpret_cast<const std::uint8_t*>(path), std::strlen(path)),
        COAP_RESOURCE_FLAGS_RELEASE_URI);
    coap_register_handler(resource, COAP_REQUEST_POST, &Impl::handle_post);
    coap_add_resource(impl_->context, resource);
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
  return ok_status();
}

std::uint16_t CoapServer::port() const {
  return impl_->port;
}

std::uint16_t CoapServer::dtls_port() const {
  return impl_->dtls_port;
}

void CoapServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->completions->wake();
  impl_->thread.join();
  for (auto& [id, item] : impl_->waiting) coap_session_release(item.session);
  impl_->waiting.clear();
  coap_free_context(impl_->context);
  impl_->context = nullptr;
  coap_cleanup();
}

}  // namespace citytwin::server
