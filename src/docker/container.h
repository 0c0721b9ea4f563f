// Container: one container that codeexec started and owns, from creation to removal.
//
// Start() creates the container from `ContainerSpec` and starts it. Its main process is either
// codeexec-runner (runner_channel.h), driven over the attach stream, which runs each command in
// its own session and kills everything the command left when it ends; or, when the runner cannot
// be used, an idle shell, with commands run through the daemon's exec API (exec_run.h) and a
// timeout killing every process but the shell. Either way the container's stdin is held open by
// this process when the container must die with it (the runner, or the idle shell, exits at its
// end-of-file). Start() then runs the init command. Run() runs a command, streaming its output
// into an OutputCollector.
//
// The work folder reaches /workspace by a bind mount, or, when the daemon cannot mount it (a
// remote daemon, or bind_work_dir off) or the work folder is size-limited, by copying
// (workspace_sync.h): SyncIn() before a block, SyncOut() after it; both do nothing with a bind
// mount. A size-limited /workspace is a memory file system of that size and number of files.
//
// Every container runs without Linux capabilities but kKeptCapabilities and the spec's cap_add
// (capabilities.h), and with no-new-privileges: no set-user-ID program, file capability or
// exec gives code more than it started with.
//
// Stop() removes or stops the container as configured; the destructor calls Stop(). Nothing is
// left behind when Start() fails. Not thread-safe: the executor serializes calls.
#ifndef CODEEXEC_SRC_DOCKER_CONTAINER_H_
#define CODEEXEC_SRC_DOCKER_CONTAINER_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "docker/docker_client.h"
#include "docker/exec_run.h"
#include "docker/runner_channel.h"
#include "docker/workspace_sync.h"
#include "process/output_collector.h"
#include "process/unique_fd.h"

namespace codeexec::docker {

// Where the work folder appears inside the container.
inline constexpr std::string_view kWorkspace = "/workspace";

struct ContainerSpec {
  std::string image;
  std::string name;
  // The host path the daemon mounts at kWorkspace; empty: nothing is mounted and `host_work_dir`
  // is copied in and out instead.
  std::string workspace_source;
  std::string host_work_dir;
  std::vector<std::string> extra_volumes;
  std::vector<std::string> extra_hosts;
  std::vector<std::string> env;  // NAME=VALUE
  std::map<std::string, std::string> labels;
  std::string network_mode;
  std::string user;
  int64_t memory_bytes = 0;
  int64_t nano_cpus = 0;
  int64_t pids_limit = 0;
  std::map<std::string, std::string> tmpfs;
  std::map<std::string, int64_t> ulimits;
  std::vector<std::string> cap_add;  // beyond kKeptCapabilities, in Docker's form
  // With either set (0: no limit), /workspace is a memory file system of at most this many bytes
  // and files, and the work folder is copied (workspace_source must be empty).
  int64_t work_dir_size_limit = 0;
  int64_t work_dir_file_limit = 0;
  bool auto_remove = true;
  bool stop_container = true;
  // The container's main process is codeexec-runner; otherwise an idle shell, and the exec API.
  bool use_runner = true;
  // Where the runner program is on the daemon's host, to bind-mount; empty: it is uploaded.
  std::string runner_source;
  std::string init_command;
  std::chrono::milliseconds init_timeout{std::chrono::seconds(60)};
};

class Container {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<std::unique_ptr<Container>> Start(DockerClient client, ContainerSpec spec);
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& id() const { return id_; }
  const std::string& name() const { return spec_.name; }
  const ContainerSpec& spec() const { return spec_; }
  const DockerClient& client() const { return client_; }

  // Runs `config` (its user is the container's with the runner) and waits for it to finish, for
  // `deadline` or for `cancel`; every request it makes ends with the cancellation too (reported
  // as `cancelled`), except the kill that ends the command. Errors: the daemon failing, a
  // program that cannot start, or the container no longer running (kFailedPrecondition, saying
  // to Restart()).
  Result<ExecOutcome> Run(const ExecConfig& config, Clock::time_point deadline,
                          const CancellationToken& cancel, OutputCollector& output);

  // Copies the work folder's changes in, or the container's out (no-ops with a bind mount). Each
  // ends early, failing with kTimeout, at `deadline` or when `cancel` fires (the container's
  // copy is then as the interrupted copy left it; the next copy completes it).
  Result<void> SyncIn(Clock::time_point deadline, const CancellationToken& cancel);
  Result<void> SyncOut(Clock::time_point deadline, const CancellationToken& cancel);

  // Whether the work folder is copied in and out rather than mounted.
  bool copies_work_dir() const { return spec_.workspace_source.empty(); }

  // Whether the container can take a block now without a round trip: started, and its runner
  // open and quiet (a warm container that died while it waited is not).
  bool LooksUsable() const;

  // Removes (or stops) this container and starts a new one from the same spec.
  Result<void> Recreate();

  // Removes the container (auto_remove), stops it (stop_container), or leaves it running.
  // Idempotent.
  Result<void> Stop();

 private:
  Container(DockerClient client, ContainerSpec spec)
      : client_(std::move(client)), spec_(std::move(spec)) {}

  ContainerConfig MakeConfig() const;
  Result<void> CreateAndStart();
  Result<std::string> CreateReplacingLeftover(const ContainerConfig& config);
  Result<void> UploadStartupFiles();
  Result<void> AttachAndStart();
  Result<void> RunInitCommand();
  Result<ExecOutcome> RunThroughRunner(const ExecConfig& config, Clock::time_point deadline,
                                       const CancellationToken& cancel, OutputCollector& output);
  Error GoneError(const Error& cause) const;
  void ReleaseConnections();
  Result<void> Discard();

  DockerClient client_;
  ContainerSpec spec_;
  std::string id_;
  std::unique_ptr<RunnerChannel> runner_;  // with use_runner
  UniqueFd lifeline_;  // without the runner: the container's stdin; closing it stops the container
  std::unique_ptr<WorkspaceSync> sync_;  // without a workspace mount
  bool stopped_ = true;
};

// The idle command a codeexec container runs as PID 1 when its runner cannot be used. With
// `lifeline`, it exits when its stdin reaches end-of-file; it always exits at once on SIGTERM.
std::vector<std::string> IdleCommand(bool lifeline);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CONTAINER_H_
