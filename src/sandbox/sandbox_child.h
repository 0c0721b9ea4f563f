// The sandboxed child: what runs between clone3 into new namespaces and exec of the user's
// program. Everything it uses is prepared by the parent; it makes only system calls.
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_

#include <sys/resource.h>

#include <cstdint>
#include <string>

#include "sandbox/mount_plan.h"
#include "sandbox/seccomp_filter.h"

namespace codeexec {

// The setup steps, in the order the child takes them. Reported by number on failure.
enum class ChildStep : int32_t {
  kCloseDescriptors,  // a fork copies every descriptor of the parent, other runs' pipes too
  kWaitForParent,     // until the parent has written the id maps
  kDieWithParent,     // the sandbox must not outlive a killed supervisor
  kHideMemory,        // PID 1 is a copy of the host process: its memory and environment stay hidden
  kNewSession,        // no controlling terminal (TIOCSTI), its own process group
  kMounts,            // MountPlan (detail: the mount step's index)
  kHostname,          // UTS namespace: the host's name stays private
  kRlimits,           // core 0, file size, open files, CPU time
  kDropCapabilities,  // bounding set, ambient set, then capset: nothing left to regain at exec
  kNoNewPrivileges,   // setuid binaries and file capabilities grant nothing
  kSeccomp,           // last: the filter would forbid the steps above
  kFork,              // PID 1 stays ours and reaps; the program runs as its child
  kSignals,           // unblocked and at their defaults: the host's ignored SIGPIPE stays there
  kStandardStreams,   // stdin from /dev/null, stdout and stderr to the parent's pipes
  kWorkingFolder,
  kExec,
  kProgramExit,  // not a setup step: when PID 1 reaped the program (for measuring teardown)
};

constexpr int kChildStepCount = static_cast<int>(ChildStep::kProgramExit) + 1;

const char* ChildStepName(ChildStep step);

// What the child reports on the error pipe when a step fails.
struct ChildFailure {
  ChildStep step;
  int32_t detail;  // the mount step index for kMounts, else 0
  int32_t error;   // errno
};

struct ChildConfig {
  const MountPlan* mounts = nullptr;
  const SeccompFilter* seccomp = nullptr;
  rlimit file_size{}, open_files{}, cpu_time{};
  bool limit_cpu_time = false;
  // The host process's argv and environment strings ([start, end) addresses), which PID 1 (a copy
  // of it) wipes so that /proc/1/cmdline and /proc/1/environ show nothing of the host.
  uintptr_t host_strings[2][2] = {};
  // This run:
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;
  int sync_fd = -1;    // read: one byte when the parent is ready
  int error_fd = -1;   // write: a ChildFailure; closed by exec on success
  int status_fd = -1;  // write: the program's wait status, by PID 1
  int stdout_fd = -1, stderr_fd = -1;
  // When set (memory shared with the parent, kChildStepCount entries): the CLOCK_MONOTONIC time
  // in nanoseconds at which each step ended, for measuring what each costs.
  int64_t* step_end_ns = nullptr;
};

// Runs the steps, then becomes PID 1 of the sandbox: forks the program, waits for it, reports
// its wait status and exits (which kills everything else in the PID namespace).
[[noreturn]] void RunSandboxChild(const ChildConfig& config);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_
