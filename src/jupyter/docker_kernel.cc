#include "jupyter/docker_kernel.h"

#include <fmt/format.h>

#include "codeexec/log.h"
#include "core/confined_folder.h"
#include "docker/container.h"
#include "docker/container_options.h"
#include "docker/docker_endpoint.h"
#include "docker/runner_binary.h"
#include "process/output_collector.h"

namespace codeexec::jupyter {
namespace {

namespace fs = std::filesystem;

// A kernel runs until it is stopped; the run's deadline is only there because runs have one.
constexpr auto kForever = std::chrono::hours(24 * 365 * 10);

}  // namespace

const fs::path& KernelContainer::WorkFolderInContainer() {
  static const fs::path path{std::string(docker::kWorkspace)};
  return path;
}

KernelContainer::KernelContainer() = default;
KernelContainer::~KernelContainer() = default;

Result<std::unique_ptr<KernelContainer>> KernelContainer::Create(const fs::path& work_dir,
                                                                 DockerContainerOptions options) {
  if (auto checked = docker::CheckContainerOptions(options); !checked) {
    return tl::unexpected(checked.error());
  }
  auto endpoint = docker::ResolveDockerEndpoint(options.docker_host);
  if (!endpoint) return tl::unexpected(endpoint.error());
  if (!endpoint->is_unix()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("a kernel in a container needs a Docker daemon on this host "
                                 "(unix://): its sockets are files in the mounted work folder, "
                                 "and {} cannot mount it. Use a local daemon, or isolation "
                                 "\"sandbox\"",
                                 endpoint->address));
  }
  auto client = docker::DockerClient::Connect(*endpoint);
  if (!client) return tl::unexpected(client.error());
  auto work = ConfinedFolder::Open(work_dir);
  if (!work) return tl::unexpected(work.error());

  docker::ContainerSpec spec;
  docker::FillContainerSpec(options, spec);
  spec.name = docker::RandomContainerName();
  spec.workspace_source = work_dir.string();
  spec.host_work_dir = work_dir.string();
  spec.use_runner = true;  // a kernel is one long command: only the runner ends all it started
  auto on_host = docker::RunnerOnHost();
  if (on_host) spec.runner_source = on_host->string();  // else uploaded
  auto started = docker::StartContainer(std::move(*client), std::move(spec));
  if (!started) return tl::unexpected(started.error());

  std::unique_ptr<KernelContainer> kernels(new KernelContainer());
  kernels->work_ = std::make_unique<ConfinedFolder>(std::move(*work));
  kernels->container_ = std::move(*started);
  return kernels;
}

KernelLauncher KernelContainer::launcher() {
  return [this](KernelLaunch launch) {
    // The runner ends the kernel and everything it started when the run is cancelled.
    return StartKernelRun(
        [this, launch = std::move(launch)](const CancellationToken& cancel,
                                           OutputCollector& output) -> Result<std::string> {
          docker::ExecConfig config;
          config.command = launch.argv;
          config.env = launch.env.entries();
          config.working_dir = launch.cwd.string();
          auto outcome =
              container_->Run(config, docker::Container::Clock::now() + kForever, cancel, output);
          // The kernel may have left sockets, FIFOs and set-user-ID files where this host looks.
          if (auto scrubbed = ScrubSpecialFiles(*work_); !scrubbed) {
            Log(LogLevel::kWarning, scrubbed.error().message());
          }
          if (!outcome) {
            return MakeError(outcome.error().code(),
                             "could not run in its container: " + outcome.error().message());
          }
          if (outcome->out_of_memory) return std::string("killed at the container's memory limit");
          if (outcome->cancelled) return std::string("killed");
          return fmt::format("exit code {}", outcome->exit_code);
        });
  };
}

Result<void> KernelContainer::EnsureRunning() {
  if (container_->LooksUsable()) return {};
  Log(LogLevel::kInfo,
      fmt::format("the kernel's container {} stopped: starting a new one", container_->name()));
  return container_->Recreate();
}

}  // namespace codeexec::jupyter
