#pragma once

// Login and logout of the web console (docs/security.md, "Console sessions"):
//   POST   /citytwin/v1/session  with the API key or bearer token in Authorization (or
//          X-API-Key) -> 201 {"csrfToken", "expiresAt", "role", "tenant"} and the session
//          cookie (HttpOnly; SameSite=Strict; Path=/; Max-Age; Secure over TLS)
//   GET    /citytwin/v1/session  with the cookie -> 200, the same body (the console asks
//          after a page load, since it keeps the CSRF token in memory only)
//   DELETE /citytwin/v1/session  with the cookie and X-CSRF-Token -> 204, the session ended
//          on the server and the cookie cleared
// The routes are public in the route table: each authenticates itself with the credential
// or the cookie it is given.

#include <string_view>

#include "citytwin/http/router.hpp"
#include "citytwin/security/console_sessions.hpp"
#include "citytwin/security/jwt_verifier.hpp"
#include "citytwin/security/key_service.hpp"

namespace citytwin::http {

inline constexpr std::string_view kSessionCookie = "ct_session";

struct ConsoleSessionAccess {
  security::ConsoleSessions& sessions;
  security::KeyService& keys;
  const security::JwtVerifierSlot* tokens;  // null: bearer JWTs are not accepted
  bool secure_cookie;                       // served over TLS: the cookie is marked Secure
};

void add_console_session_routes(Router& router, ConsoleSessionAccess access);

}  // namespace citytwin::http
