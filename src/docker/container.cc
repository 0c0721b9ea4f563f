#include "docker/container.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "codeexec/log.h"
#include "docker/capabilities.h"
#include "docker/leftovers.h"
#include "docker/runner_binary.h"
#include "docker/tar.h"

namespace codeexec::docker {
namespace {

using namespace std::chrono_literals;
using Clock = Container::Clock;

// How long a new container's runner may take to greet.
constexpr auto kRunnerStartTimeout = 30s;

bool KilledBySigkill(int exit_code) { return exit_code == 128 + 9; }

// The mount options of a size-limited /workspace: open to any user the code runs as, and a place
// where set-user-ID bits and device nodes mean nothing. The file system's root takes an inode.
std::string LimitedWorkspaceOptions(const ContainerSpec& spec) {
  std::string options = "mode=0777,nosuid,nodev";
  if (spec.work_dir_size_limit > 0) options += fmt::format(",size={}", spec.work_dir_size_limit);
  if (spec.work_dir_file_limit > 0) {
    options += fmt::format(",nr_inodes={}", spec.work_dir_file_limit + 1);
  }
  return options;
}

// The work-folder limits for messages: "work_dir_size_limit (1048576 bytes)", or "".
std::string LimitsText(const ContainerSpec& spec) {
  std::string text;
  if (spec.work_dir_size_limit > 0) {
    text = fmt::format("work_dir_size_limit ({} bytes)", spec.work_dir_size_limit);
  }
  if (spec.work_dir_file_limit > 0) {
    text += fmt::format("{}work_dir_file_limit ({} files and folders)", text.empty() ? "" : " and ",
                        spec.work_dir_file_limit);
  }
  return text;
}

// Kills and removes a container, and returns once the daemon no longer knows it (so that its
// name is free again), also when the daemon's own auto-removal got there first.
Result<void> RemoveAndWait(const DockerClient& client, const std::string& id) {
  auto removed = client.RemoveContainer(id, /*force=*/true);
  if (removed || removed.error().code() == ErrorCode::kNotFound) return {};
  if (removed.error().code() != ErrorCode::kFailedPrecondition) return removed;
  // 409: a removal is already under way.
  for (Clock::time_point give_up = Clock::now() + 30s; Clock::now() < give_up;) {
    auto state = client.InspectContainer(id);
    if (!state && state.error().code() == ErrorCode::kNotFound) return {};
    std::this_thread::sleep_for(10ms);
  }
  return removed;
}

}  // namespace

std::vector<std::string> IdleCommand(bool lifeline) {
  // PID 1 of a PID namespace gets no signal it has no handler for, hence the trap: `docker stop`
  // then ends the container at once instead of after its grace period. The shell waits for a
  // child rather than sleeping itself, so that it reaps the orphans blocks leave behind (a wait
  // reaps any child). A timeout's `kill -9 -1` kills that child too; the loop starts another.
  // With a lifeline, the child reads the container's stdin (kept as fd 3, since background
  // commands get /dev/null), which reaches end-of-file when the executor's attach connection
  // closes: at Stop(), or when the executor's process dies.
  std::string script = "trap 'exit 0' TERM INT HUP\n";
  if (lifeline) {
    script +=
        "exec 3<&0 </dev/null\n"
        "while :; do read -r _ <&3 & wait $!; [ $? -gt 128 ] || exit 0; done\n";
  } else {
    script += "while :; do sleep 2147483647 & wait $!; done\n";
  }
  return {"/bin/sh", "-c", script};
}

Result<std::unique_ptr<Container>> Container::Start(DockerClient client, ContainerSpec spec) {
  std::unique_ptr<Container> container(new Container(std::move(client), std::move(spec)));
  if (auto started = container->CreateAndStart(); !started) {
    return tl::unexpected(started.error());
  }
  return container;
}

Container::~Container() {
  if (auto stopped = Stop(); !stopped) Log(LogLevel::kWarning, stopped.error().message());
}

ContainerConfig Container::MakeConfig() const {
  ContainerConfig config;
  config.name = spec_.name;
  config.image = spec_.image;
  if (spec_.use_runner) {
    config.entrypoint = {std::string(kRunnerInContainer)};
  } else {
    config.entrypoint = IdleCommand(spec_.stop_container);
  }
  config.working_dir = std::string(kWorkspace);
  config.env = spec_.env;
  config.labels = spec_.labels;
  // insert_or_assign rather than operator[] = "1": GCC 12 warns falsely (-Wrestrict) on the
  // latter at -O2.
  config.labels.insert_or_assign(std::string(kContainerLabel), std::string("1"));
  config.labels.insert_or_assign(std::string(kOwnerLabel), OwnerLabelValue());
  if (!spec_.workspace_source.empty()) {
    config.binds.push_back(fmt::format("{}:{}:rw", spec_.workspace_source, kWorkspace));
  }
  if (spec_.use_runner && !spec_.runner_source.empty()) {
    config.binds.push_back(fmt::format("{}:{}:ro", spec_.runner_source, kRunnerInContainer));
  }
  config.binds.insert(config.binds.end(), spec_.extra_volumes.begin(), spec_.extra_volumes.end());
  config.extra_hosts = spec_.extra_hosts;
  config.network_mode = spec_.network_mode;
  config.user = spec_.user;
  config.memory_bytes = spec_.memory_bytes;
  config.nano_cpus = spec_.nano_cpus;
  config.pids_limit = spec_.pids_limit;
  config.tmpfs = spec_.tmpfs;
  config.ulimits = spec_.ulimits;
  if (spec_.work_dir_size_limit > 0 || spec_.work_dir_file_limit > 0) {
    config.tmpfs_volumes[std::string(kWorkspace)] = LimitedWorkspaceOptions(spec_);
  }
  // No capability but those software installation and the runner need, and those asked for;
  // nothing gained through exec.
  config.cap_drop = {"ALL"};
  config.cap_add.assign(kKeptCapabilities.begin(), kKeptCapabilities.end());
  for (const std::string& added : spec_.cap_add) {
    if (std::find(config.cap_add.begin(), config.cap_add.end(), added) == config.cap_add.end()) {
      config.cap_add.push_back(added);
    }
  }
  config.security_opt = {"no-new-privileges"};
  config.auto_remove = spec_.auto_remove;
  // The runner reads its requests from stdin; the stdin of either main process is the lifeline
  // that ends the container when this process lets go of it.
  config.open_stdin = spec_.use_runner || spec_.stop_container;
  config.stdin_once = spec_.stop_container;
  return config;
}

Result<void> Container::CreateAndStart() {
  auto id = CreateReplacingLeftover(MakeConfig());
  if (!id) return tl::unexpected(id.error());
  id_ = *id;
  stopped_ = false;
  auto fail = [&](Error error) -> Result<void> {
    if (auto discarded = Discard(); !discarded) {
      Log(LogLevel::kWarning, discarded.error().message());
    }
    return tl::unexpected(std::move(error));
  };
  if (auto uploaded = UploadStartupFiles(); !uploaded) return fail(uploaded.error());
  if (auto started = AttachAndStart(); !started) return fail(started.error());
  if (spec_.workspace_source.empty()) {
    // The init command sees the work folder's files, as it would through a mount.
    auto sync =
        WorkspaceSync::Open(id_, spec_.host_work_dir, std::string(kWorkspace), LimitsText(spec_));
    if (!sync) return fail(sync.error());
    sync_ = std::move(*sync);
    if (auto synced = SyncIn(Clock::time_point::max(), CancellationToken()); !synced) {
      return fail(synced.error());
    }
  }
  if (auto init = RunInitCommand(); !init) return fail(init.error());
  return {};
}

// Before the start: the runner when it is not mounted, and, when the work folder is copied
// rather than mounted, a /workspace that any user the code runs as may write.
Result<void> Container::UploadStartupFiles() {
  bool upload_runner = spec_.use_runner && spec_.runner_source.empty();
  bool open_workspace = spec_.workspace_source.empty();
  if (!upload_runner && !open_workspace) return {};
  TarWriter writer;
  if (upload_runner) AddRunnerTo(writer);
  if (open_workspace) writer.AddDirectory(kWorkspace.substr(1), 0777, 0);
  return client_.PutArchive(id_, "/", writer.Finish());
}

Result<void> Container::AttachAndStart() {
  // Attached before the start, so that the main process never sees its stdin without a holder,
  // and no byte the runner writes is missed.
  if (spec_.use_runner) {
    auto attached = client_.Attach(id_, /*output=*/true);
    if (!attached) return tl::unexpected(attached.error());
    runner_ = std::make_unique<RunnerChannel>(std::move(*attached));
  } else if (spec_.stop_container) {
    auto attached = client_.Attach(id_, /*output=*/false);
    if (!attached) return tl::unexpected(attached.error());
    lifeline_ = std::move(attached->fd);
  }
  if (auto started = client_.StartContainer(id_); !started) {
    return MakeError(started.error().code(),
                     fmt::format("{} (image {})", started.error().message(), spec_.image));
  }
  if (!runner_) return {};
  auto ready = runner_->AwaitReady(Clock::now() + kRunnerStartTimeout);
  if (ready) return {};
  auto state = client_.InspectContainer(id_);
  return MakeError(
      ready.error().code(),
      fmt::format("codeexec's runner did not start in a container of {} ({}{}). Set the option "
                  "use_runner to false to run code through `docker exec` instead.",
                  spec_.image, ready.error().message(),
                  state && !state->running
                      ? fmt::format("; the container exited with code {}{}", state->exit_code,
                                    state->error.empty() ? "" : ": " + state->error)
                      : ""));
}

Result<std::string> Container::CreateReplacingLeftover(const ContainerConfig& config) {
  auto id = client_.CreateContainer(config);
  if (id || id.error().code() != ErrorCode::kFailedPrecondition || config.name.empty()) return id;
  // The name is taken. A codeexec container of that name is a leftover (SPEC: it is replaced);
  // anything else belongs to someone else.
  auto ours = client_.ListContainers({std::string(kContainerLabel)});
  if (!ours) return tl::unexpected(ours.error());
  for (const ContainerSummary& container : *ours) {
    if (container.name != config.name) continue;
    Log(LogLevel::kInfo, fmt::format("removing the leftover container {}", config.name));
    if (auto removed = RemoveAndWait(client_, container.id); !removed) {
      return tl::unexpected(removed.error());
    }
    return client_.CreateContainer(config);
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("a container named {} already exists and was not made by codeexec "
                               "({}). Choose another container_name, or remove it with `docker rm "
                               "-f {}`.",
                               config.name, id.error().message(), config.name));
}

Result<void> Container::RunInitCommand() {
  if (spec_.init_command.empty()) return {};
  ExecConfig config{{"/bin/sh", "-c", spec_.init_command}, {}, std::string(kWorkspace), spec_.user};
  OutputCollector output(64 << 10);
  auto outcome = Run(config, Clock::now() + spec_.init_timeout, CancellationToken(), output);
  if (!outcome) return tl::unexpected(outcome.error());
  std::string text = output.Finish().output;
  if (outcome->timed_out) {
    return MakeError(ErrorCode::kTimeout,
                     fmt::format("the init command `{}` did not finish in {} s. Its output: {}",
                                 spec_.init_command, spec_.init_timeout.count() / 1000, text));
  }
  if (outcome->exit_code != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the init command `{}` failed with exit code {}. Its output: {}",
                                 spec_.init_command, outcome->exit_code, text));
  }
  return {};
}

