// ServiceError: why the service refused or failed a request, in the terms every front end (the
// HTTP API, MCP) answers with: a bad request, something missing, a full queue to retry later, a
// body or file too large. The executors' Error codes say what failed inside; these say what the
// client should do about it. Each front end maps a kind to its own status (HTTP 400, 404, 429 with
// Retry-After, 413, ...; JSON-RPC error codes).
#ifndef CODEEXEC_SRC_SERVICE_SERVICE_ERROR_H_
#define CODEEXEC_SRC_SERVICE_SERVICE_ERROR_H_

#include <chrono>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "codeexec/error.h"

namespace codeexec::service {

enum class ServiceErrorKind {
  kBadRequest,    // malformed or wrong input: fix the request (HTTP 400)
  kUnauthorized,  // no or wrong credentials (401)
  kForbidden,     // the operator does not allow this (403)
  kNotFound,      // no such session or file (404)
  kConflict,      // the object is in the wrong state: a session being deleted (409)
  kTooLarge,      // a body, file or folder over its limit (413)
  kBusy,          // the queue or the session table is full: retry after `retry_after` (429)
  kUnavailable,   // shutting down, or an executor that cannot start (503)
  kInternal,      // a bug or an unexpected system failure (500)
};

struct ServiceError {
  ServiceErrorKind kind = ServiceErrorKind::kInternal;
  std::string message;
  // With kBusy: when trying again makes sense.
  std::chrono::seconds retry_after{0};
};

template <typename T>
using ServiceResult = tl::expected<T, ServiceError>;

// "bad_request", "unauthorized", "forbidden", "not_found", "conflict", "too_large", "busy",
// "unavailable", "internal".
std::string_view ToString(ServiceErrorKind kind);

inline tl::unexpected<ServiceError> Refuse(ServiceErrorKind kind, std::string message) {
  return tl::unexpected<ServiceError>(ServiceError{kind, std::move(message), {}});
}

// An executor's or the system's Error as the client sees it: kInvalidArgument is a bad request,
// kNotFound not found, kPermissionDenied forbidden, kResourceExhausted too large,
// kFailedPrecondition a conflict, kUnavailable and kTimeout unavailable, the rest internal. The
// message is kept.
ServiceError FromError(const Error& error);
inline tl::unexpected<ServiceError> Unexpected(const Error& error) {
  return tl::unexpected<ServiceError>(FromError(error));
}
inline tl::unexpected<ServiceError> Unexpected(const tl::unexpected<Error>& error) {
  return Unexpected(error.value());
}

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_SERVICE_ERROR_H_
