// HTTP request handling without sockets: the server's target parser, route table and every
// NGSI-LD and operations handler, over an in-memory store. An input is a short session of up
// to kMaxRequests requests separated by a line "---"; each request is
//
//   METHOD /target?query
//   header-name: value        (any number of lines)
//                             (an empty line)
//   body
//
// State is fresh for every input (store, stored @contexts), so that a crash replays from its
// input alone, and requests within one input see each other's writes (create, then query).
// Handlers must never throw and never answer 500 (internal error): malformed input is the
// client's error. 503 is expected here: remote @context URLs cannot be loaded (no network).
// Every body sent as JSON must parse, and an entity answered 201 must be readable at its
// Location.

#include <memory>

#include <boost/json/parse.hpp>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/core/discovery.hpp"
#include "citytwin/core/entity_service.hpp"
#include "citytwin/core/notification_sender.hpp"
#include "citytwin/core/subscription_service.hpp"
#include "citytwin/core/temporal_service.hpp"
#include "citytwin/http/ngsi_routes.hpp"
#include "citytwin/http/ops_routes.hpp"
#include "citytwin/http/request.hpp"
#include "citytwin/http/router.hpp"
#include "citytwin/model/context_loader.hpp"
#include "citytwin/model/context_registry.hpp"
#include "citytwin/model/context_resolver.hpp"
#include "citytwin/store/memory_store.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace citytwin;

constexpr std::size_t kMaxRequests = 8;

class NoNetwork final : public jsonld::ContextLoader {
 public:
  Result<std::string> load(std::string_view) override {
    return make_error(ErrorKind::kLdContextNotAvailable, "no network in the fuzz target");
  }
};

// Moves forward a microsecond per reading, like a real clock, but the same for every run.
class SteppingClock final : public Clock {
 public:
  Instant now() const override { return Instant{next_++}; }

