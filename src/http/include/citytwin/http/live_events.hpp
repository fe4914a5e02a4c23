#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/core/change_observer.hpp"
#include "citytwin/http/response.hpp"
#include "citytwin/model/term_mapper.hpp"

namespace citytwin::http {

struct LiveEventsOptions {
  // Event streams open at once, over all tenants; one more is refused with 503. Each costs a
  // connection and a small queue, never a thread. Default 64.
  std::size_t max_streams = 64;
  // Events waiting to be written to one client. When a slow client lets it fill, its waiting
  // events are dropped and it gets one "resync" event before the next ones (it re-reads),
  // so a slow client costs bounded memory and never holds up the others. Default 256.
  std::size_t queue_limit = 256;
  // A comment line is sent to a stream that has been quiet this long, so proxies keep the
  // connection and a vanished client is noticed by the failed write. Default 15 s.
  std::chrono::milliseconds heartbeat{15000};
  // A stream ends after this long (the browser reconnects with a new ticket), so a revoked
  // key keeps its stream no longer than this. Default 15 minutes.
  std::chrono::seconds max_age{900};
};

// Which changes a stream wants: entities of any of `types` (expanded IRIs) and with any of
// `ids`; an empty set does not filter.
struct LiveFilter {
  std::set<std::string, std::less<>> types;
  std::set<std::string, std::less<>> ids;
};

class LiveStream;

// The server side of the console's live updates (docs/console.md): Server-Sent Events
// (WHATWG HTML, section 9.2 "Server-sent events") fed by durable entity changes. Each change
// is rendered once, normalized with the core @context and system attributes, and queued to
// every stream of its tenant whose filter it passes:
//   event: update   data: the entity after the change
//   event: delete   data: {"id", "type", "deletedAt"}
//   event: resync   data: {}   (events were dropped: re-read)
// A stream starts with "retry:" and an "event: ready" so that a client knows it is
// listening. Thread-safe.
class LiveEvents final : public core::ChangeObserver {
 public:
  // `terms` (the core @context) names types and attributes in events; `metrics` may be null.
  LiveEvents(const jsonld::TermMapper& terms, LiveEventsOptions options, MetricsRegistry* metrics);
  ~LiveEvents() override;

  // Starts the heartbeat thread; stop() ends every stream and joins it.
  void start();
  void stop();

  // A new stream of `tenant`'s changes; 503 at max_streams.
  Result<std::shared_ptr<BodyStream>> open(std::string tenant, LiveFilter filter);
  std::size_t open_streams() const;
  const jsonld::TermMapper& terms() const { return terms_; }

  // core::ChangeObserver.
  bool wants(std::string_view tenant) const override;
  void observe(std::string_view tenant, const std::vector<core::EntityChange>& changes,
               Instant at) override;

 private:
  void beat();
  std::vector<std::shared_ptr<LiveStream>> streams_of(std::string_view tenant) const;
  void count(const char* outcome, std::uint64_t n) const;

  const jsonld::TermMapper& terms_;
  LiveEventsOptions options_;
  MetricsRegistry* metrics_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::weak_ptr<LiveStream>> streams_;  // pruned when their connection is gone
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace citytwin::http
