#include "citytwin/http/live_events.hpp"

#include <algorithm>

#include "citytwin/common/json_text.hpp"
#include "citytwin/core/entity_matcher.hpp"
#include "citytwin/model/entity_form.hpp"
#include "citytwin/model/entity_renderer.hpp"
#include "live_stream.hpp"

namespace citytwin::http {
namespace {

namespace json = boost::json;
namespace form = model::form;

// Sent first: how long EventSource waits before reconnecting (WHATWG HTML 9.2.6 "retry"),
// then an event saying the stream is listening.
constexpr std::string_view kOpening = "retry: 5000\nevent: ready\ndata: {}\n\n";

bool passes(const LiveFilter& filter, std::string_view id, const std::vector<std::string>& types) {
  if (!filter.ids.empty() && filter.ids.find(id) == filter.ids.end()) return false;
  if (filter.types.empty()) return true;
  return std::any_of(types.begin(), types.end(),
                     [&](const std::string& type) { return filter.types.count(type) > 0; });
}

std::string event_text(std::string_view name, const json::object& data) {
  std::string text = "event: ";
  text += name;
  text += "\ndata: ";
  text += to_json_text(data);  // one line: JSON text escapes every newline
  text += "\n\n";
  return text;
}

std::string render_change(const core::EntityChange& change, const jsonld::TermMapper& terms,
                          Instant at) {
  if (change.after) {
    model::RenderOptions options;
    options.sys_attrs = true;
    return event_text("update", model::render_entity(*change.after, terms, options));
  }
  model::RenderOptions minimal;
  minimal.pick = {std::string(form::kId), std::string(form::kType)};
  json::object entity = model::render_entity(*change.before, terms, minimal);
  entity["deletedAt"] = format_date_time(at);
  return event_text("delete", entity);
}

}  // namespace

LiveEvents::LiveEvents(const jsonld::TermMapper& terms, LiveEventsOptions options,
                       MetricsRegistry* metrics)
    : terms_(terms), options_(options), metrics_(metrics) {
  if (metrics_ == nullptr) return;
  metrics_->describe("citytwin_live_events_total", "counter",
                     "Console live events, by outcome (queued, dropped for a slow client)");
  metrics_->describe("citytwin_live_streams_refused_total", "counter",
                     "Event streams refused at the limit of open streams");
  metrics_->add_gauge("citytwin_live_streams", "Console event streams open", [this] {
    return std::vector<std::pair<Labels, double>>{{Labels{}, static_cast<double>(open_streams())}};
  });
}

LiveEvents::~LiveEvents() {
  stop();
}

void LiveEvents::start() {
  std::lock_guard lock(mutex_);
  if (!heartbeat_.joinable() && !stopping_) heartbeat_ = std::thread([this] { beat(); });
}

void LiveEvents::stop() {
  std::vector<std::weak_ptr<LiveStream>> streams;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    streams.swap(streams_);
  }
  wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (auto& weak : streams) {
    if (auto stream = weak.lock()) stream->end();
  }
}

Result<std::shared_ptr<BodyStream>> LiveEvents::open(std::string tenant, LiveFilter filter) {
  auto deadline = std::chrono::steady_clock::now() + options_.max_age;
  auto stream = std::make_shared<LiveStream>(std::move(tenant), std::move(filter),
                                             options_.queue_limit, deadline);
  {
    std::lock_guard lock(mutex_);
    std::erase_if(streams_, [](const auto& weak) { return weak.expired(); });
    if (stopping_ || streams_.size() >= options_.max_streams) {
      if (metrics_ != nullptr) metrics_->add_counter("citytwin_live_streams_refused_total", {});
      return make_error(ErrorKind::kServiceUnavailable, "too many event streams open (" +
                                                            std::to_string(options_.max_streams) +
                                                            "); retry later");
    }
    streams_.push_back(stream);
  }
  stream->push(std::string(kOpening));
  return std::shared_ptr<BodyStream>(std::move(stream));
}

std::size_t LiveEvents::open_streams() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(streams_.begin(), streams_.end(),
                                                [](const auto& weak) { return !weak.expired(); }));
}

std::vector<std::shared_ptr<LiveStream>> LiveEvents::streams_of(std::string_view tenant) const {
  std::vector<std::shared_ptr<LiveStream>> out;
  std::lock_guard lock(mutex_);
  for (const auto& weak : streams_) {
    if (auto stream = weak.lock(); stream && stream->tenant() == tenant) out.push_back(stream);
  }
  return out;
}

bool LiveEvents::wants(std::string_view tenant) const {
  std::lock_guard lock(mutex_);
  return std::any_of(streams_.begin(), streams_.end(), [&](const auto& weak) {
    auto stream = weak.lock();
    return stream && stream->tenant() == tenant;
  });
}

void LiveEvents::observe(std::string_view tenant, const std::vector<core::EntityChange>& changes,
                         Instant at) {
  auto streams = streams_of(tenant);
  if (streams.empty()) return;
  std::uint64_t queued = 0;
  std::uint64_t dropped = 0;
  for (const auto& change : changes) {
    if (!change.after && !change.before) continue;
    const json::object& entity = change.after ? *change.after : *change.before;
    const json::value* id = entity.if_contains(form::kId);
    if (id == nullptr || !id->is_string()) continue;
    std::vector<std::string> types = core::entity_types(entity);
    std::string event;  // rendered once, for the first stream that wants it
    for (const auto& stream : streams) {
      if (!passes(stream->filter(), id->get_string(), types)) continue;
      if (event.empty()) event = render_change(change, terms_, at);
      std::size_t lost = stream->push(event);
      queued += lost == 0 ? 1 : 0;
      dropped += lost;
    }
  }
  count("queued", queued);
  count("dropped", dropped);
}

void LiveEvents::count(const char* outcome, std::uint64_t n) const {
  if (metrics_ != nullptr && n > 0) {
    metrics_->add_counter("citytwin_live_events_total", Labels{{"outcome", outcome}}, n);
  }
}

void LiveEvents::beat() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.heartbeat, [this] { return stopping_; });
    if (stopping_) return;
    std::erase_if(streams_, [](const auto& weak) { return weak.expired(); });
    std::vector<std::shared_ptr<LiveStream>> alive;
    for (const auto& weak : streams_) {
      if (auto stream = weak.lock()) alive.push_back(std::move(stream));
    }
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    for (const auto& stream : alive) stream->beat(now);
    alive.clear();  // a stream whose connection is gone is freed here, outside the lock
    lock.lock();
  }
}

}  // namespace citytwin::http
