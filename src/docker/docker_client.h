// DockerClient: the part of the Docker Engine API that codeexec uses, over the daemon's Unix
// socket or TCP (DaemonHttpClient).
//
// Connect() pings the daemon and agrees on an API version (the daemon's, capped at the newest
// this client knows); every later request carries it in its path. Calls map one-to-one to API
// endpoints and return plain structs. A non-2xx answer becomes an Error that quotes the daemon's
// message, with a code derived from the status (404 kNotFound, 409 kFailedPrecondition, 400
// kInvalidArgument, otherwise kInternal); a daemon that stops answering gives kUnavailable or
// kTimeout. Thread-safe: each call uses its own connection.
#ifndef CODEEXEC_SRC_DOCKER_DOCKER_CLIENT_H_
#define CODEEXEC_SRC_DOCKER_DOCKER_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "docker/daemon_http_client.h"
#include "docker/docker_endpoint.h"
#include "process/output_collector.h"
#include "process/unique_fd.h"

namespace codeexec::docker {

// What POST /containers/create needs from us.
struct ContainerConfig {
  std::string name;  // empty: the daemon picks one
  std::string image;
  std::vector<std::string> entrypoint;  // replaces the image's entrypoint and command
  std::string working_dir;
  std::vector<std::string> env;  // NAME=VALUE
  std::map<std::string, std::string> labels;
  std::vector<std::string> binds;            // "host:container[:ro]"
  std::vector<std::string> extra_hosts;      // "name:address"
  std::string network_mode;                  // empty: the daemon's default
  std::string user;                          // empty: the image's
  int64_t memory_bytes = 0;                  // 0: no limit
  int64_t nano_cpus = 0;                     // 0: no limit
  int64_t pids_limit = 0;                    // 0: no limit
  std::map<std::string, std::string> tmpfs;  // path -> mount options ("size=64m")
  std::map<std::string, int64_t> ulimits;    // name ("nofile", "fsize", ...) -> soft = hard
  std::vector<std::string> cap_drop;         // capabilities taken away ("ALL", "MKNOD")
  std::vector<std::string> cap_add;          // capabilities given (back)
  std::vector<std::string> security_opt;     // "no-new-privileges", ...
  // Memory file systems the archive API reaches (unlike `tmpfs`): anonymous volumes of the local
  // driver backed by tmpfs, removed with the container. Target path -> tmpfs mount options
  // ("size=1048576,nr_inodes=100,mode=0777,nosuid,nodev").
  std::map<std::string, std::string> tmpfs_volumes;
  bool auto_remove = false;
  bool open_stdin = false;  // give the container a stdin that attached clients write
  bool stdin_once = true;   // with open_stdin: close it when the first attached client detaches
};

struct ContainerState {
  std::string id;
  std::string name;
  std::string status;  // "created", "running", "exited", ...
  bool running = false;
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
};

struct ContainerSummary {
  std::string id;
  std::string name;
  std::string state;
  std::map<std::string, std::string> labels;
};

struct ExecConfig {
  std::vector<std::string> command;
  std::vector<std::string> env;  // NAME=VALUE, on top of the container's
  std::string working_dir;
  std::string user;
  // What the command reads on stdin (through the runner only); unset: /dev/null.
  std::optional<std::string> standard_input{};
};

struct ExecState {
  bool running = false;
  std::optional<int> exit_code;
  int64_t pid = 0;  // on the daemon's host
};

struct ServerVersion {
  std::string version;      // "20.10.24+dfsg1"
  std::string api_version;  // the daemon's newest
  std::string os;
  std::string arch;  // Go's names: "amd64", "arm64", ...
};

class DockerClient {
 public:
  using Clock = std::chrono::steady_clock;
  using OutputSink = std::function<void(OutputStream stream, std::string_view bytes)>;

  // The newest API version this client speaks, and the oldest it accepts.
  static constexpr std::string_view kMaxApiVersion = "1.43";
  static constexpr std::string_view kMinApiVersion = "1.25";