Result<ExecOutcome> Container::Run(const ExecConfig& config, Clock::time_point deadline,
                                   const CancellationToken& cancel, OutputCollector& output) {
  ExecOutcome outcome;
  if (cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  if (stopped_) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the container {} was stopped", spec_.name));
  }
  double started = WallSeconds();
  std::optional<bool> out_of_memory;  // when the runner could tell
  if (runner_) {
    runner::RunRequest request{config.command, config.env, config.working_dir,
                               config.standard_input};
    auto ran = runner_->Run(request, deadline, cancel, output);
    if (!ran) return tl::unexpected(GoneError(ran.error()));
    outcome.exit_code = ran->exit_code;
    outcome.timed_out = ran->timed_out;
    outcome.cancelled = ran->cancelled;
    out_of_memory = ran->out_of_memory;
  } else {
    if (config.standard_input) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "standard input needs codeexec's runner in the container");
    }
    auto ran = RunExec(client_, id_, config, deadline, cancel, output);
    if (!ran) return tl::unexpected(GoneError(ran.error()));
    outcome = *ran;
  }
  if (!KilledBySigkill(outcome.exit_code) || outcome.timed_out || outcome.cancelled) {
    return outcome;
  }
  if (out_of_memory) {
    outcome.out_of_memory = *out_of_memory;
    return outcome;
  }
  // The kernel kills with SIGKILL both for a memory limit and when the container's init dies.
  DockerClient bounded = client_.Bounded(Clock::time_point::max(), cancel);
  auto state = bounded.InspectContainer(id_);
  if (!state && cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  if (!state || !state->running) {
    return tl::unexpected(GoneError(Error(ErrorCode::kFailedPrecondition, "killed")));
  }
  auto oom = WaitForOomEvent(bounded, id_, started);
  if (!oom && cancel.IsCancelled()) {
    outcome.cancelled = true;
    return outcome;
  }
  if (!oom) return tl::unexpected(oom.error());
  outcome.out_of_memory = *oom;
  return outcome;
}

