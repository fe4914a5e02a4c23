#include "citytwin/common/error.hpp"

namespace citytwin {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return "InvalidRequest";
    case ErrorKind::kBadRequestData:
      return "BadRequestData";
    case ErrorKind::kAlreadyExists:
      return "AlreadyExists";
    case ErrorKind::kOperationNotSupported:
      return "OperationNotSupported";
    case ErrorKind::kResourceNotFound:
      return "ResourceNotFound";
    case ErrorKind::kNonexistentTenant:
      return "NonexistentTenant";
    case ErrorKind::kTooManyResults:
      return "TooManyResults";
    case ErrorKind::kTooComplexQuery:
      return "TooComplexQuery";
    case ErrorKind::kLdContextNotAvailable:
      return "LdContextNotAvailable";
    case ErrorKind::kNotAcceptable:
      return "NotAcceptable";
    case ErrorKind::kUnsupportedMediaType:
      return "UnsupportedMediaType";
    case ErrorKind::kPayloadTooLarge:
      return "PayloadTooLarge";
    case ErrorKind::kMethodNotAllowed:
      return "MethodNotAllowed";
    case ErrorKind::kUnauthorized:
      return "Unauthorized";
    case ErrorKind::kForbidden:
      return "Forbidden";
    case ErrorKind::kTooManyRequests:
      return "TooManyRequests";
    case ErrorKind::kServiceUnavailable:
      return "ServiceUnavailable";
    case ErrorKind::kInternalError:
      return "InternalError";
  }
  return "InternalError";
}

Error make_error(ErrorKind kind, std::string detail) {
  std::string title;
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      title = "Invalid request";
      break;
    case ErrorKind::kBadRequestData:
      title = "Bad request data";
      break;
    case ErrorKind::kAlreadyExists:
      title = "Already exists";
      break;
    case ErrorKind::kOperationNotSupported:
      title = "Operation not supported";
      break;
    case ErrorKind::kResourceNotFound:
      title = "Resource not found";
      break;
    case ErrorKind::kNonexistentTenant:
      title = "Nonexistent tenant";
      break;
    case ErrorKind::kTooManyResults:
      title = "Too many results";
      break;
    case ErrorKind::kTooComplexQuery:
      title = "Too complex query";
      break;
    case ErrorKind::kLdContextNotAvailable:
      title = "@context not available";
      break;
    case ErrorKind::kNotAcceptable:
      title = "Not acceptable";
      break;
    case ErrorKind::kUnsupportedMediaType:
      title = "Unsupported media type";
      break;
    case ErrorKind::kPayloadTooLarge:
      title = "Payload too large";
      break;
    case ErrorKind::kMethodNotAllowed:
      title = "Method not allowed";
      break;
    case ErrorKind::kUnauthorized:
      title = "Unauthorized";
      break;
    case ErrorKind::kForbidden:
      title = "Forbidden";
      break;
    case ErrorKind::kTooManyRequests:
      title = "Too many requests";
      break;
    case ErrorKind::kServiceUnavailable:
      title = "Service unavailable";
      break;
    case ErrorKind::kInternalError:
      title = "Internal error";
      break;
  }
  return Error{kind, std::move(title), std::move(detail)};
}

}  // namespace citytwin
