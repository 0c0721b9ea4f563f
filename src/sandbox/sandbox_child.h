// The sandbox's setup child: what runs between clone3 into new namespaces and the execution of
// the init program (PID 1, which then starts the user's program; see child_protocol.h).
//
// The child is cloned with CLONE_VM from a slot's thread (SandboxSlot): it shares the runner's
// memory, runs on the slot's stack, touches nothing but the ChildConfig (which the runner keeps
// until the error pipe reports the program's exec or a failure) and makes only system calls; its
// signals are blocked (the slot's thread blocks them all). No page of the host process is copied.
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_

#include <sys/resource.h>

#include <cstdint>

#include "sandbox/child_protocol.h"
#include "sandbox/sandbox_view.h"
#include "sandbox/seccomp_filter.h"

namespace codeexec {

const char* ChildStepName(ChildStep step);

struct ChildConfig {
  const SandboxView* view = nullptr;
  const SeccompFilter* seccomp = nullptr;
  rlimit file_size{}, open_files{}, cpu_time{};
  bool limit_cpu_time = false;
  int init_fd = -1;  // the sealed init program (SealedInitProgram)
  // This run:
  // 0 until the runner has written the child's id maps (then 1, or -1 when it could not): the
  // child waits on it (a futex: the child shares this memory) before it becomes root inside.
  int* maps_state = nullptr;
  const char* upper_options = nullptr;  // the tmpfs options of the run's upper layer
  char* const* init_argv = nullptr;     // the init program's name, the program's path, its argv
  char* const* envp = nullptr;
  const char* cwd = nullptr;
  // A SOCK_SEQPACKET socket: a ChildFailure on failure; the upper layer's descriptor (with
  // kUpperLayerMessage); closed by the program's exec.
  int report_fd = -1;
  int status_fd = -1;  // write (by PID 1): the program's wait status
  int stdout_fd = -1, stderr_fd = -1;
  int stdin_fd = -1;  // the program's stdin (a pipe the runner feeds); -1: /dev/null
  // When set: a memory file of kChildStepCount int64 mapped at step_end_ns, where the child and
  // PID 1 record the CLOCK_MONOTONIC time in nanoseconds at which each step ended.
  int step_times_fd = -1;
  int64_t* step_end_ns = nullptr;
};

// The clone's entry point (`config` is a const ChildConfig*): the steps, then execveat of the
// init program. Returns only on failure (after reporting it on error_fd), with 127.
int RunSandboxChild(void* config);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_CHILD_H_
