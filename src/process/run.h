// Running one program to completion under a deadline, with cancellation and an output cap.
#ifndef CODEEXEC_SRC_PROCESS_RUN_H_
#define CODEEXEC_SRC_PROCESS_RUN_H_

#include <chrono>
#include <string>
#include <string_view>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "process/child_process.h"
#include "process/output_collector.h"
#include "process/unique_fd.h"

namespace codeexec {

struct RunLimits {
  std::chrono::steady_clock::time_point deadline;
  // Between SIGTERM and SIGKILL to the process group on timeout or cancellation.
  std::chrono::milliseconds kill_grace{200};
  // After the program exits, how long to keep reading output still held open by a process that
  // escaped the process group (setsid) before giving up on it.
  std::chrono::milliseconds drain_after_exit{100};
};

struct RunOutcome {
  int exit_code = 0;
  int signal = 0;  // the terminating signal of the main process, 0 if it exited
  bool timed_out = false;
  bool cancelled = false;
  // Filled by runners that enforce and measure limits (the sandbox).
  bool memory_limit_exceeded = false;  // the OOM killer acted
  bool process_limit_reached = false;  // a fork or clone failed at the process limit
  bool policy_violation = false;       // killed by SIGSYS for a forbidden system call
  uint64_t peak_memory_bytes = 0;
  std::chrono::nanoseconds cpu_time{0};
  // Something the runner has to tell about the run, appended to the output as a note.
  std::string note;
};

// Feeds a child's standard input: `data` into `fd` (the write end of its stdin pipe), as fast as
// the child reads, then closes it. A child that stops reading (or exits) ends the feeding.
struct StdinFeed {
  UniqueFd fd;
  std::string_view data;
};

// Reads a started child's stdout and stderr into `output` as they arrive, writes `stdin` (when
// given) to it, and waits for it to exit, enforcing the deadline and cancellation as
// RunToCompletion describes.
Result<RunOutcome> Supervise(ChildProcess& child, const RunLimits& limits,
                             const CancellationToken& cancel, OutputCollector& output,
                             StdinFeed* stdin_feed = nullptr);

// A pipe for a child's standard input: the read end for the child, and the feed (its write end,
// non-blocking) for Supervise.
struct StdinPipe {
  UniqueFd child_end;
  StdinFeed feed;
};
Result<StdinPipe> MakeStdinPipe(std::string_view data);

// Starts `spec`, reads its stdout and stderr into `output` as they arrive, and waits for it to
// exit. On the deadline or cancellation, the whole process group gets SIGTERM, then SIGKILL after
// `kill_grace`. When the main process exits, whatever it left running in its group is killed, so
// nothing it started outlives the run. Errors are for failures to start (a missing program, no
// descriptors left); everything the program does is in the outcome.
// `standard_input`, when given, is what the program reads on stdin (else /dev/null).
Result<RunOutcome> RunToCompletion(const SpawnSpec& spec, const RunLimits& limits,
                                   const CancellationToken& cancel, OutputCollector& output,
                                   const std::string* standard_input = nullptr);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_PROCESS_RUN_H_
