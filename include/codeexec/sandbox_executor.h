// SandboxExecutor: runs each code block isolated like a container, at close to the cost of a
// plain process.
//
// Each block step runs in new user, PID, mount, IPC, UTS and cgroup namespaces, and a network
// namespace of its own (made once and reused by later steps, never by two at a time). The
// code sees a read-only root built from the host's /usr (and the /bin, /lib* links), an allowlist
// of /etc, a fresh /proc of its own PID namespace, a minimal /dev (null, zero, full, random,
// urandom; no terminal), private tmpfs /tmp and /dev/shm, and `work_dir` read-write at its host
// path. There is no network but a loopback (unless `network` is set). All capabilities
// are dropped, no new privileges can be gained, and a seccomp filter refuses what generated code
// never needs (ptrace, mount, new namespaces, keyctl, bpf, perf events, io_uring, kernel modules,
// reboot, TIOCSTI, ...); the 32-bit system call ABI kills the process. Memory, processes and CPU
// are limited through a cgroup (v1 or v2; measured per run), files and descriptors through
// rlimits. When a block ends, whatever it started dies with its PID namespace: nothing outlives
// it.
//
// Results use the local executor's texts and exit codes (124 timeout, 125 cancelled) plus
// statuses memory_limit, process_limit and policy_violation, and report peak memory and CPU time.
//
// Requirements: Linux with user namespaces, and root (for the cgroups and id maps). Create()
// says precisely what is missing otherwise. Threads: as the local executor.
#ifndef CODEEXEC_SANDBOX_EXECUTOR_H_
#define CODEEXEC_SANDBOX_EXECUTOR_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codeexec/executor.h"
#include "codeexec/local_executor.h"

namespace codeexec {

struct SandboxLimits {
  uint64_t memory_bytes = 1ull << 30;  // cgroup memory limit per block step (0: none)
  uint32_t max_processes = 256;        // cgroup pids limit: processes and threads (0: none)
  std::chrono::seconds cpu_time{0};    // RLIMIT_CPU per process (0: none; the timeout still holds)
  uint64_t file_size_bytes = 1ull << 30;  // RLIMIT_FSIZE: the largest file code may write
  uint32_t open_files = 1024;             // RLIMIT_NOFILE
  uint64_t tmp_bytes = 256ull << 20;      // size of the private /tmp (and /dev/shm) tmpfs
};

struct SandboxExecutorOptions {
  // Timeout, work folder, languages, interpreter, policies, output limit, user functions and run
  // log, as for the local executor. The environment defaults to a clean one (PATH, HOME=/tmp,
  // LANG=C.UTF-8) instead of this process's: secrets in the caller's environment stay out. Tools
  // are resolved on that PATH, so they must live in the paths the sandbox sees.
  LocalExecutorOptions command_line = DefaultCommandLine();
  SandboxLimits limits;
  bool network = false;  // share the host's network instead of an empty namespace
  // Extra host paths the code may read (bound read-only at the same path).
  std::vector<std::filesystem::path> read_only_paths;

  static LocalExecutorOptions DefaultCommandLine();
};

class SandboxExecutor final : public CodeExecutor {
 public:
  // Checks that this host can build sandboxes (user namespaces, cgroups, root) and prepares what
  // every block shares: the mount plan, the seccomp program, the environment. Errors say what is
  // missing and what to do.
  static Result<SandboxExecutor> Create(SandboxExecutorOptions options = {});

  SandboxExecutor(SandboxExecutor&&) noexcept;
  SandboxExecutor& operator=(SandboxExecutor&&) noexcept;
  ~SandboxExecutor() override;

  // Does nothing (no state survives a block) and logs a warning.
  Result<void> Restart() override;
  Result<void> Stop() override;

  const std::filesystem::path& work_dir() const;
  const SandboxExecutorOptions& options() const;

  // The registry's "sandbox" factory. Keys: the local executor's (timeout, work_dir, python,
  // output_limit, execution_policies, env, unset_env, clear_env, ...) plus memory_limit (bytes),
  // max_processes, cpu_time (seconds), file_size_limit (bytes), open_files, tmp_size (bytes),
  // network (bool), read_only_paths ([...]).
  static Result<std::unique_ptr<CodeExecutor>> FromJson(std::string_view json_config);

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const CancellationToken& cancel) override;

 private:
  struct Impl;
  explicit SandboxExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SANDBOX_EXECUTOR_H_
