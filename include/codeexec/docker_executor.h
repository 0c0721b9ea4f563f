// DockerCommandLineCodeExecutor: runs each code block inside a Docker container, so that code
// cannot touch this host beyond the work folder it is given.
//
// Containers run without Linux capabilities but those installing software needs (CHOWN,
// DAC_OVERRIDE, FOWNER, KILL, SETGID, SETUID; `cap_add` for more) and with no-new-privileges; code
// runs as `user` when given. After every block in a mounted work folder, whatever the block left
// there that this host could trip over is removed (FIFOs, sockets, device nodes) or disarmed
// (set-user-ID and set-group-ID bits); a copied work folder only ever receives regular files and
// folders, without those bits. With `work_dir_size_limit` or `work_dir_file_limit`, /workspace is
// a memory file system of that size, copied in and out, so code gets ENOSPC rather than filling
// this host's disk.
//
// Create() talks to the Docker daemon (the `docker_host` option, else $DOCKER_HOST, else
// /var/run/docker.sock; unix:// or plain tcp://), pulls `image` if the daemon does not have it,
// and starts one container for the executor's lifetime, with `work_dir` at /workspace, its
// working directory: bind-mounted read-write when the daemon can see this host's files, copied in
// before each block and out after it otherwise (`bind_work_dir`). Every container carries the
// label `codeexec` (and `codeexec.owner`, naming this process), so `codeexec docker gc` can find
// leftovers. With `warm_pool`, containers of the same configuration are started ahead of need
// and Create() takes one (see DrainWarmPool).
//
// Blocks follow the local executor's rules (see local_executor.h): the same file-name rule and
// language table, one file per block written into `work_dir` on this host, blocks run in order
// until the first failure, output interleaved as produced and capped at `output_limit`. Each
// block runs with the interpreter found *inside the container* (the first of the language's tools
// on the container's PATH), through codeexec's runner: a small static program that is the
// container's main process and takes blocks over the daemon's attach stream (`use_runner`; when
// it is off, or the daemon runs on another CPU architecture, blocks go through the daemon's exec
// API instead, and the container's main process is an idle shell). A block's end is its main
// process's exit: the runner then kills whatever the block left running in the container. A
// block that runs past `timeout`, or whose execution is cancelled, is killed together with
// everything it started, even detached processes; the output so far is kept and "\nTimeout"
// (exit code 124) or "\nCancelled" (125) appended. A block killed for exceeding `memory_limit`
// reports ExecutionStatus::kMemoryLimit. Stdout and stderr travel through separate pipes: writes
// a moment apart keep their order, but writes microseconds apart on different streams may arrive
// swapped. (Through the exec API, processes a block leaves in the background when it exits
// normally stay in the container, and the daemon waits up to about 2 s for their output.)
//
// Lifetime: Stop() removes the container (with auto_remove; otherwise stops it, and with
// stop_container false leaves it running) and then a temporary work folder; the destructor calls
// Stop(). With stop_container true, the container also stops by itself when this process dies
// (it holds the container's stdin open; the daemon closes it when the process is gone), so a
// crash leaves no running container behind. Restart() replaces the container with a fresh one
// from the same image (files in `work_dir` stay).
//
// Failures (Errors): the daemon not reachable (where we looked, and how to start one or use the
// local executor), the image missing and not pullable (its name, and how to build or load one),
// a container name taken by a container codeexec did not make, the container stopping under a
// running block (call Restart()), and bad options.
//
// Every wait of an execution (the daemon's answers, copies, the runner) ends at the block's
// deadline (copying a timed-out block's files out gets a fixed bound of its own) and promptly
// when the execution is cancelled.
//
// Threads: see executor.h; the container runs one call at a time, in the order the calls
// arrived (a call waiting its turn ends at once when cancelled). Standard input (ExecutionOptions)
// needs the runner; through the exec API a call that sets it is refused.
#ifndef CODEEXEC_DOCKER_EXECUTOR_H_
#define CODEEXEC_DOCKER_EXECUTOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/command_line_options.h"
#include "codeexec/executor.h"

