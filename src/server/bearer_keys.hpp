#pragma once

// Where the identity provider's signing keys come from (docs/security.md, "Bearer tokens"):
// a JWKS file read at start and on SIGHUP, or the provider's JWKS URL fetched over HTTPS
// through the outbound (SSRF) policy and kept fresh by security::RemoteJwks.

#include <memory>

#include "citytwin/common/clock.hpp"
#include "citytwin/common/metrics.hpp"
#include "citytwin/common/result.hpp"
#include "citytwin/http/outbound_policy.hpp"
#include "citytwin/security/jwt_verifier.hpp"
#include "citytwin/security/remote_jwks.hpp"
#include "citytwin/server/serve_options.hpp"

namespace citytwin::server {

// The verifier of security.jwks_file; kInvalidRequest naming the file when it is unusable.
Result<std::unique_ptr<security::JwtVerifier>> load_jwt_verifier(const ServeOptions& options,
                                                                 const Clock& clock);

// Fetches security.jwks_url once (a failure is logged and tokens are refused until a later
// fetch succeeds), installs it in `slot`, lets `slot` refetch for unknown keys and starts the
// background refresh. Fails when the outbound policy refuses the URL's host outright (an IP
// literal or localhost), before anything is sent.
Result<std::unique_ptr<security::RemoteJwks>> start_remote_jwks(
    const ServeOptions& options, const http::OutboundPolicy& outbound,
    security::JwtVerifierSlot& slot, const Clock& clock, MetricsRegistry& metrics);

}  // namespace citytwin::server
