#include "bearer_keys.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>

#include "citytwin/http/http_getter.hpp"

namespace citytwin::server {
namespace {

security::JwtOptions jwt_options(const ServeOptions& options) {
  security::JwtOptions jwt;
  jwt.issuer = options.jwt_issuer;
  jwt.audience = options.jwt_audience;
  jwt.roles_claim = options.jwt_roles_claim;
  jwt.tenant_claim = options.jwt_tenant_claim;
  jwt.clock_skew = std::chrono::seconds(options.jwt_clock_skew_s);
  return jwt;
}

}  // namespace

Result<std::unique_ptr<security::JwtVerifier>> load_jwt_verifier(const ServeOptions& options,
                                                                 const Clock& clock) {
  std::ifstream in(options.jwks_file, std::ios::binary);
  std::string jwks((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    return make_error(ErrorKind::kInvalidRequest, "cannot read JWKS file " + options.jwks_file);
  }
  auto verifier = security::JwtVerifier::create(jwt_options(options), jwks, clock);
  if (!verifier) {
    return make_error(ErrorKind::kInvalidRequest,
                      options.jwks_file + ": " + verifier.error().detail);
  }
  spdlog::info("bearer tokens accepted: {} keys from {}, issuer {}, audience {}",
               (*verifier)->key_count(), options.jwks_file, options.jwt_issuer,
               options.jwt_audience);
  return verifier;
}

Result<std::unique_ptr<security::RemoteJwks>> start_remote_jwks(
    const ServeOptions& options, const http::OutboundPolicy& outbound,
    security::JwtVerifierSlot& slot, const Clock& clock, MetricsRegistry& metrics) {
  if (options.jwt_issuer.empty() || options.jwt_audience.empty()) {
    return make_error(ErrorKind::kInvalidRequest,
                      "security.jwt_issuer and security.jwt_audience are required with a JWKS");
  }
  if (auto allowed = outbound.check_url(options.jwks_url); !allowed.ok()) {
    return make_error(ErrorKind::kInvalidRequest, "security.jwks_url: " + allowed.error().detail);
  }
  http::HttpGetOptions get;
  get.timeout = std::chrono::milliseconds(options.jwks_fetch_timeout_ms);
  get.ca_file = options.jwks_ca_file;
  get.accept = "application/jwk-set+json, application/json";
  get.https_only = true;
  get.outbound = outbound;
  auto getter = std::make_shared<http::HttpGetter>(std::move(get));
  auto fetch = [getter, url = options.jwks_url]() -> Result<security::FetchedJwks> {
    auto document = getter->get(url);
    if (!document) return std::move(document).error();
    security::FetchedJwks fetched{std::move(document->body), std::nullopt};
    if (auto max_age = http::cache_max_age(document->cache_control); max_age >= 0) {
      fetched.max_age = std::chrono::seconds(max_age);
    }
    return fetched;
  };
  security::RemoteJwksOptions remote;
  remote.url = options.jwks_url;
  remote.default_ttl = std::chrono::seconds(options.jwks_cache_default_s);
  remote.min_ttl = std::chrono::seconds(options.jwks_cache_min_s);
  remote.max_ttl = std::chrono::seconds(options.jwks_cache_max_s);
  remote.unknown_key_interval = std::chrono::seconds(options.jwks_unknown_key_interval_s);
  remote.max_wait = std::chrono::milliseconds(options.jwks_fetch_timeout_ms) * 2;
  auto jwks = std::make_unique<security::RemoteJwks>(remote, jwt_options(options), std::move(fetch),
                                                     slot, clock, &metrics);
  if (auto status = jwks->refresh(); !status.ok()) {
    spdlog::error("JWKS: no keys from {} yet, bearer tokens are refused until a fetch succeeds",
                  options.jwks_url);
  }
  slot.on_unknown_key([raw = jwks.get()] { return raw->refetch_for_unknown_key(); });
  jwks->start();
  spdlog::info("bearer tokens accepted: keys from {}, issuer {}, audience {}", options.jwks_url,
               options.jwt_issuer, options.jwt_audience);
  return jwks;
}

}  // namespace citytwin::server
