#pragma once

#include <string>
#include <string_view>

namespace citytwin {

// The kinds of expected failure. They mirror the NGSI-LD error types (ETSI GS CIM 009,
// clause 5.5.2) so that the HTTP edge maps each one to its ProblemDetails type and status
// in a single place.
enum class ErrorKind {
  kInvalidRequest,         // 400: request syntactically wrong (bad JSON, bad query syntax)
  kBadRequestData,         // 400: well-formed request with data that breaks NGSI-LD rules
  kAlreadyExists,          // 409
  kOperationNotSupported,  // 422
  kResourceNotFound,       // 404
  kNonexistentTenant,      // 404
  kTooManyResults,         // 403
  kTooComplexQuery,        // 403
  kLdContextNotAvailable,  // 503
  kNotAcceptable,          // 406
  kUnsupportedMediaType,   // 415
  kPayloadTooLarge,        // 413
  kMethodNotAllowed,       // 405
  kUnauthorized,           // 401
  kForbidden,              // 403
  kTooManyRequests,        // 429: a rate limit was exceeded (RFC 6585 clause 4)
  kServiceUnavailable,     // 503 (storage full, shutting down)
  kInternalError,          // 500: a bug or an I/O failure the server cannot explain to the client
};

// The NGSI-LD error type name ("InvalidRequest", ...), used in ProblemDetails "type" URIs.
std::string_view error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternalError;
  std::string title;   // short, stable summary
  std::string detail;  // what exactly was wrong, for the client
};

Error make_error(ErrorKind kind, std::string detail);

}  // namespace citytwin
