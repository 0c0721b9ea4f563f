// KernelProcess: the process of a kernel this host starts, however it was started: directly
// (SpawnHostKernel) or inside an isolating runner (StartKernelRun: the sandbox, see
// sandboxed_kernel.h, or a container, see docker_kernel.h).
// LocalKernel owns one and asks it only what a kernel's lifetime needs: when it exits, how to
// interrupt it, how to end it. Not thread-safe.
#ifndef CODEEXEC_SRC_JUPYTER_KERNEL_PROCESS_H_
#define CODEEXEC_SRC_JUPYTER_KERNEL_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "process/environment.h"
#include "process/output_collector.h"

namespace codeexec::jupyter {

// What to start: the kernelspec's argv with the interpreter resolved, in `cwd`.
struct KernelLaunch {
  std::string program;            // absolute
  std::vector<std::string> argv;  // argv[0] == program
  Environment env;
  std::filesystem::path cwd;  // empty: inherit
  // The kernel's stdout and stderr (a log file), for launchers that take one.
  int log_fd = -1;
};

class KernelProcess {
 public:
  virtual ~KernelProcess() = default;

  // Readable once the process has exited (a pidfd, an eventfd).
  virtual int exit_fd() const = 0;
  // Whether it has exited; once it has, whatever it started is killed and it is reaped.
  virtual bool HasExited() = 0;
  // "exit code N" or "killed by signal N (NAME)", once HasExited().
  virtual std::string ExitDescription() const = 0;
  // SIGINT to the kernel's processes. False when this process cannot be signalled from here (a
  // kernel in a PID namespace): the kernel is then interrupted by an interrupt_request.
  virtual bool SignalInterrupt() = 0;
  // SIGTERM to its processes (where they can take it: else as Kill()), and SIGKILL.
  virtual void Terminate() = 0;
  virtual void Kill() = 0;
  // The end of the kernel's output when the launcher keeps it rather than the log file.
  virtual std::string OutputTail(std::size_t /*max_bytes*/) const { return {}; }
  // The process id on this host, or -1 when it has none here.
  virtual pid_t pid() const { return -1; }
};

// Whether `fd` becomes readable within `timeout` (0: now; negative: no limit), as an exit
// descriptor does once its process has exited.
bool WaitReadable(int fd, std::chrono::milliseconds timeout);

using KernelLauncher = std::function<Result<std::unique_ptr<KernelProcess>>(KernelLaunch)>;

// How an isolating runner (the sandbox, a container) runs a kernel: until it ends or `cancel`
// fires, its output into `output`; returns why it ended ("exit code 3", "killed"), or an error
// saying why it could not run. Cancelling must end every process of the kernel at once.
using KernelRun =
    std::function<Result<std::string>(const CancellationToken& cancel, OutputCollector& output)>;

// A kernel that is one such run on a thread of its own: exit_fd() becomes readable when the run
// ends; Terminate() and Kill() both cancel it; it cannot be signalled from here (SignalInterrupt()
// is false: the kernel is interrupted by interrupt_request). Its output is kept in memory (the
// first 64 KiB) for error messages; launch.log_fd is not used.
Result<std::unique_ptr<KernelProcess>> StartKernelRun(KernelRun run);

// Starts the kernel as a child of this process: a new session and process group, signals at
// their defaults, stdin from /dev/null, stdout and stderr to `log_fd`, and JPY_PARENT_PID set so
// that ipykernel exits once this process is gone.
Result<std::unique_ptr<KernelProcess>> SpawnHostKernel(KernelLaunch launch);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_KERNEL_PROCESS_H_
