// WorkspaceSync: keeps a container's /workspace and the host's work folder in step by copying,
// for a daemon that cannot bind-mount the work folder (a remote daemon, bind_work_dir off) and
// for a size-limited /workspace.
//
// Before a block runs, Upload() sends the host files that changed since the last sync (new,
// modified, or never sent) as one archive; after it, Download() fetches /workspace as an archive
// and writes onto the host the files the container changed: new files, and files whose contents
// differ from what was last sent or fetched. A file changed on both sides since the last sync
// takes the container's version. A file both sides had that the container deleted is deleted on
// the host too, unless the host changed it since. Only regular files and folders travel
// (symbolic links and special files are skipped), files arrive without set-user-ID or
// set-group-ID bits, and the run log stays on the host.
//
// The host folder is only ever reached through a ConfinedFolder: no link is followed, nothing is
// written outside the folder whatever names the archive holds, and a FIFO or device planted on
// the host is never opened, so it cannot stall a copy. Memory stays bounded on the way out:
// files stream to disk as they arrive.
//
// Not thread-safe: the executor runs one block at a time.
#ifndef CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_
#define CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "codeexec/error.h"
#include "core/confined_folder.h"
#include "docker/docker_client.h"

namespace codeexec::docker {

class WorkspaceSync {
 public:
  // Opens `host_dir` (canonical) for the copies; `container_dir` is absolute (the container's
  // /workspace). `limits` names the work-folder limits in messages when a copy does not fit.
  static Result<std::unique_ptr<WorkspaceSync>> Open(std::string container_id,
                                                     const std::filesystem::path& host_dir,
                                                     std::string container_dir,
                                                     std::string limits = "");

  // Both through `client` (which may be bounded: an interrupted copy fails, and the next one
  // completes what it left). Upload fails with kResourceExhausted, saying what to do, when the
  // container's size-limited folder has no room for the files.
  Result<void> Upload(const DockerClient& client);
  Result<void> Download(const DockerClient& client);

 private:
  // What we know of a file both sides have had.
  struct Known {
    int64_t host_mtime_ns = -1;  // the host file's stamp when last synced
    int64_t host_size = -1;
    uint64_t contents = 0;  // fingerprint of the contents both sides had then
  };
  class Receiver;

  WorkspaceSync(std::string container_id, ConfinedFolder files, std::string container_dir,
                std::string limits)
      : container_id_(std::move(container_id)),
        files_(std::move(files)),
        container_dir_(std::move(container_dir)),
        limits_(std::move(limits)) {}

  // Deletes on the host the known files that the last complete download did not hold.
  void ApplyDeletions(const std::set<std::string>& seen);

  std::string container_id_;
  ConfinedFolder files_;
  std::string container_dir_;
  std::string limits_;
  std::map<std::string, Known> known_;  // by name relative to the work folder
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_
