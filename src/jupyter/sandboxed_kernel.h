// KernelSandbox: a Jupyter kernel isolated in codeexec's native sandbox (sandbox_executor.h): new
// user, PID, mount, IPC, UTS and cgroup namespaces, an empty network namespace (only a loopback
// of its own), the read-only root view, seccomp, no capabilities, the cgroup and rlimit limits.
//
// Since the sandbox has no network the host could reach, the kernel listens on Unix-domain
// sockets (ZeroMQ's ipc transport) in a private folder inside the work folder, which the sandbox
// shows at its host path: the work folder is bound read-write as it is (idmapped, as the sandbox
// executor's without a work-folder limit), so the host connects to the sockets the kernel binds
// and sees the files the kernel writes as they are written.
//
// The kernel is one long sandbox run on a thread of its own. Its PID 1 dies with the slot thread
// that cloned it (a parent-death signal), so a kill -9 of this process leaves no kernel process;
// killing PID 1 ends every process of the kernel at once. SIGINT cannot reach into the PID
// namespace from here: kernels are interrupted by interrupt_request (ipykernel then signals its
// own process group). When a run ends, the work folder is scrubbed of special files (the dead
// sockets among them) and of setuid/setgid bits, as after a sandbox executor's block.
//
// Threads: launcher() may be called from any thread, one launch at a time; the processes it makes
// are used by one thread (KernelProcess). The KernelSandbox outlives its processes.
#ifndef CODEEXEC_SRC_JUPYTER_SANDBOXED_KERNEL_H_
#define CODEEXEC_SRC_JUPYTER_SANDBOXED_KERNEL_H_

#include <filesystem>
#include <memory>

#include "codeexec/jupyter_executor.h"
#include "jupyter/kernel_process.h"

namespace codeexec {
class SandboxRunner;
class ConfinedFolder;
}  // namespace codeexec

namespace codeexec::jupyter {

class KernelSandbox {
 public:
  // Checks the host (root, user namespaces, cgroups) and builds the file system view around
  // `work_dir` (canonical, existing). Errors as SandboxExecutor::Create's.
  static Result<std::unique_ptr<KernelSandbox>> Create(const std::filesystem::path& work_dir,
                                                       const JupyterSandboxOptions& options);
  ~KernelSandbox();
  KernelSandbox(const KernelSandbox&) = delete;
  KernelSandbox& operator=(const KernelSandbox&) = delete;

  // Starts a kernel in a new sandbox (see above); `launch.log_fd` is not used: the kernel's
  // output is kept in memory (its first 64 KiB) for error messages.
  KernelLauncher launcher();

 private:
  KernelSandbox();
  std::unique_ptr<ConfinedFolder> work_;
  std::unique_ptr<SandboxRunner> runner_;
};

// The environment a sandboxed kernel starts from unless told otherwise: PATH, HOME=/tmp,
// LANG=C.UTF-8 and TMPDIR=/tmp, as the sandbox executor's (the caller's secrets stay out);
// `requested` applies on top.
EnvironmentOptions SandboxedKernelEnvironment(const EnvironmentOptions& requested);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_SANDBOXED_KERNEL_H_