namespace codeexec {

// What a container is made of and which daemon runs it: the docker executor's containers and
// those of the Jupyter executor's kernels (isolation "docker", jupyter_executor.h) alike.
struct DockerContainerOptions {
  // The image the container runs. Must provide /bin/sh. AutoGen's default; no registry? Build
  // codeexec/python:bookworm with scripts/build-test-image.sh (`codeexec docker build-image`).
  std::string image = "python:3-slim";
  // The daemon's address: unix:///path/docker.sock, or tcp://HOST[:PORT] (plain TCP). Empty:
  // $DOCKER_HOST, else the default socket.
  std::string docker_host;
  // Docker network mode: empty for the daemon's default (bridge), "none" for no network, "host",
  // or a network's name.
  std::string network_mode;
  // Memory limit of the whole container in bytes (no swap beyond it); 0: none. At least 6 MiB.
  int64_t memory_limit = 0;
  // CPUs the container may use (1.5 = one and a half); 0: no limit.
  double cpus = 0;
  // Most processes and threads at once in the container; 0: no limit.
  int64_t pids_limit = 0;
  // Memory file systems mounted in the container: path -> Docker's tmpfs options, e.g.
  // {"/tmp": "size=64m,nr_inodes=10k"} (a size-limited /tmp that hostile code cannot fill the
  // host's disk through).
  std::map<std::string, std::string> tmpfs;
  // Resource limits of the container's processes (soft and hard): name -> value, with Docker's
  // names: "nofile" (open files), "fsize" (bytes per file), "nproc", "core", "cpu" (seconds), ...
  std::map<std::string, int64_t> ulimits;
  // More container labels (the `codeexec` labels are always set).
  std::map<std::string, std::string> labels;
  // The user the code runs as inside the container ("uid[:gid]" or a name); empty: the image's.
  // A mounted work folder must be writable by that user for code to write files there (a copied
  // one, see bind_work_dir, always is).
  std::string user;
  // Linux capabilities to give the container beyond those it keeps (CHOWN, DAC_OVERRIDE, FOWNER,
  // KILL, SETGID, SETUID), by name: "NET_RAW", "CAP_SYS_PTRACE", "net_admin". Unknown names, and
  // "ALL", are refused.
  std::vector<std::string> cap_add;
  // More mounts, Docker's "HOST:CONTAINER[:ro|rw]" form.
  std::vector<std::string> extra_volumes;
  // More /etc/hosts entries, "NAME:ADDRESS".
  std::vector<std::string> extra_hosts;
};

// The shared options (command_line_options.h): `work_dir` is on this host, mounted (or copied) at
// /workspace; `python` names the interpreter inside the container; `env` sets variables on top
// of the image's environment (clear and unset do not apply to a container and are refused).
struct DockerExecutorOptions : CommandLineOptions, DockerContainerOptions {
  // Empty: codeexec-<random hex>. A leftover codeexec container of that name is replaced.
  std::string container_name;
  // The path the daemon mounts at /workspace, when it differs from work_dir (this process itself
  // runs in a container whose work_dir is the daemon host's bind_dir). Empty: work_dir.
  std::filesystem::path bind_dir;
  // Remove the container when it stops.
  bool auto_remove = true;
  // Stop the container at Stop(), at destruction, and when this process dies.
  bool stop_container = true;
  // A shell command run once in the new container (and again after Restart()) before any block;
  // its failure fails Create() with its output.
  std::string init_command;
  // The most bytes, and the most files and folders, the work folder may hold in the container;
  // 0: no limit. With either set, /workspace is a memory file system of that size (charged to the
  // container's memory) that code gets ENOSPC from when full, and the work folder is copied in
  // and out around each block (bind_work_dir must not be true). Size at least 1 MiB, files at
  // least 16.
  int64_t work_dir_size_limit = 0;
  int64_t work_dir_file_limit = 0;
  // Mount `work_dir` (true) or copy it in before each block and out after it (false: for a daemon
  // that cannot see this host's files). Unset: mount for a unix:// daemon, copy for tcp:// and
  // whenever a work-folder limit is set.
  std::optional<bool> bind_work_dir;
  // Run blocks through codeexec's runner (the container's main process, over the attach stream);
  // false: through the daemon's exec API. Falls back to exec by itself when the daemon's CPU
  // architecture is not this build's.
  bool use_runner = true;
  // Keep this many containers of this configuration started ahead, so that the next executor
  // created with it is ready at once. 0: off. Needs auto_remove, stop_container and no
  // container_name.
  std::size_t warm_pool = 0;
};

class DockerCommandLineCodeExecutor final : public CodeExecutor {
 public:
  // Validates the options, reaches the daemon, makes sure the image is there and starts the
  // container. Nothing is left behind when it fails.
  static Result<DockerCommandLineCodeExecutor> Create(DockerExecutorOptions options = {});

  DockerCommandLineCodeExecutor(DockerCommandLineCodeExecutor&&) noexcept;
  DockerCommandLineCodeExecutor& operator=(DockerCommandLineCodeExecutor&&) noexcept;
  ~DockerCommandLineCodeExecutor() override;

  const std::filesystem::path& work_dir() const;
  const DockerExecutorOptions& options() const;
  const std::string& container_name() const;
  // Changes at Restart().
  std::string container_id() const;
  // Whether blocks run through codeexec's runner (else through the exec API).
  bool uses_runner() const;

  // Removes the containers the warm pool keeps for every configuration, waiting for those being
  // started, and stops refilling until an executor with `warm_pool` is created again. Also done
  // at exit.
  static void DrainWarmPool();

  // Builds an executor from a JSON configuration (the registry's "docker" factory). Keys: image,
  // container_name, timeout (seconds), work_dir, bind_dir, auto_remove, stop_container,
  // extra_volumes ([...]), extra_hosts ([...]), env ({...}), init_command, network_mode,
  // memory_limit (bytes, or a string such as "512m"), cpus, pids_limit, tmpfs ({"/tmp":
  // "size=64m"}), ulimits ({"nofile": 1024}), labels ({...}), user, cap_add ([...]),
  // work_dir_size_limit (bytes, or a string such as "512m"), work_dir_file_limit,
  // output_limit (bytes), python, execution_policies ({"lang": "run"|"save"}), run_log,
  // cleanup_code_files, functions ([{"source", "imports", "packages"}]), functions_module,
  // docker_host, bind_work_dir, use_runner, warm_pool. Unknown keys are errors.
  static Result<std::unique_ptr<CodeExecutor>> FromJson(std::string_view json_config);

 protected:
  Result<CodeResult> DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                         const ExecutionContext& context) override;
  // Replaces the container with a fresh one from the same image (files in `work_dir` stay).
  Result<void> DoRestart() override;
  Result<void> DoStop() override;

 private:
  struct Impl;
  explicit DockerCommandLineCodeExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec

#endif  // CODEEXEC_DOCKER_EXECUTOR_H_
