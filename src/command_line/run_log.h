// RunLog: one JSON line per block run, appended to a file in the work folder, so that a person
// can see what ran, when, and how it ended.
#ifndef CODEEXEC_SRC_COMMAND_LINE_RUN_LOG_H_
#define CODEEXEC_SRC_COMMAND_LINE_RUN_LOG_H_

#include <chrono>
#include <filesystem>
#include <string_view>

#include "codeexec/error.h"
#include "codeexec/types.h"
#include "core/confined_folder.h"

namespace codeexec {

inline constexpr std::string_view kRunLogName = "codeexec-runs.jsonl";

struct RunRecord {
  std::string_view language;
  std::filesystem::path file;
  int exit_code = 0;
  ExecutionStatus status = ExecutionStatus::kOk;
  std::chrono::nanoseconds duration{0};
};

class RunLog {
 public:
  // The log `name` in `folder` (which must outlive it), created now. A disabled log
  // (default-constructed) writes nothing.
  static Result<RunLog> Open(const ConfinedFolder& folder, std::string_view name);
  RunLog() = default;

  // Appends {"time", "language", "file", "exit_code", "duration_ms", "status"} as one line with
  // a single write, so lines from concurrent executions never interleave. The log is opened anew
  // for each line: code shares the folder, and a log it replaced by a link, a FIFO or a folder is
  // replaced by a fresh one, never written through. Thread-safe.
  void Append(const RunRecord& record) const;

 private:
  RunLog(const ConfinedFolder* folder, std::string name)
      : folder_(folder), name_(std::move(name)) {}
  const ConfinedFolder* folder_ = nullptr;
  std::string name_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_COMMAND_LINE_RUN_LOG_H_
