// SandboxExecutor: runs each code block isolated like a container, at close to the cost of a
// plain process.
//
// Each block step runs in new user, PID, mount, IPC, UTS and cgroup namespaces, and a network
// namespace of its own (made once and reused by later steps, never by two at a time). The
// sandbox's root is root only inside its user namespace: on the host its processes are
// `host_uid`/`host_gid`, an unprivileged id that owns nothing, so whatever the code reaches it
// reaches as nobody in particular.
//
// The code sees a read-only root built from the host's /usr (and the /bin, /lib* links), an
// allowlist of /etc (copied files and read-only folders: no shadow files, no private keys), a
// fresh /proc of its own PID namespace with the kernel's knobs read-only (/proc/sys,
// /proc/irq, /proc/bus, /proc/fs) or masked (/proc/sysrq-trigger, /proc/kcore, /proc/keys,
// ...), a read-only /dev holding only null, zero, full, random and urandom (bound read-only:
// usable, but their modes and owners cannot change), private tmpfs /tmp and /dev/shm, and
// `work_dir` read-write at its host path, nosuid and nodev. The work folder is shown through an
// idmapped mount (its owner on disk appears as the sandbox's root), which needs a file system
// that supports them (ext4, xfs, btrfs, tmpfs, ...).
//
// With a work folder limit (the default), a block's writes to the work folder go to a layer of
// its own in memory, limited to what is left of `work_dir_bytes` and `work_dir_files`, and are
// carried into the host folder when the block ends: regular files, folders and links owned by
// the folder's owner, without setuid, setgid or sticky bits; deletions too; FIFOs, sockets and
// devices never. Writing past the limit fails with ENOSPC and the result says so. Renaming a
// folder that existed before the block fails with EXDEV (`mv` and Python's shutil.move copy
// instead). Without a limit (both 0) the folder is bound as it is and scrubbed of special files
// and setuid/setgid bits after each block.
//
// There is no network but a loopback (unless `network` is set). All capabilities are dropped,
// no new privileges can be gained, and a seccomp filter refuses what generated code never needs
// (ptrace, mount, new namespaces, keyctl, bpf, perf events, io_uring, mknod, kernel modules,
// reboot, TIOCSTI, ...); the 32-bit system call ABI kills the process. Memory, processes and CPU
// are limited through a cgroup (v1 or v2; measured per run), files and descriptors through
// rlimits. When a block ends, whatever it started dies with its PID namespace: nothing outlives
// it.
//
// Results use the local executor's texts and exit codes (124 timeout, 125 cancelled) plus
// statuses memory_limit, process_limit and policy_violation, and report peak memory and CPU time.
//
// Requirements: Linux with user namespaces, idmapped mounts and overlayfs in user namespaces
// (5.19 or later), and root (for the cgroups and id maps). Create() says precisely what is
// missing otherwise (it builds the namespaces, the idmapped mount, the cgroups and the seccomp
// filter; a block's setup step that a kernel still refuses is that call's error, naming the
// step). Threads: see executor.h; calls run at the same time, each block step in a
// sandbox of its own.
#ifndef CODEEXEC_SANDBOX_EXECUTOR_H_
#define CODEEXEC_SANDBOX_EXECUTOR_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codeexec/command_line_options.h"
#include "codeexec/executor.h"

namespace codeexec {

struct SandboxLimits {
  uint64_t memory_bytes = 1ull << 30;  // cgroup memory limit per block step (0: none)
  uint32_t max_processes = 256;        // cgroup pids limit: processes and threads (0: none)
  // RLIMIT_CPU per process (0: none; the timeout still holds): SIGXCPU when a process has used
  // it (the result's output says "CPU time limit exceeded" when it ends the program), SIGKILL
  // one second later if it ignores that.
  std::chrono::seconds cpu_time{0};
  uint64_t file_size_bytes = 1ull << 30;  // RLIMIT_FSIZE: the largest file code may write
  uint32_t open_files = 1024;             // RLIMIT_NOFILE
  uint64_t tmp_bytes = 256ull << 20;      // size of the private /tmp (and /dev/shm) tmpfs
  // How much code may add to the work folder over the executor's life, in bytes and in entries
  // (files, folders, links), beyond what it held when the executor started; deleting gives room
  // back. Past it, writes fail with ENOSPC ("No space left on device") and the result says the
  // limit was reached. A block's writes are held in memory until it ends (they count against
  // memory_bytes), so one block writes at most what is left, and a file it changes counts whole.
  // Both 0: no limit, and the work folder is bound as it is (see the header).
  uint64_t work_dir_bytes = 512ull << 20;
  uint64_t work_dir_files = 16384;
};

// The shared options (command_line_options.h), with an environment that starts clean (PATH,
// HOME=/tmp, LANG=C.UTF-8, TMPDIR=/tmp) instead of this process's: secrets in the caller's
// environment stay out. Tools are resolved on that PATH, so they must live in the paths the
// sandbox sees.
struct SandboxExecutorOptions : CommandLineOptions {
  SandboxExecutorOptions();

  SandboxLimits limits;
  bool network = false;  // share the host's network instead of an empty namespace
  // Extra host paths the code may read: folders or files, bound read-only at the same path
  // (under /tmp too: each run binds them into its private /tmp), with their host permissions.
  // Create() refuses, saying why, a path that is not absolute or does not exist, has . or ..
  // in it, is / or /tmp, is under /proc, /dev/shm or /dev/pts (each run mounts its own), or is
  // in the work folder (which the code may always write).
  std::vector<std::filesystem::path> read_only_paths;
  // Who the sandbox's root is on the host: an unprivileged id that owns nothing there (never 0).
  uint32_t host_uid = kDefaultHostId;
  uint32_t host_gid = kDefaultHostId;
  static constexpr uint32_t kDefaultHostId = 2147352576;  // 0x7ffe0000
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

  const std::filesystem::path& work_dir() const;
  const SandboxExecutorOptions& options() const;

  // The registry's "sandbox" factory. Keys: the local executor's (timeout, work_dir, python,
  // output_limit, execution_policies, env, unset_env, clear_env, ...) plus memory_limit (bytes),
  // max_processes, cpu_time (seconds), file_size_limit (bytes), open_files, tmp_size (bytes),
  // work_dir_size_limit (bytes), work_dir_file_limit, network (bool), read_only_paths ([...]),
  // host_uid, host_gid.
  static Result<std::unique_ptr<CodeExecutor>> FromJson(std::string_view json_config);

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext& context) override;
  // Does nothing (no state survives a block) and logs a warning.
  Result<void> DoRestart() override;
  Result<void> DoStop() override;

 private:
  struct Impl;
  explicit SandboxExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SANDBOX_EXECUTOR_H_
