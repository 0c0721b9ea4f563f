#include "core/limits.h"

#include <fmt/format.h>

namespace codeexec {

Result<void> CheckTimeout(std::chrono::milliseconds timeout) {
  if (timeout < std::chrono::seconds(1)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("Timeout must be greater than or equal to 1 second (got {} ms).",
                                 timeout.count()));
  }
  if (timeout > kMaxDuration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("Timeout must be at most {} seconds (30 days); got {} seconds.",
                                 kMaxDuration.count(), timeout.count() / 1000));
  }
  return {};
}

Result<void> CheckOutputLimit(std::size_t bytes) {
  if (bytes == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "output_limit must be at least 1 byte");
  }
  return {};
}

}  // namespace codeexec
