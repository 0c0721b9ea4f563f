// Times as clients read them: RFC 3339 in UTC, to the second ("2026-12-06T10:42:07Z").
#ifndef CODEEXEC_SRC_SERVICE_TIME_TEXT_H_
#define CODEEXEC_SRC_SERVICE_TIME_TEXT_H_

#include <fmt/format.h>
#include <time.h>

#include <string>

namespace codeexec::service {

inline std::string Rfc3339Utc(time_t seconds) {
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_TIME_TEXT_H_
