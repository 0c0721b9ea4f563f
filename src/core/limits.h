// The checks every executor makes of the limits it is given, worded alike everywhere.
#ifndef CODEEXEC_SRC_CORE_LIMITS_H_
#define CODEEXEC_SRC_CORE_LIMITS_H_

#include <chrono>
#include <cstddef>

#include "codeexec/error.h"

namespace codeexec {

// The longest duration any option accepts: 30 days. Deadlines are computed in nanoseconds of a
// 64-bit clock, which a few centuries would overflow into the past.
inline constexpr std::chrono::seconds kMaxDuration{30 * 24 * 3600};

// A block's timeout: from 1 second (AutoGen's rule and its message) to kMaxDuration.
Result<void> CheckTimeout(std::chrono::milliseconds timeout);

// An output limit: at least one byte.
Result<void> CheckOutputLimit(std::size_t bytes);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_LIMITS_H_
