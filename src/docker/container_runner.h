// ContainerRunner: CommandLineCore's ProcessRunner for the Docker executor. Each step of a block
// becomes a command in the container (Container::Run: through its runner, or an exec): host paths
// inside the work folder are rewritten to their place under /workspace, the step's environment
// is passed along, and tools are looked up on the container's PATH rather than this host's. When
// the work folder is copied rather than mounted, its changes are copied in before each step and
// the container's out after it.
//
// Not thread-safe: the Docker executor runs one execution at a time.
#ifndef CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_
#define CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_

#include <optional>
#include <string>
#include <string_view>

#include "docker/container.h"
#include "local/command_line_core.h"

namespace codeexec::docker {

class ContainerRunner final : public ProcessRunner {
 public:
  // `user`: who the code runs as in the container (empty: the image's user).
  explicit ContainerRunner(std::string user) : user_(std::move(user)) {}

  // Where steps run from now on; nullptr once the container is gone. `host_work_dir` is the
  // canonical work folder whose paths map to /workspace.
  void Attach(Container* container, std::string host_work_dir) {
    container_ = container;
    host_work_dir_ = std::move(host_work_dir);
  }

  Result<RunOutcome> Run(const SpawnSpec& spec, const RunLimits& limits,
                         const CancellationToken& cancel, OutputCollector& output) override;
  std::optional<std::string> ResolveTool(const LanguageSpec& spec,
                                         std::string_view path_env) override;

  // `text` with every mention of the host work folder replaced by /workspace.
  std::string ToContainerPath(std::string_view text) const;

 private:
  std::string user_;
  Container* container_ = nullptr;
  std::string host_work_dir_;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_
