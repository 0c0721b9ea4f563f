#include "codeexec/docker_executor.h"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <optional>

#include "codeexec/log.h"
#include "command_line/block_loop.h"
#include "core/ordered_mutex.h"
#include "core/work_folder.h"
#include "docker/container.h"
#include "docker/container_options.h"
#include "docker/container_runner.h"
#include "docker/docker_client.h"
#include "docker/runner_binary.h"
#include "docker/warm_pool.h"

namespace codeexec {
namespace {

using docker::Container;
using docker::DockerClient;
using Clock = std::chrono::steady_clock;

// A work folder smaller than this could not hold much beyond a block's file.
constexpr int64_t kMinWorkDirSize = 1 << 20;
constexpr int64_t kMinWorkDirFiles = 16;

bool LimitsWorkDir(const DockerExecutorOptions& options) {
  return options.work_dir_size_limit > 0 || options.work_dir_file_limit > 0;
}

Result<void> ValidateWorkDirLimits(const DockerExecutorOptions& options) {
  auto bad = [](std::string message) { return MakeError(ErrorCode::kInvalidArgument, message); };
  if (options.work_dir_size_limit != 0 && options.work_dir_size_limit < kMinWorkDirSize) {
    return bad(fmt::format("work_dir_size_limit must be 0 (none) or at least 1 MiB (got {} bytes)",
                           options.work_dir_size_limit));
  }
  if (options.work_dir_file_limit != 0 && options.work_dir_file_limit < kMinWorkDirFiles) {
    return bad(fmt::format("work_dir_file_limit must be 0 (none) or at least {} (got {})",
                           kMinWorkDirFiles, options.work_dir_file_limit));
  }
  if (LimitsWorkDir(options) && options.bind_work_dir.value_or(false)) {
    return bad(
        "work_dir_size_limit and work_dir_file_limit need the work folder copied, not mounted: "
        "leave bind_work_dir unset or set it to false");
  }
  return {};
}

// Checks the options beyond the container's (CheckContainerOptions), and normalizes them.
Result<void> ValidateOptions(DockerExecutorOptions& options) {
  auto bad = [](std::string message) { return MakeError(ErrorCode::kInvalidArgument, message); };
  if (auto checked = docker::CheckContainerOptions(options); !checked) return checked;
  if (options.warm_pool > 0 &&
      (!options.auto_remove || !options.stop_container || !options.container_name.empty())) {
    return bad(
        "warm_pool needs auto_remove and stop_container on and no container_name (warm "
        "containers must vanish with this process, and names are unique)");
  }
  return ValidateWorkDirLimits(options);
}

// The block loop's options: the container's environment starts empty here (the image's
// environment applies inside it), and `python` names the interpreter inside the container.
Result<CommandLineOptions> CoreOptions(const DockerExecutorOptions& options,
                                       const std::filesystem::path& work_dir) {
  if (options.env.clear || !options.env.unset.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "clear_env and unset_env do not apply to a container (its environment is "
                     "the image's): remove them, or set the variables you need in env");
  }
  CommandLineOptions core = options;
  core.work_dir = work_dir;
  core.env.clear = true;
  core.python.clear();
  if (!options.python.empty()) {
    const LanguageSpec* python = core.languages.Find("python");
    if (python == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument, "`python` is set but no language is python");
    }
    LanguageSpec replaced = *python;
    replaced.tools = {options.python};
    if (auto added = core.languages.Add(std::move(replaced)); !added) {
      return tl::unexpected(added.error());
    }
  }
  return core;
}

// How containers are set up on this daemon.
struct Placement {
  bool bind_work_dir = true;
  bool use_runner = true;
  std::string runner_source;  // on the daemon's host; empty: uploaded
};

Placement Place(const DockerExecutorOptions& options, const DockerClient& client) {
  Placement placement;
  const docker::DockerEndpoint& endpoint = client.endpoint();
  // A size-limited /workspace is a memory file system the work folder is copied into.
  placement.bind_work_dir =
      options.bind_work_dir.value_or(endpoint.is_unix() && !LimitsWorkDir(options));
  placement.use_runner = options.use_runner;
  if (placement.use_runner && !endpoint.is_unix()) {
    // The runner is a program for this build's CPU; a remote daemon may run on another.
    auto version = client.Version();
    if (version && version->arch != docker::RunnerArchitecture()) {
      Log(LogLevel::kInfo,
          fmt::format("the Docker daemon at {} runs on {}, codeexec's runner on "
                      "{}: blocks run through `docker exec` instead",
                      endpoint.address, version->arch, docker::RunnerArchitecture()));
      placement.use_runner = false;
    }
  }
  // The runner is mounted from this host when the daemon mounts this host's work folder as it
  // is; otherwise it cannot see the copy, and it is uploaded.
  if (placement.use_runner && placement.bind_work_dir && options.bind_dir.empty()) {
    auto on_host = docker::RunnerOnHost();
    if (on_host) {
      placement.runner_source = on_host->string();
    } else {
      Log(LogLevel::kInfo, fmt::format("uploading codeexec's runner into each container: {}",
                                       on_host.error().message()));
    }
  }
  return placement;
}

