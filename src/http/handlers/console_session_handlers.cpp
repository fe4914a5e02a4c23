#include <boost/json.hpp>

#include "citytwin/common/json_text.hpp"
#include "citytwin/http/console_session_routes.hpp"
#include "citytwin/http/problem.hpp"

namespace citytwin::http {
namespace {

using security::Permission;

constexpr std::string_view kSession = "/citytwin/v1/session";

// RFC 6265 section 4.1: HttpOnly keeps the id from scripts (an XSS cannot steal it),
// SameSite=Strict keeps other sites' requests from carrying it, Secure keeps it off plain
// HTTP when the server speaks TLS.
std::string cookie(const ConsoleSessionAccess& access, std::string_view value, long long max_age) {
  std::string text = std::string(kSessionCookie) + "=" + std::string(value) +
                     "; Path=/; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Strict";
  if (access.secure_cookie) text += "; Secure";
  return text;
}

Response refused(Error error) {
  Response response = problem_response(error);
  if (error.kind == ErrorKind::kUnauthorized) {
    response.header("WWW-Authenticate", "Bearer realm=\"citytwin\"");
  }
  return response;
}

Response session_body(int status, const security::ConsoleSession& session,
                      const security::Principal& principal) {
  boost::json::object body{{"csrfToken", session.csrf_token},
                           {"expiresAt", format_date_time(session.expires_at)},
                           {"role", security::role_name(principal.role)},
                           {"tenant", principal.tenant}};
  Response response = Response::with_body(status, "application/json", to_json_text(body));
  response.header("Cache-Control", "no-store");
  return response;
}

Error no_session() {
  return make_error(ErrorKind::kUnauthorized, "no console session: log in first");
}

Response log_in(Request& request, const ConsoleSessionAccess& access) {
  auto credential = presented_credential(request);
  if (!credential || credential->empty()) {
    return refused(
        make_error(ErrorKind::kUnauthorized, "log in with 'Authorization: Bearer <key or token>'"));
  }
  auto principal = security::authenticate_credential(access.keys, access.tokens, *credential);
  if (!principal) return refused(std::move(principal).error());
  auto created = access.sessions.create(std::string(*credential));
  if (!created) return problem_response(created.error());
  Response response = session_body(201, created->session, *principal);
  response.header("Set-Cookie", cookie(access, created->id, access.sessions.lifetime().count()));
  return response;
}

Response current(Request& request, const ConsoleSessionAccess& access) {
  auto id = request_cookie(request, kSessionCookie);
  auto session = id ? access.sessions.find(*id) : std::nullopt;
  if (!session) return refused(no_session());
  // The credential may have been revoked or expired since the login.
  auto principal =
      security::authenticate_credential(access.keys, access.tokens, session->credential);
  if (!principal) return refused(std::move(principal).error());
  return session_body(200, *session, *principal);
}

Response log_out(Request& request, const ConsoleSessionAccess& access) {
  auto id = request_cookie(request, kSessionCookie);
  auto session = id ? access.sessions.find(*id) : std::nullopt;
  if (session) {
    if (!security::ConsoleSessions::csrf_matches(*session,
                                                 request.header("x-csrf-token").value_or(""))) {
      return problem_response(make_error(
          ErrorKind::kForbidden, "logging out needs the session's CSRF token in X-CSRF-Token"));
    }
    access.sessions.revoke(*id);
  }
  Response response = Response::empty(204);
  response.header("Set-Cookie", cookie(access, "", 0));
  return response;
}

}  // namespace

void add_console_session_routes(Router& router, ConsoleSessionAccess access) {
  auto bind = [access](Response (*handler)(Request&, const ConsoleSessionAccess&)) {
    return [handler, access](Request& request) { return handler(request, access); };
  };
  const std::string path(kSession);
  router.add("POST", path, Permission::kPublic, bind(log_in));
  router.add("GET", path, Permission::kPublic, bind(current));
  router.add("DELETE", path, Permission::kPublic, bind(log_out));
}

}  // namespace citytwin::http
