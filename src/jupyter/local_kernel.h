// LocalKernel: a kernel process this host starts from a kernelspec, and the connection to it.
//
// Start() writes a connection file (random key, mode 0600) into a private temporary folder, with
// five free TCP ports on 127.0.0.1 or, for the ipc transport, five Unix socket paths in that
// folder (`<folder>/kernel-1` ...: relative to the kernel's working folder when the private folder
// is inside it, and reached from here through a descriptor of the folder, so that no path is
// longer than a socket address allows however deep the work folder lies), connects the channels
// (iopub subscribed first), starts the kernelspec's argv through the launcher (by default
// SpawnHostKernel: new session and process group, signals at their defaults, stdin from /dev/null,
// stdout and stderr to kernel.log in that folder, JPY_PARENT_PID set so that the kernel exits if we
// die; or inside a sandbox, which then must show the folder at the same path; or in a container
// that shows `folder_parent` at `folder_parent_in_kernel`), then repeats kernel_info_request until
// a reply *and* iopub traffic have arrived: only then are no iopub messages lost.
//
// The interpreter: a kernelspec whose argv[0] is a Python name (python, python3, python3.X) runs
// with `python` when given; otherwise a bare name resolves first to <prefix>/bin/NAME of the
// installation that holds the kernelspec (/usr/share/jupyter/kernels/python3 -> /usr/bin/python3,
// like jupyter_client using its own interpreter), then to PATH. A kernel that runs elsewhere
// (`folder_parent_in_kernel` set) gets the name as it is, to find on its own PATH.
//
// Shutdown() escalates and never waits long: shutdown_request on control, then SIGTERM to the
// process group after `shutdown_grace`, then SIGKILL after `kill_grace`; whatever the kernel left
// in its process group (or PID namespace) is killed, the process is reaped, and the folder with the
// connection file and the log is removed. The destructor shuts down. Not thread-safe.
#ifndef CODEEXEC_SRC_JUPYTER_LOCAL_KERNEL_H_
#define CODEEXEC_SRC_JUPYTER_LOCAL_KERNEL_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "codeexec/environment.h"
#include "codeexec/error.h"
#include "jupyter/kernel.h"
#include "jupyter/kernel_channels.h"
#include "jupyter/kernel_process.h"
#include "jupyter/kernelspec.h"
#include "jupyter/message.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {

struct LocalKernelOptions {
  std::string python;         // interpreter for Python kernelspecs; empty: see above
  std::filesystem::path cwd;  // the kernel's working folder; empty: inherit
  EnvironmentOptions env;     // the kernel's environment (kernelspec env applied on top)
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(2)};
  std::chrono::milliseconds kill_grace{std::chrono::milliseconds(500)};
  HeartbeatOptions heartbeat;
  // How the process starts; empty: SpawnHostKernel.
  KernelLauncher launcher;
  // "tcp" (127.0.0.1) or "ipc" (Unix sockets in the kernel's private folder).
  std::string transport = "tcp";
  // Where the private folder is made; empty: $TMPDIR or /tmp.
  std::filesystem::path folder_parent;
  // The kernel runs where `folder_parent` is seen at this path (a container's /workspace): the
  // connection file, its socket paths and `cwd` (which must be inside folder_parent) are given to
  // the kernel there, and its program is not looked for on this host. Empty: on this host.
  std::filesystem::path folder_parent_in_kernel;
};

class LocalKernel final : public Kernel {
 public:
  // Errors: kNotFound when the interpreter or program is missing, kUnavailable when the kernel
  // exits or does not answer during startup (with the end of its log and what to do), kTimeout
  // past startup_timeout.
  static Result<std::unique_ptr<LocalKernel>> Start(const KernelSpec& spec,
                                                    const LocalKernelOptions& options);
  ~LocalKernel() override;
  LocalKernel(const LocalKernel&) = delete;
  LocalKernel& operator=(const LocalKernel&) = delete;

  // Kernel:
  const Session& session() const override { return session_; }
  Result<void> Send(Channel channel, const Message& message) override;
  std::optional<Incoming> TryReceive() override;
  // Also wakes up when the process exits.
  uint32_t Wait(std::chrono::milliseconds timeout, std::span<const int> fds) override;
  // Exited, or its heartbeat is lost.
  bool IsDead() override;
  std::string DeathDescription() override;
  // SIGINT to the process group, or interrupt_request on control when the kernelspec's
  // interrupt_mode is "message".
  Result<void> Interrupt() override;
  // shutdown_request on control, without waiting; the kernel's processes drop to the lowest
  // CPU priority.
  void RequestShutdown() override;
  // SIGKILL to the process group unless the kernel has exited; then as Shutdown().
  void Terminate() override;

  KernelChannels& channels() { return *channels_; }
  const KernelSpec& spec() const { return spec_; }
  // kernel_info_reply content received at startup.
  const json& kernel_info() const { return kernel_info_; }
  pid_t pid() const;
  // Readable once the kernel process has exited; -1 after Shutdown().
  int exit_fd() const;
  // The private folder with the connection file (and the ipc sockets); empty after Shutdown().
  const std::filesystem::path& folder() const { return dir_; }
  const std::filesystem::path& connection_file() const { return connection_file_; }

  // Whether the kernel process has exited; if so it is reaped (and its process group killed).
  bool HasExited();
  // "exit code N" or "signal N (NAME)", once HasExited().
  std::string ExitDescription() const;
  // Idempotent.
  void Shutdown();

  // The last `max_bytes` of the kernel's own output (its log), for error messages.
  std::string LogTail(std::size_t max_bytes = 2000) const;

 private:
  struct Process;
  LocalKernel() = default;
  Result<void> Launch(const LocalKernelOptions& options);
  Result<void> WaitForReady(std::chrono::milliseconds timeout);
  // `error` completes "the kernel NAME ..."; adds the end of the log, shuts the kernel down.
  Result<void> StartupFailure(const Error& error);
  bool WaitForExit(std::chrono::milliseconds timeout);

  KernelSpec spec_;
  Session session_;
  std::filesystem::path dir_;
  UniqueFd dir_fd_;  // the private folder, for the ipc transport's socket paths
  std::filesystem::path connection_file_;
  std::unique_ptr<KernelChannels> channels_;
  std::unique_ptr<Process> process_;
  json kernel_info_ = json::object();
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_LOCAL_KERNEL_H_
