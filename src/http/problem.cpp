#include "citytwin/http/problem.hpp"
#include "citytwin/common/json_text.hpp"

#include <boost/json.hpp>

namespace citytwin::http {

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return 400;
    case ErrorKind::kBadRequestData:
      return 400;
    case ErrorKind::kAlreadyExists:
      return 409;
    case ErrorKind::kOperationNotSupported:
      return 422;
    case ErrorKind::kResourceNotFound:
      return 404;
    case ErrorKind::kNonexistentTenant:
      return 404;
    case ErrorKind::kTooManyResults:
      return 403;
    case ErrorKind::kTooComplexQuery:
      return 403;
    case ErrorKind::kLdContextNotAvailable:
      return 503;
    case ErrorKind::kNotAcceptable:
      return 406;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kMethodNotAllowed:
      return 405;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kTooManyRequests:
      return 429;
    case ErrorKind::kServiceUnavailable:
      return 503;
    case ErrorKind::kInternalError:
      return 500;
  }
  return 500;
}

std::string problem_type_uri(ErrorKind kind) {
  return "https://uri.etsi.org/ngsi-ld/errors/" + std::string(error_kind_name(kind));
}

Response problem_response(const Error& error) {
  boost::json::object body;
  body["type"] = problem_type_uri(error.kind);
  body["title"] = error.title;
  body["status"] = status_for(error.kind);
  if (!error.detail.empty()) body["detail"] = error.detail;
  return Response::with_body(status_for(error.kind), "application/json", to_json_text(body));
}

}  // namespace citytwin::http
