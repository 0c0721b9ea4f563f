// JupyterCodeExecutor: runs code blocks in a Jupyter kernel, so that variables, imports and
// loaded data persist between blocks and between calls until Restart().
//
// Local mode (the default): the kernel runs on this host, started from its kernelspec
// (`kernel_name`, default "python3"; Debian's python3-ipykernel installs it), and is spoken to
// over ZeroMQ with HMAC-SHA256 signed messages by codeexec itself: no Python runs in this
// process. With `isolation` kNone (the default) there is NO ISOLATION: the kernel has this
// process's user, files and network, like the local executor. With kSandbox the kernel runs in
// the native sandbox (sandbox_executor.h: namespaces, no network, a read-only root, seccomp,
// cgroup limits), reached over Unix-domain sockets in a private folder inside the work folder;
// its environment starts clean (PATH, HOME=/tmp, LANG, TMPDIR, then `env`), and a kill -9 of
// this process still ends it. With kDocker the kernel runs in a Docker container of its own
// (`docker`: image, daemon, network, limits; no network by default) with the work folder mounted
// at /workspace, its working folder, reached over Unix-domain sockets in a private folder there:
// the image's ipykernel runs (kernel_name "python3"; `python` names the interpreter inside the
// container), the environment starts as clean as the sandbox's, the container is removed at
// Stop() and stops by itself when this process dies (kill -9 included), and when a kernel ends,
// the work folder is scrubbed of the special files and set-user-ID bits it left there. Remote mode
// (`server` set): a Jupyter Server runs the kernel; codeexec creates it through the REST API and
// talks to it over the server's kernel WebSocket.
//
// Each block is one cell. A block tagged python (or the kernel's language) runs as is. With a
// Python kernel, a `bash`, `sh` or `shell` block whose lines (blank and `#` comment lines aside)
// are all IPython escapes (`!ls`, `!pip install x`, `%cd dir`, or a `%%magic` first line) also
// runs as written, as AutoGen's IPython executors send it (a failing `!` command does not fail
// the block, as in IPython); any other shell block is a real script and runs through IPython's
// %%bash / %%sh cell magic, where a non-zero exit status fails the block. Other languages give
// "unknown language NAME" with exit code 1. `pip install` lines (`!pip install` in IPython code)
// are quieted. Blocks run in order and the first that fails stops the call.
//
// What a cell shows becomes `output`: stream text as printed; the text/plain of results and
// displays; images (PNG, JPEG, SVG) and HTML saved to `output_dir` as files, each announced by a
// line "Image data saved to PATH" / "HTML data saved to PATH" and listed in `output_files`;
// errors as their traceback without colour codes, ending with "ename: evalue" (exit code 1).
// input() fails at once with the kernel's StdinNotImplementedError: there is no one to answer.
// Output beyond `output_limit` is dropped with a truncation note, as in the other executors.
//
// Timeout (per block): the kernel is interrupted, its state kept; the output so far is kept,
// "\nTimeout" appended, exit code 1 (as AutoGen's Jupyter executors). Cancellation interrupts
// the same way: "\nCancelled", exit code 125. A kernel that ignores the interrupt for
// `interrupt_grace` is restarted (its state is lost, and the output says so). A kernel that
// dies while running a block (os._exit, a crash, the OOM killer) is noticed at once through its
// process (remote: once it has answered nothing for `liveness_timeout`, not even the probes on
// its control channel, or once the server reports it): the result says so (exit code 1), and
// later calls fail with kFailedPrecondition until Restart() starts a new kernel.
//
// Lifetime: Create() starts the kernel and returns once it answers. Stop() shuts it down
// (shutdown_request, then SIGTERM, then SIGKILL, each after a short grace) and removes its
// connection file (remote: deletes the kernel on the server); it is idempotent and runs from the
// destructor. No kernel outlives the executor.
//
// Threads: see executor.h; the kernel runs one call at a time, in the order the calls arrived.
// Calls take no standard input and no program arguments (kInvalidArgument). The host must not
// set SIGCHLD to SIG_IGN or reap children it did not start.
#ifndef CODEEXEC_JUPYTER_EXECUTOR_H_
#define CODEEXEC_JUPYTER_EXECUTOR_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/docker_executor.h"
#include "codeexec/environment.h"
#include "codeexec/executor.h"
#include "codeexec/sandbox_executor.h"

