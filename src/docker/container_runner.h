// ContainerRunner: the block loop's StepRunner for the Docker executor. Each step of a block
// becomes a command in the container (Container::Run: through its runner, or an exec): the work
// folder is /workspace there, so the block loop names files under it; the step's environment and
// standard input are passed along, and tools are looked up on the container's PATH rather than
// this host's. When
// the work folder is copied rather than mounted, its changes are copied in before each step and
// the container's out after it (not after a cancelled step: the next step's copy brings its
// files). When it is mounted, every step is followed by ScrubSpecialFiles, so that the host never
// finds a device node, FIFO, socket, or set-user-ID or set-group-ID file there.
//
// Every wait ends at the step's deadline (a copy out after it gets a fixed bound) or when its
// token is cancelled; an interrupted copy in makes the step time out or be cancelled.
//
// Not thread-safe: the Docker executor runs one execution at a time.
#ifndef CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_
#define CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "command_line/block_loop.h"
#include "core/confined_folder.h"
#include "docker/container.h"

namespace codeexec::docker {

class ContainerRunner final : public StepRunner {
 public:
  // `user`: who the code runs as in the container (empty: the image's user). `timeout`: a
  // block's, which also bounds looking a tool up.
  ContainerRunner(std::string user, std::chrono::milliseconds timeout)
      : user_(std::move(user)), timeout_(timeout) {}

  // Where steps run from now on; nullptr once the container is gone. `files` (which must
  // outlive this attachment) reaches the host's work folder for the scrub.
  void Attach(Container* container, const ConfinedFolder* files) {
    container_ = container;
    files_ = files;
  }

  std::string WorkFolderPath(const std::filesystem::path& /*host_work_dir*/) const override {
    return std::string(kWorkspace);
  }
  Result<RunOutcome> Run(const Step& step, const RunLimits& limits, const CancellationToken& cancel,
                         OutputCollector& output) override;
  std::optional<std::string> ResolveTool(const LanguageSpec& spec, std::string_view path_env,
                                         const CancellationToken& cancel) override;

 private:
  // After a step in a mounted work folder: nothing left there that the host could trip over.
  Result<void> Scrub() const;

  std::string user_;
  std::chrono::milliseconds timeout_;
  Container* container_ = nullptr;
  const ConfinedFolder* files_ = nullptr;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_
