// Workspace: one executor and the work folder it alone uses, under the service's root folder.
// Sessions hold one for their whole life; one-shot executions take one and throw it away.
//
// The service makes the folder itself (an unguessable name under its root) and hands it to the
// executor as `work_dir`, so that the files API sees exactly what the code sees, and so that
// closing the workspace removes everything the code left, whatever the executor. Close() stops
// the executor (cancelling and waiting for its calls) and removes the folder, without following
// any link the code planted; it is idempotent and runs from the destructor.
//
// Threads: executor() follows executor.h (calls from several threads; Close() from any thread).
// The root folder must outlive its workspaces.
#ifndef CODEEXEC_SRC_SERVICE_WORKSPACE_H_
#define CODEEXEC_SRC_SERVICE_WORKSPACE_H_

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "codeexec/executor.h"
#include "codeexec/registry.h"
#include "core/confined_folder.h"
#include "service/executor_policy.h"
#include "service/files.h"
#include "service/service_error.h"

namespace codeexec::service {

class Workspace {
 public:
  // A new folder under `root` and an executor of `choice` working in it. Nothing is left behind
  // when creating the executor fails (its error says why: kBadRequest for a configuration it
  // refuses, kUnavailable when its peer cannot be reached).
  static ServiceResult<std::unique_ptr<Workspace>> Create(const ExecutorRegistry& registry,
                                                          const ConfinedFolder& root,
                                                          const ExecutorChoice& choice,
                                                          const FolderLimits& default_limits);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  CodeExecutor& executor() { return *executor_; }
  const ExecutorChoice& choice() const { return choice_; }
  // The folder's files, link-safe.
  const ConfinedFolder& files() const { return files_; }
  // Its absolute path on this host (what results name).
  const std::filesystem::path& path() const { return files_.path(); }
  // The limits that apply to files placed in the folder through the API.
  const FolderLimits& limits() const { return limits_; }

  // Stops the executor and removes the folder. Idempotent.
  void Close();

 private:
  Workspace(const ConfinedFolder& root, std::string name, ConfinedFolder files,
            ExecutorChoice choice, FolderLimits limits)
      : root_(root),
        name_(std::move(name)),
        files_(std::move(files)),
        choice_(std::move(choice)),
        limits_(limits) {}

  const ConfinedFolder& root_;
  const std::string name_;  // the folder's name under root_
  ConfinedFolder files_;
  const ExecutorChoice choice_;
  const FolderLimits limits_;
  std::unique_ptr<CodeExecutor> executor_;
  std::once_flag closed_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_WORKSPACE_H_
