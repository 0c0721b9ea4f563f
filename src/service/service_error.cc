#include "service/service_error.h"

namespace codeexec::service {

std::string_view ToString(ServiceErrorKind kind) {
  switch (kind) {
    case ServiceErrorKind::kBadRequest:
      return "bad_request";
    case ServiceErrorKind::kUnauthorized:
      return "unauthorized";
    case ServiceErrorKind::kForbidden:
      return "forbidden";
    case ServiceErrorKind::kNotFound:
      return "not_found";
    case ServiceErrorKind::kConflict:
      return "conflict";
    case ServiceErrorKind::kTooLarge:
      return "too_large";
    case ServiceErrorKind::kBusy:
      return "busy";
    case ServiceErrorKind::kUnavailable:
      return "unavailable";
    case ServiceErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

ServiceError FromError(const Error& error) {
  ServiceErrorKind kind = ServiceErrorKind::kInternal;
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
      kind = ServiceErrorKind::kBadRequest;
      break;
    case ErrorCode::kNotFound:
      kind = ServiceErrorKind::kNotFound;
      break;
    case ErrorCode::kPermissionDenied:
      kind = ServiceErrorKind::kForbidden;
      break;
    case ErrorCode::kResourceExhausted:
      kind = ServiceErrorKind::kTooLarge;
      break;
    case ErrorCode::kFailedPrecondition:
      kind = ServiceErrorKind::kConflict;
      break;
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
      kind = ServiceErrorKind::kUnavailable;
      break;
    case ErrorCode::kInternal:
      kind = ServiceErrorKind::kInternal;
      break;
  }
  return ServiceError{kind, error.message(), {}};
}

}  // namespace codeexec::service