Result<void> Container::SyncIn(Clock::time_point deadline, const CancellationToken& cancel) {
  if (!sync_ || stopped_) return {};
  auto synced = sync_->Upload(client_.Bounded(deadline, cancel));
  if (!synced && (cancel.IsCancelled() || Clock::now() >= deadline)) return synced;
  if (!synced) return tl::unexpected(GoneError(synced.error()));
  return {};
}

Result<void> Container::SyncOut(Clock::time_point deadline, const CancellationToken& cancel) {
  if (!sync_ || stopped_) return {};
  auto synced = sync_->Download(client_.Bounded(deadline, cancel));
  if (!synced && (cancel.IsCancelled() || Clock::now() >= deadline)) return synced;
  if (!synced) return tl::unexpected(GoneError(synced.error()));
  return {};
}

bool Container::LooksUsable() const { return !stopped_ && (!runner_ || runner_->Idle()); }

Error Container::GoneError(const Error& cause) const {
  if (cause.code() != ErrorCode::kNotFound && cause.code() != ErrorCode::kFailedPrecondition &&
      cause.code() != ErrorCode::kUnavailable) {
    return cause;
  }
  auto state = client_.InspectContainer(id_);
  if (!state && state.error().code() == ErrorCode::kNotFound) {
    return Error(ErrorCode::kFailedPrecondition,
                 fmt::format("the container {} is gone (it stopped and was removed). Call "
                             "Restart() to start a new one.",
                             spec_.name));
  }
  if (state && !state->running) {
    return Error(
        ErrorCode::kFailedPrecondition,
        fmt::format("the container {} stopped (exit code {}{}). Call Restart() to start "
                    "a new one.",
                    spec_.name, state->exit_code, state->oom_killed ? ", out of memory" : ""));
  }
  return cause;
}

void Container::ReleaseConnections() {
  runner_.reset();
  lifeline_.Reset();
  sync_.reset();
}

Result<void> Container::Discard() {
  if (stopped_) return {};
  stopped_ = true;
  auto removed = RemoveAndWait(client_, id_);
  ReleaseConnections();
  return removed;
}

Result<void> Container::Recreate() {
  if (auto discarded = Discard(); !discarded) return discarded;
  return CreateAndStart();
}

Result<void> Container::Stop() {
  if (stopped_) return {};
  stopped_ = true;
  if (!spec_.stop_container) {
    // The container's stdin stays open without us (stdin_once is off), so it keeps running.
    ReleaseConnections();
    Log(LogLevel::kInfo,
        fmt::format("leaving the container {} running (stop_container is off)", spec_.name));
    return {};
  }
  if (spec_.auto_remove) {
    // Force removal kills and removes in one call; no grace period, as the container holds no
    // state worth one.
    auto removed = RemoveAndWait(client_, id_);
    ReleaseConnections();
    return removed;
  }
  auto stopped = client_.StopContainer(id_, 1);
  ReleaseConnections();
  if (!stopped && stopped.error().code() != ErrorCode::kNotFound) return stopped;
  return {};
}

}  // namespace codeexec::docker
