#include "service/workspace.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "codeexec/log.h"
#include "service/random_id.h"

namespace codeexec::service {

ServiceResult<std::unique_ptr<Workspace>> Workspace::Create(const ExecutorRegistry& registry,
                                                            const ConfinedFolder& root,
                                                            const ExecutorChoice& choice,
                                                            const FolderLimits& default_limits) {
  auto suffix = RandomHex(8);
  if (!suffix) return Unexpected(suffix.error());
  std::string name = "w-" + *suffix;
  if (mkdirat(root.fd(), name.c_str(), 0755) != 0) {
    return Unexpected(ErrnoError("cannot create a work folder in " + root.path().string(), errno));
  }
  auto files = ConfinedFolder::Open(root.path() / name);
  if (!files) {
    (void)root.Remove(name);
    return Unexpected(files.error());
  }
  FolderLimits limits{choice.work_dir_bytes, choice.work_dir_files};
  if (limits.bytes == 0 && limits.entries == 0) limits = default_limits;
  std::unique_ptr<Workspace> workspace(
      new Workspace(root, name, std::move(*files), choice, limits));
  nlohmann::json config = choice.config;
  config["work_dir"] = workspace->path().string();
  auto executor = registry.Create(choice.name, config.dump());
  if (!executor) {
    workspace->Close();
    ServiceError error = FromError(executor.error());
    error.message = "executor '" + choice.name + "' could not start: " + error.message;
    return tl::unexpected(std::move(error));
  }
  workspace->executor_ = std::move(*executor);
  return workspace;
}

Workspace::~Workspace() { Close(); }

void Workspace::Close() {
  std::call_once(closed_, [this] {
    if (executor_) {
      auto stopped = executor_->Stop();
      if (!stopped) {
        Log(LogLevel::kWarning,
            "stopping the executor of " + path().string() + ": " + stopped.error().message());
      }
    }
    auto removed = root_.Remove(name_);
    if (!removed) {
      Log(LogLevel::kWarning,
          "removing the work folder " + path().string() + ": " + removed.error().message());
    }
  });
}

}  // namespace codeexec::service
