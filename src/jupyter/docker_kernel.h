// KernelContainer: Jupyter kernels isolated in a Docker container (isolation "docker").
//
// One container per executor, started by Create() with the docker executor's hardening (no
// capabilities but the kept ones, no-new-privileges, codeexec's runner as its main process) and
// the options' image, network (none by default) and limits; the work folder is bind-mounted at
// /workspace. Each kernel is one long command in it, run through the runner, so that when the
// kernel ends everything it started in the container is killed. The kernel listens on Unix-domain
// sockets (ZeroMQ's ipc transport) in a private folder inside the work folder: the host reaches
// them through the mount, and the container needs no network at all.
//
// The container holds the runner's standard input open from this process: when this process
// dies, even by kill -9, the runner sees end-of-file, kills everything and the container stops
// and is removed. A kernel cannot be signalled from here (it is interrupted by
// interrupt_request). When a kernel's run ends, the work folder is scrubbed of special files and
// of set-user-ID and set-group-ID bits, as after a docker executor's block.
//
// Threads: launcher() and EnsureRunning() are called by the executor, one at a time and never while
// a kernel runs; each kernel's process is used by one thread (KernelProcess). The KernelContainer
// outlives its kernels.
#ifndef CODEEXEC_SRC_JUPYTER_DOCKER_KERNEL_H_
#define CODEEXEC_SRC_JUPYTER_DOCKER_KERNEL_H_

#include <filesystem>
#include <memory>

#include "codeexec/docker_executor.h"
#include "jupyter/kernel_process.h"

namespace codeexec {
class ConfinedFolder;
namespace docker {
class Container;
}
}  // namespace codeexec

namespace codeexec::jupyter {

class KernelContainer {
 public:
  // Where the container shows the work folder.
  static const std::filesystem::path& WorkFolderInContainer();

  // Checks the options, reaches the daemon (which must run on this host: unix://), pulls the
  // image when missing and starts the container around `work_dir` (canonical, existing). Errors
  // as the docker executor's Create().
  static Result<std::unique_ptr<KernelContainer>> Create(const std::filesystem::path& work_dir,
                                                         DockerContainerOptions options);
  ~KernelContainer();
  KernelContainer(const KernelContainer&) = delete;
  KernelContainer& operator=(const KernelContainer&) = delete;

  // Starts a kernel in the container; `launch.log_fd` is not used: the kernel's output is kept in
  // memory (its first 64 KiB) for error messages.
  KernelLauncher launcher();

  // A container that stopped (its memory limit killed the runner, the daemon restarted) is
  // replaced by a new one; a running one is kept. Before each kernel start.
  Result<void> EnsureRunning();

 private:
  KernelContainer();
  std::unique_ptr<ConfinedFolder> work_;
  std::unique_ptr<docker::Container> container_;
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_DOCKER_KERNEL_H_