 private:
  mutable std::int64_t next_ = 1'800'000'000'000'000;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One request of the input; false when its first line has no method and target.
bool read_request(std::string_view text, http::Request& request, std::string& target) {
  std::size_t end_of_line = text.find('\n');
  std::string_view line = text.substr(0, end_of_line);
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  request.method = std::string(line.substr(0, space));
  target = std::string(line.substr(space + 1));
  text = end_of_line == std::string_view::npos ? std::string_view{} : text.substr(end_of_line + 1);
  while (!text.empty()) {
    end_of_line = text.find('\n');
    line = text.substr(0, end_of_line);
    text =
        end_of_line == std::string_view::npos ? std::string_view{} : text.substr(end_of_line + 1);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(text);
  return true;
}

// The @context machinery lives as long as the process: building the resolver parses the
// NGSI-LD core context, which would cost more than most requests. What requests store in it
// (hosted and implicitly created contexts) is removed after every input (Contexts::reset), so
// each input still starts from the same state.
struct Contexts {
  SteppingClock clock;
  jsonld::ContextRegistry registry{jsonld::ContextRegistryOptions{}, clock};
  NoNetwork loader;
  std::unique_ptr<jsonld::ContextResolver> resolver;

  Contexts() {
    auto created = jsonld::ContextResolver::create(registry, loader);
    if (!created.ok()) fuzz::fail("the core context does not load");
    resolver = std::move(*created);
  }
  void reset() {
    for (const auto& entry : registry.list()) {
      if (entry.core) continue;  // the embedded core contexts stay (and cannot be removed)
      if (!registry.remove(entry.local_id).ok()) fuzz::fail("a stored @context stays", entry.url);
    }
  }
};

// Notifications never leave the process here (no network in fuzzing).
class NoNotifications final : public core::NotificationSender {
 public:
  Status send(const core::OutgoingNotification&) override {
    return make_error(ErrorKind::kServiceUnavailable, "no notifications while fuzzing");
  }
};

// What the server wires up in src/server/app.cpp, with a memory store and no network; fresh
// for every input.
struct Server {
  explicit Server(Contexts& contexts) : contexts(contexts) {
    api = std::make_unique<http::NgsiApi>(
        http::NgsiApi{entities, discovery, temporal, subscriptions, *contexts.resolver,
                      contexts.registry, contexts.loader, http::NgsiApiOptions{}});
    http::add_ops_routes(router, http::OpsInfo{"fuzz", [] { return true; }, &metrics});
    http::add_ngsi_routes(router, *api);
  }
  ~Server() { contexts.reset(); }

  Contexts& contexts;
  SteppingClock clock;
  MetricsRegistry metrics;
  std::unique_ptr<store::EntityStore> store = store::make_memory_store();
  core::EntityService entities{*store, clock};
  core::Discovery discovery{*store};
  core::TemporalService temporal{*store, clock};
  NoNotifications sender;
  core::SubscriptionService subscriptions{*store, clock,
                                          [this](const boost::json::value& context) {
                                            return this->contexts.resolver->resolve(context);
                                          },
                                          sender};
  std::unique_ptr<http::NgsiApi> api;
  http::Router router;
};

// A body announced as JSON (application/json, ld+json, geo+json, problem+json) must be JSON
// text a client can parse, whatever the request put into it.
void check_body(const http::Response& response, std::string_view request) {
  if (response.body.empty()) return;
  for (const auto& [name, value] : response.headers) {
    if (lower(name) != "content-type" || value.find("json") == std::string::npos) continue;
    boost::system::error_code ec;
    (void)boost::json::parse(response.body, ec);
    if (ec)
      fuzz::fail("a JSON response body does not parse",
                 response.body + "\nfor\n" + std::string(request));
  }
}

// An entity acknowledged with 201 can be read back at its Location (clause 5.6.1), in the
// same tenant, right away.
void check_created(const Server& server, const http::Request& create,
                   const http::Response& response, std::string_view text) {
  std::string location;
  for (const auto& [name, value] : response.headers) {
    if (name == "Location") location = value;
  }
  if (!location.starts_with("/ngsi-ld/v1/entities/")) return;  // e.g. a hosted @context
  http::Request read;
  read.method = "GET";
  if (auto tenant = create.header("ngsild-tenant")) {
    read.headers.emplace_back("ngsild-tenant", std::string(*tenant));
  }
  if (!http::parse_request_target(location, read)) fuzz::fail("bad Location", location);
  auto match = server.router.match(read);
  if (match.handler == nullptr) fuzz::fail("Location matches no route", location);
  http::Response answer = (*match.handler)(read);
  if (answer.status != 200) {
    fuzz::fail("a created entity cannot be read at its Location",
               location + " -> " + std::to_string(answer.status) + " " + answer.body + "\nfor\n" +
                   std::string(text));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  static Contexts contexts;
  Server server(contexts);
  for (std::size_t n = 0; n < kMaxRequests && !text.empty(); ++n) {
    std::size_t separator = text.find("\n---\n");
    std::string_view one = text.substr(0, separator);
    text = separator == std::string_view::npos ? std::string_view{} : text.substr(separator + 5);
    http::Request request;
    std::string target;
    if (!read_request(one, request, target)) continue;
    if (!http::parse_request_target(target, request)) continue;  // 400 in the server
    auto match = server.router.match(request);
    if (match.handler == nullptr) continue;  // 404 or 405 in the server
    // An exception escaping a handler terminates the process here: libFuzzer reports it.
    http::Response response = (*match.handler)(request);
    // CITYTWIN_FUZZ_VERBOSE=1 prints each answer, to check what a seed reaches.
    static const bool verbose = std::getenv("CITYTWIN_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      std::fprintf(stderr, "%s %s -> %d %.200s\n", request.method.c_str(), target.c_str(),
                   response.status, response.body.c_str());
    }
    if (response.status < 100 || response.status > 599) fuzz::fail("bad status", one);
    if (response.status == 500) fuzz::fail("500 for a client's request", response.body);
    check_body(response, one);
    if (response.status == 201) check_created(server, request, response, one);
  }
  return 0;
}
