// ContainerRunner: CommandLineCore's ProcessRunner for the Docker executor. Each step of a block
// becomes a command in the container (Container::Run: through its runner, or an exec): host paths
// inside the work folder are rewritten to their place under /workspace, the step's environment
// is passed along, and tools are looked up on the container's PATH rather than this host's. When
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

#include "core/confined_folder.h"
#include "docker/container.h"
#include "local/command_line_core.h"

namespace codeexec::docker {

class ContainerRunner final : public ProcessRunner {
 public:
  // `user`: who the code runs as in the container (empty: the image's user). `timeout`: a
  // block's, which also bounds looking a tool up.
  ContainerRunner(std::string user, std::chrono::milliseconds timeout)
      : user_(std::move(user)), timeout_(timeout) {}

  // Where steps run from now on; nullptr once the container is gone. `host_work_dir` is the
  // canonical work folder whose paths map to /workspace; `files` (which must outlive this
  // attachment) reaches it for the scrub.
  void Attach(Container* container, std::string host_work_dir,
              const ConfinedFolder* files = nullptr) {
    container_ = container;
    host_work_dir_ = std::move(host_work_dir);
    files_ = files;
  }

  // The token of the execution under way, which also ends tool lookups (ResolveTool has none of
  // its own). The executor sets it before each execution.
  void set_cancel(CancellationToken cancel) { cancel_ = std::move(cancel); }

  Result<RunOutcome> Run(const SpawnSpec& spec, const RunLimits& limits,
                         const CancellationToken& cancel, OutputCollector& output) override;
  std::optional<std::string> ResolveTool(const LanguageSpec& spec,
                                         std::string_view path_env) override;

  // `text` with every mention of the host work folder replaced by /workspace.
  std::string ToContainerPath(std::string_view text) const;

 private:
  // After a step in a mounted work folder: nothing left there that the host could trip over.
  Result<void> Scrub() const;

  std::string user_;
  std::chrono::milliseconds timeout_;
  Container* container_ = nullptr;
  std::string host_work_dir_;
  const ConfinedFolder* files_ = nullptr;
  CancellationToken cancel_;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CONTAINER_RUNNER_H_