namespace codeexec {

// A Jupyter Server that runs the kernel instead of this host (AutoGen's JupyterConnectionInfo).
struct JupyterConnectionInfo {
  std::string host = "127.0.0.1";
  int port = 8888;
  // Sent as "Authorization: token TOKEN"; empty for a server without authentication.
  std::string token;
  // https and wss. The server's certificate and host name are always verified: against
  // `ca_file` when given, else against OpenSSL's default CA store (the system's, or
  // SSL_CERT_FILE / SSL_CERT_DIR when set).
  bool https = false;
  // With `https`: a PEM file with the certificate(s) to trust, the server's self-signed
  // certificate or the CA that issued it.
  std::filesystem::path ca_file;
  // While a block runs, a kernel that has sent nothing for this long, not even an answer to the
  // kernel_info requests sent to its control channel, is reported dead; the server itself
  // notices only within its poll interval (3 s for jupyter-server). A block that holds Python's
  // GIL in C code for longer (a sort of tens of millions of items, a regular expression over a
  // huge text) cannot answer either and is reported dead too: raise it for such code. 0: rely on
  // the server. Applies to kernels that serve their control channel while busy (kernelspec
  // metadata "debugger": true, as ipykernel >= 6); others are left to the server.
  std::chrono::milliseconds liveness_timeout{std::chrono::seconds(1)};
};

// Where a local kernel runs.
enum class JupyterIsolation {
  kNone,     // on this host, as this process's user: no isolation
  kSandbox,  // in codeexec's native sandbox (needs what the sandbox executor needs: root, ...)
  kDocker,   // in a Docker container (needs a Docker daemon on this host)
};

// The sandbox around a kernel (isolation kSandbox): the sandbox executor's limits, applied to
// the kernel's whole life rather than to one block. The work folder is bound as it is: its size
// is not limited beyond `limits.file_size_bytes` per file (work_dir_bytes and work_dir_files do
// not apply).
struct JupyterSandboxOptions {
  SandboxLimits limits;
  bool network = false;  // share the host's network instead of an empty namespace
  std::vector<std::filesystem::path> read_only_paths;
  uint32_t host_uid = SandboxExecutorOptions::kDefaultHostId;
  uint32_t host_gid = SandboxExecutorOptions::kDefaultHostId;
};

// The container around a kernel (isolation kDocker): the docker executor's container options
// (docker_executor.h), with an image that has ipykernel and no network by default. The daemon
// must run on this host (unix://): the kernel's sockets are files in the mounted work folder.
inline DockerContainerOptions JupyterDockerDefaults() {
  DockerContainerOptions options;
  options.image = "codeexec/python:bookworm";  // scripts/build-test-image.sh: with ipykernel
  options.network_mode = "none";
  return options;
}

struct JupyterExecutorOptions {
  // The kernelspec, matched case-insensitively ("python3" is ipykernel).
  std::string kernel_name = "python3";
  // Per block. At least 1 s.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Where images and HTML are saved. Must exist. Empty: `work_dir`.
  std::filesystem::path output_dir;
  // The kernel's working folder. Created if missing. Empty: a new temporary folder, removed at
  // Stop() (with the files saved in it, when it is also the output folder). Local mode only.
  std::filesystem::path work_dir;
  // The interpreter for Python kernelspecs (a name on PATH or a path), replacing the
  // kernelspec's python/python3. Empty: the interpreter of the installation that holds the
  // kernelspec (/usr/bin/python3 for Debian's), else python3 on PATH. Local mode only.
  std::string python;
  // The kernel's environment (the kernelspec's env applies on top). Local mode only.
  EnvironmentOptions env;
  // Remote mode: run the kernel on this Jupyter Server.
  std::optional<JupyterConnectionInfo> server;
  // Bytes of output kept per call. At least 1.
  std::size_t output_limit = 1 << 20;
  // How long the kernel may take to start and answer.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(60)};
  // After an interrupt (timeout, cancellation), how long the cell may take to stop before the
  // kernel is restarted.
  std::chrono::milliseconds interrupt_grace{std::chrono::seconds(5)};
  // Local mode: where the kernel runs, the sandbox's settings for kSandbox and the container's
  // for kDocker.
  JupyterIsolation isolation = JupyterIsolation::kNone;
  JupyterSandboxOptions sandbox;
  DockerContainerOptions docker = JupyterDockerDefaults();
};

class JupyterCodeExecutor final : public CodeExecutor {
 public:
  // Validates the options and starts the kernel. Errors: kInvalidArgument for a bad option or
  // "Output directory PATH does not exist."; kNotFound for "Kernel NAME is not installed." or a
  // missing interpreter; kUnavailable when the kernel fails to start (with the end of its log)
  // or the server cannot be reached; kPermissionDenied when the server refuses the token.
  static Result<JupyterCodeExecutor> Create(JupyterExecutorOptions options = {});

  JupyterCodeExecutor(JupyterCodeExecutor&&) noexcept;
  JupyterCodeExecutor& operator=(JupyterCodeExecutor&&) noexcept;
  ~JupyterCodeExecutor() override;

  // Shuts the kernel down and starts a new one: every variable is gone.

  const JupyterExecutorOptions& options() const;
  const std::filesystem::path& output_dir() const;
  const std::filesystem::path& work_dir() const;
  // The local kernel's process id (for tests and diagnostics); -1 when none runs here or it runs
  // in the sandbox (its own PID namespace) or a container.
  int kernel_pid() const;
  // The local kernel's connection file; empty when none runs here.
  std::filesystem::path connection_file() const;
  // The remote kernel's id on the server; empty in local mode.
  std::string remote_kernel_id() const;

  // Builds an executor from a JSON configuration (the registry's "jupyter" factory). Keys:
  // kernel_name, timeout (seconds), output_dir, work_dir, python, output_limit (bytes),
  // startup_timeout and interrupt_grace (seconds), env ({"NAME": "value"}), unset_env ([...]),
  // clear_env, jupyter_server ({"host", "port", "token", "https" or "use_https", "ca_file",
  // "liveness_timeout" (seconds)}), isolation ("none", "sandbox" or "docker"), sandbox (true for
  // isolation "sandbox", false for "none"; or an object with the sandbox executor's limits:
  // memory_limit, max_processes, cpu_time, file_size_limit, open_files, tmp_size, network,
  // read_only_paths, host_uid, host_gid, which also selects "sandbox"), docker (true for
  // isolation "docker"; or an object of the container's options: image, docker_host,
  // network_mode, memory_limit, cpus, pids_limit, tmpfs, ulimits, labels, user, cap_add,
  // extra_volumes, extra_hosts, which also selects "docker"). Unknown keys are errors.
  static Result<std::unique_ptr<CodeExecutor>> FromJson(std::string_view json_config);

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext& context) override;
  // A new kernel (the old one's state is lost); the work folder stays.
  Result<void> DoRestart() override;
  Result<void> DoStop() override;

 private:
  struct Impl;
  explicit JupyterCodeExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec

#endif  // CODEEXEC_JUPYTER_EXECUTOR_H_
