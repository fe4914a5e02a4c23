#include "citytwin/security/remote_jwks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace citytwin::security {

RemoteJwks::RemoteJwks(RemoteJwksOptions options, JwtOptions jwt, Fetch fetch,
                       JwtVerifierSlot& slot, const Clock& clock, MetricsRegistry* metrics)
    : options_(std::move(options)),
      jwt_(std::move(jwt)),
      fetch_(std::move(fetch)),
      slot_(slot),
      clock_(clock),
      metrics_(metrics) {
  if (metrics_ != nullptr) {
    metrics_->describe("citytwin_jwks_fetch_total", "counter",
                       "Fetches of the identity provider's JWKS by cause (start, expired, "
                       "unknown_key) and result (ok, failed)");
    metrics_->describe("citytwin_jwks_refetch_skipped_total", "counter",
                       "Tokens naming an unknown key refused without fetching the JWKS again "
                       "(rate limit of security.jwks_unknown_key_interval_s)");
  }
}

RemoteJwks::~RemoteJwks() {
  stop();
}

std::chrono::seconds RemoteJwks::cache_time(std::optional<std::chrono::seconds> max_age) const {
  auto ttl = max_age.value_or(options_.default_ttl);
  return std::clamp(ttl, options_.min_ttl, std::max(options_.min_ttl, options_.max_ttl));
}

Status RemoteJwks::refresh() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !fetching_; });
  Status outcome = ok_status();
  fetch_locked(lock, "start", &outcome);
  return outcome;
}

bool RemoteJwks::fetch_locked(std::unique_lock<std::mutex>& lock, const char* cause,
                              Status* outcome) {
  fetching_ = true;
  last_fetch_ = clock_.now();
  lock.unlock();
  auto fetched = fetch_();
  std::shared_ptr<const JwtVerifier> verifier;
  Status status = ok_status();
  std::chrono::seconds ttl = options_.min_ttl;
  if (!fetched) {
    status = std::move(fetched).error();
  } else if (auto created = JwtVerifier::create(jwt_, fetched->body, clock_); !created) {
    status = std::move(created).error();
  } else {
    verifier = std::move(*created);
    ttl = cache_time(fetched->max_age);
  }
  if (verifier) {
    spdlog::info("JWKS: {} keys from {}, cached for {} s", verifier->key_count(), options_.url,
                 ttl.count());
    slot_.set(std::move(verifier));
  } else {
    spdlog::warn("JWKS: fetching {} failed, keeping the keys in use, retrying in {} s: {}",
                 options_.url, ttl.count(), status.error().detail);
  }
  if (metrics_ != nullptr) {
    metrics_->add_counter("citytwin_jwks_fetch_total",
                          Labels{{"cause", cause}, {"result", status.ok() ? "ok" : "failed"}});
  }
  lock.lock();
  fetching_ = false;
  if (status.ok()) ++installed_;
  next_fetch_ = std::chrono::steady_clock::now() + ttl;
  changed_.notify_all();
  if (outcome != nullptr) *outcome = status;
  return status.ok();
}

bool RemoteJwks::refetch_for_unknown_key() {
  std::unique_lock lock(mutex_);
  const std::uint64_t before = installed_;
  if (fetching_) {
    // Another request (or the expiry) is fetching: its result is ours too.
    changed_.wait_for(lock, options_.max_wait, [this] { return !fetching_; });
    return installed_ != before;
  }
  const auto interval =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.unknown_key_interval);
  if (last_fetch_ && clock_.now().micros - last_fetch_->micros < interval.count()) {
    if (metrics_ != nullptr) metrics_->add_counter("citytwin_jwks_refetch_skipped_total", {});
    return false;
  }
  return fetch_locked(lock, "unknown_key", nullptr);
}

void RemoteJwks::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void RemoteJwks::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RemoteJwks::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (fetching_) {  // a request's fetch: it schedules the next one
      changed_.wait(lock, [this] { return stopping_ || !fetching_; });
      continue;
    }
    auto due = next_fetch_;
    if (std::chrono::steady_clock::now() >= due) {
      fetch_locked(lock, "expired", nullptr);
      continue;
    }
    changed_.wait_until(lock, due,
                        [this, due] { return stopping_ || fetching_ || next_fetch_ != due; });
  }
}

}  // namespace citytwin::security
