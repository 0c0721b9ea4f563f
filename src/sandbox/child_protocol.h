// What the sandbox's setup child and its PID 1 (the codeexec-sandbox-init program) tell the
// runner: the steps they take, in order, and how a failed one is reported. Shared by the library
// and the init program, so plain C++ without the standard library's heavier parts.
#ifndef CODEEXEC_SRC_SANDBOX_CHILD_PROTOCOL_H_
#define CODEEXEC_SRC_SANDBOX_CHILD_PROTOCOL_H_

#include <cstdint>

namespace codeexec {

// The steps, in the order they are taken. Reported by number on failure.
enum class ChildStep : int32_t {
  // The setup child (clone3 with CLONE_VM: it runs on a stack of its own in the runner's memory
  // and makes only system calls until it executes the init program).
  kCloseDescriptors,  // the clone copied every descriptor of the runner, other runs' pipes too
  kIdMaps,            // root inside, an unprivileged id outside; written by the runner
  kDieWithParent,     // the sandbox must not outlive a killed supervisor (after kIdMaps, whose
                      // change of user id would clear it)
  kNewSession,        // no controlling terminal (TIOCSTI), its own process group
  kMounts,            // SandboxView's run steps (detail: the mount step's index)
  kUpperLayer,        // the upper layer's descriptor handed to the runner, /.codeexec hidden
  kHostname,          // UTS namespace: the host's name stays private
  kRlimits,           // core 0, file size, open files, CPU time
  kDropCapabilities,  // bounding set, ambient set, then capset: nothing left to regain at exec
  kNoNewPrivileges,   // setuid binaries and file capabilities grant nothing
  kSeccomp,           // the filter forbids the steps above
  kStandardStreams,   // stdin from /dev/null, stdout and stderr to the runner's pipes
  kWorkingFolder,
  kExecInit,  // the init program, from a sealed memory file: PID 1 is never a copy of the host
  // PID 1 (the init program).
  kFork,     // PID 1 stays ours and reaps; the program runs as its child
  kSignals,  // unblocked and at their defaults: a host's ignored SIGPIPE is not passed on
  kExec,
  kProgramExit,  // not a setup step: when PID 1 reaped the program (for measuring teardown)
};

constexpr int kChildStepCount = static_cast<int>(ChildStep::kProgramExit) + 1;

// What the report socket carries when a step fails.
struct ChildFailure {
  ChildStep step;
  int32_t detail;  // the mount step index for kMounts, else 0
  int32_t error;   // errno
};

// A ChildFailure with this detail and step kUpperLayer is no failure: it carries the upper
// layer's descriptor (SCM_RIGHTS).
constexpr int32_t kUpperLayerMessage = -1;

// The init program's descriptors (besides 0, 1 and 2, the program's). Its arguments are the
// program's path followed by the program's argv; its environment is the program's.
constexpr int kInitStatusFd = 3;     // write: the program's wait status
constexpr int kInitErrorFd = 4;      // the report socket: a ChildFailure; closed by the exec
constexpr int kInitStepTimesFd = 5;  // optional: a memory file of kChildStepCount int64 (ns)

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_CHILD_PROTOCOL_H_