docker::ContainerSpec MakeContainerSpec(const DockerExecutorOptions& options,
                                        const Placement& placement,
                                        const std::filesystem::path& work_dir) {
  docker::ContainerSpec spec;
  docker::FillContainerSpec(options, spec);
  spec.name =
      options.container_name.empty() ? docker::RandomContainerName() : options.container_name;
  if (placement.bind_work_dir) {
    spec.workspace_source = (options.bind_dir.empty() ? work_dir : options.bind_dir).string();
  }
  spec.host_work_dir = work_dir.string();
  for (const auto& [name, value] : options.env.set) spec.env.push_back(name + "=" + value);
  spec.work_dir_size_limit = options.work_dir_size_limit;
  spec.work_dir_file_limit = options.work_dir_file_limit;
  spec.auto_remove = options.auto_remove;
  spec.stop_container = options.stop_container;
  spec.use_runner = placement.use_runner;
  spec.runner_source = placement.runner_source;
  spec.init_command = options.init_command;
  spec.init_timeout = options.timeout;
  return spec;
}

// A started container of this configuration from the warm pool, if one waits; and from now on
// the pool keeps `warm_pool` ready for it. `given_work_dir` is empty for a temporary one.
std::optional<docker::WarmContainer> TakeWarm(const DockerExecutorOptions& options,
                                              const Placement& placement,
                                              const docker::DockerEndpoint& endpoint,
                                              const std::filesystem::path& given_work_dir) {
  docker::WarmRecipe recipe;
  recipe.endpoint = endpoint;
  // A given work folder is every warm container's; a temporary one is each container's own.
  recipe.make_spec = [options, placement,
                      given = given_work_dir](const std::filesystem::path& work_dir) {
    return MakeContainerSpec(options, placement, given.empty() ? work_dir : given);
  };
  recipe.temporary_work_dir = given_work_dir.empty();
  recipe.size = options.warm_pool;
  std::string key =
      docker::WarmPool::Key(recipe.make_spec(given_work_dir), endpoint, recipe.temporary_work_dir);
  return docker::WarmPool::Shared().Take(key, std::move(recipe));
}

}  // namespace

struct DockerCommandLineCodeExecutor::Impl {
  DockerExecutorOptions options;
  WorkFolder folder;  // owns a temporary work folder
  std::unique_ptr<BlockLoop> loop;
  docker::ContainerRunner* runner = nullptr;  // owned by `loop`
  std::unique_ptr<Container> container;
  std::string container_name;
  OrderedMutex turn;         // one call at a time, in arrival order
  mutable std::mutex mutex;  // guards `container` against the accessors

  // Finds or starts the container, once the work folder is ready.
  Result<void> Open(DockerClient client, const Placement& placement,
                    std::optional<docker::WarmContainer> warm);
};

Result<void> DockerCommandLineCodeExecutor::Impl::Open(DockerClient client,
                                                       const Placement& placement,
                                                       std::optional<docker::WarmContainer> warm) {
  auto core_options = CoreOptions(options, folder.path());
  if (!core_options) return tl::unexpected(core_options.error());
  auto container_runner = std::make_unique<docker::ContainerRunner>(options.user, options.timeout);
  runner = container_runner.get();
  // The block loop validates the shared options and opens the run log.
  auto made = BlockLoop::Create(std::move(*core_options), "", std::move(container_runner));
  if (!made) return tl::unexpected(made.error());
  loop = std::move(*made);
  if (warm) {
    container = std::move(warm->container);
  } else {
    auto started = docker::StartContainer(std::move(client),
                                          MakeContainerSpec(options, placement, loop->work_dir()));
    if (!started) return tl::unexpected(started.error());
    container = std::move(*started);
  }
  container_name = container->name();
  runner->Attach(container.get(), &folder.files());
  return {};
}