  // Pings the daemon at `endpoint` and negotiates the API version. An unreachable daemon gives
  // kUnavailable (or kPermissionDenied) with UnreachableMessage's text.
  static Result<DockerClient> Connect(const DockerEndpoint& endpoint,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const DockerEndpoint& endpoint() const { return endpoint_; }
  const std::string& api_version() const { return api_version_; }

  // A copy whose calls also end at `deadline` and as soon as `cancel` fires, whatever their own
  // timeouts (failing with kTimeout: the caller tells which from the token and the clock).
  // StartExec keeps to its StreamControl.
  DockerClient Bounded(Clock::time_point deadline, const CancellationToken& cancel) const;

  Result<ServerVersion> Version() const;

  // kNotFound when the image is not on the daemon.
  Result<void> InspectImage(std::string_view image) const;
  // Pulls `image` from its registry; the daemon's error (no registry, unknown image) as an Error.
  // `progress` sees each progress message as the daemon sends it ("Downloading 12.3MB/45.6MB").
  Result<void> PullImage(std::string_view image,
                         const std::function<void(std::string_view)>& progress = {}) const;

  // Returns the new container's id. A taken name gives kFailedPrecondition.
  Result<std::string> CreateContainer(const ContainerConfig& config) const;
  Result<void> StartContainer(std::string_view id) const;
  Result<ContainerState> InspectContainer(std::string_view id) const;
  Result<void> StopContainer(std::string_view id, int grace_seconds) const;
  Result<void> KillContainer(std::string_view id) const;
  Result<void> RestartContainer(std::string_view id, int grace_seconds) const;
  // Removes the container and its anonymous volumes. kNotFound when there is no such container
  // (already removed).
  Result<void> RemoveContainer(std::string_view id, bool force) const;
  // Containers (running or not) carrying every label in `labels` ("key" or "key=value").
  Result<std::vector<ContainerSummary>> ListContainers(
      const std::vector<std::string>& labels) const;
  // The names of the volumes carrying every label in `labels`.
  Result<std::vector<std::string>> ListVolumes(const std::vector<std::string>& labels) const;
  // Attaches to the container's stdin (and with `output`, its stdout and stderr, multiplexed)
  // and returns the connection for the caller to drive. With `open_stdin` and `stdin_once`, the
  // container's stdin closes when this connection does.
  Result<HeldConnection> Attach(std::string_view id, bool output) const;

  // Extracts the tar archive `tar` into the directory `path` of the container (which may be
  // created and not yet started).
  Result<void> PutArchive(std::string_view id, std::string_view path, std::string tar) const;
  // A tar archive of `path` in the container (its entries named from the path's last
  // component), handed to `sink` as it arrives.
  Result<void> GetArchive(std::string_view id, std::string_view path,
                          const DaemonHttpClient::BodySink& sink) const;

  // Returns the exec's id.
  Result<std::string> CreateExec(std::string_view container_id, const ExecConfig& config) const;
  // Starts the exec and hands its output to `sink` as it arrives, until the exec's streams close
  // (kClosed) or `control` ends the stream (see StreamControl).
  Result<StreamEnd> StartExec(std::string_view exec_id, const StreamControl& control,
                              const OutputSink& sink) const;
  Result<ExecState> InspectExec(std::string_view exec_id) const;

  // Whether the daemon recorded an out-of-memory kill in the container between `since` and
  // `until` (wall-clock seconds since the epoch).
  Result<bool> OomEventBetween(std::string_view container_id, double since, double until) const;

 private:
  DockerClient(DockerEndpoint endpoint, std::string api_version)
      : endpoint_(std::move(endpoint)), http_(endpoint_), api_version_(std::move(api_version)) {}

  // Sends a request to the versioned `path`; a non-2xx answer becomes an Error. `what` names the
  // operation in messages ("create the container").
  Result<HttpResponse> Call(std::string_view method, std::string_view path, std::string body,
                            std::string_view what,
                            std::chrono::milliseconds timeout = std::chrono::minutes(1)) const;
  std::string Versioned(std::string_view path) const;

  DockerEndpoint endpoint_;
  DaemonHttpClient http_;
  std::string api_version_;
  std::optional<CancellationToken> cancel_;  // keeps the bound's descriptor open
};

// "Docker: MESSAGE" from a daemon's JSON error body, or the raw body.
std::string DaemonMessage(const HttpResponse& response);

// `text` percent-encoded for a URL query or path segment.
std::string UrlEncode(std::string_view text);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_DOCKER_CLIENT_H_
