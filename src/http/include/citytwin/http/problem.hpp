#pragma once

#include "citytwin/common/error.hpp"
#include "citytwin/http/response.hpp"

namespace citytwin::http {

// The HTTP status an error kind maps to (GS CIM 009 clause 6.3.2 / table 5.5.2-1).
int status_for(ErrorKind kind);

// The NGSI-LD ProblemDetails type URI, https://uri.etsi.org/ngsi-ld/errors/<Name>.
std::string problem_type_uri(ErrorKind kind);

// Renders an Error as an RFC 7807 ProblemDetails response (application/json). This is the one
// place where expected failures become HTTP.
Response problem_response(const Error& error);

}  // namespace citytwin::http