Result<DockerCommandLineCodeExecutor> DockerCommandLineCodeExecutor::Create(
    DockerExecutorOptions options) {
  if (auto valid = ValidateOptions(options); !valid) return tl::unexpected(valid.error());
  // The block loop's options are checked before any daemon is contacted.
  auto core_options = CoreOptions(options, options.work_dir);
  if (!core_options) return tl::unexpected(core_options.error());
  if (auto valid = BlockLoop::CheckOptions(*core_options); !valid) {
    return tl::unexpected(valid.error());
  }
  auto endpoint = docker::ResolveDockerEndpoint(options.docker_host);
  if (!endpoint) return tl::unexpected(endpoint.error());
  auto client = DockerClient::Connect(*endpoint);
  if (!client) return tl::unexpected(client.error());
  Placement placement = Place(options, *client);
  auto impl = std::make_unique<Impl>();
  bool temporary = options.work_dir.empty();
  if (!temporary) {
    auto folder = WorkFolder::Prepare(options.work_dir);  // canonical, for the mount and the key
    if (!folder) return tl::unexpected(folder.error());
    impl->folder = std::move(*folder);
  }
  std::optional<docker::WarmContainer> warm;
  if (options.warm_pool > 0) warm = TakeWarm(options, placement, *endpoint, impl->folder.path());
  if (temporary && warm) {
    impl->folder = std::move(warm->folder);
  } else if (temporary) {
    auto folder = WorkFolder::Prepare("");
    if (!folder) return tl::unexpected(folder.error());
    impl->folder = std::move(*folder);
  }
  impl->options = std::move(options);
  if (auto opened = impl->Open(std::move(*client), placement, std::move(warm)); !opened) {
    impl->container.reset();  // before the folder it mounts
    if (impl->loop) [[maybe_unused]]
      auto stopped = impl->loop->Stop();
    [[maybe_unused]] auto removed = impl->folder.Remove();
    return tl::unexpected(opened.error());
  }
  return DockerCommandLineCodeExecutor(std::move(impl));
}

DockerCommandLineCodeExecutor::DockerCommandLineCodeExecutor(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
DockerCommandLineCodeExecutor::DockerCommandLineCodeExecutor(
    DockerCommandLineCodeExecutor&&) noexcept = default;
DockerCommandLineCodeExecutor& DockerCommandLineCodeExecutor::operator=(
    DockerCommandLineCodeExecutor&& other) noexcept {
  if (this != &other) {
    if (impl_) [[maybe_unused]]
      auto stopped = Stop();
    CodeExecutor::operator=(std::move(other));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

DockerCommandLineCodeExecutor::~DockerCommandLineCodeExecutor() {
  if (impl_) [[maybe_unused]]
    auto stopped = Stop();
}

const std::filesystem::path& DockerCommandLineCodeExecutor::work_dir() const {
  return impl_->loop->work_dir();
}
const DockerExecutorOptions& DockerCommandLineCodeExecutor::options() const {
  return impl_->options;
}
const std::string& DockerCommandLineCodeExecutor::container_name() const {
  return impl_->container_name;
}
std::string DockerCommandLineCodeExecutor::container_id() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->container ? impl_->container->id() : std::string();
}
bool DockerCommandLineCodeExecutor::uses_runner() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->container && impl_->container->spec().use_runner;
}

void DockerCommandLineCodeExecutor::DrainWarmPool() { docker::WarmPool::Shared().Drain(); }

Result<void> DockerCommandLineCodeExecutor::DoRestart() {
  std::lock_guard lock(impl_->mutex);
  return impl_->container->Recreate();
}

Result<void> DockerCommandLineCodeExecutor::DoStop() {
  std::lock_guard lock(impl_->mutex);
  impl_->runner->Attach(nullptr, nullptr);
  // The container goes first: it must not outlive the work folder it mounts.
  auto container = impl_->container->Stop();
  impl_->container.reset();
  auto loop = impl_->loop->Stop();
  auto folder = impl_->folder.Remove();
  if (!container) return container;
  return loop ? folder : loop;
}

Result<CodeResult> DockerCommandLineCodeExecutor::DoExecuteCodeBlocks(
    const std::vector<CodeBlock>& blocks, const ExecutionContext& context) {
  // One call at a time, in arrival order; a call cancelled while it waits ends at once.
  OrderedLock turn(impl_->turn, context.cancel());
  if (!turn.held()) {
    CodeResult cancelled;
    cancelled.exit_code = 125;
    cancelled.status = ExecutionStatus::kCancelled;
    cancelled.output = "\nCancelled";
    return cancelled;
  }
  if (context.standard_input() && !impl_->container->spec().use_runner) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "standard input needs codeexec's runner in the container, and this executor "
                     "runs blocks through the exec API (use_runner is off, or the daemon's CPU "
                     "architecture differs)");
  }
  return impl_->loop->Execute(blocks, context);
}

}  // namespace codeexec
