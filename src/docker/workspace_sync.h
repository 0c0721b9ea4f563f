// WorkspaceSync: keeps a container's /workspace and the host's work folder in step by copying,
// for a daemon that cannot bind-mount the work folder (a remote daemon, or bind_work_dir off).
//
// Before a block runs, Upload() sends the host files that changed since the last sync (new,
// modified, or never sent) as one archive; after it, Download() fetches /workspace as an archive
// and writes onto the host the files the container changed: new files, and files whose contents
// differ from what was last sent or fetched. A file changed on both sides since the last sync
// takes the container's version. Only regular files and folders travel (symbolic links and
// special files are skipped), deletions do not, and nothing is written outside the work folder
// whatever names the archive holds. Memory stays bounded: files stream to disk as they arrive.
//
// Not thread-safe: the executor runs one block at a time.
#ifndef CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_
#define CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "codeexec/error.h"
#include "docker/docker_client.h"

namespace codeexec::docker {

class WorkspaceSync {
 public:
  // `host_dir` canonical; `container_dir` absolute (the container's /workspace).
  WorkspaceSync(const DockerClient& client, std::string container_id,
                std::filesystem::path host_dir, std::string container_dir);

  Result<void> Upload();
  Result<void> Download();

 private:
  // What we know of a file both sides have seen.
  struct Known {
    int64_t host_mtime_ns = -1;  // the host file's stamp when last synced
    int64_t host_size = -1;
    ino_t host_inode = 0;
    uint64_t contents = 0;  // fingerprint of the contents both sides had then
  };
  class Receiver;

  void RememberHostStamp(const std::string& name, uint64_t contents);

  const DockerClient& client_;
  std::string container_id_;
  std::filesystem::path host_dir_;
  std::string container_dir_;
  std::map<std::string, Known> known_;  // by name relative to the work folder
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_WORKSPACE_SYNC_H_
