// Service: code execution as a service, independent of any transport. The HTTP server (`codeexec
// serve`) and the MCP front ends (`codeexec mcp`, /mcp) are thin layers over one Service.
//
// What it does:
//   - one-shot executions, each in a fresh workspace (executor + work folder) taken from a small
//     pool of ready ones when the request uses the default executor's configuration, thrown away
//     after (on a cleanup thread, off the request's path);
//   - sessions: a workspace kept between requests under an unguessable id (128 random bits),
//     freed when deleted, after `idle_timeout` without use, or at shutdown;
//   - files placed in a work folder before a run, fetched after it, and read, written and listed
//     in a session's folder, all confined to that folder and within its limits;
//   - admission: at most `max_concurrent` executions run at once and `max_queue` wait; beyond
//     that Execute refuses with kBusy (retry later) instead of piling work up; at most
//     `max_sessions` sessions;
//   - what clients may choose (ExecutorPolicy): the operator's executors and limits are maxima;
//   - metrics (Metrics).
//
// Threads. Every method may be called from any thread. Execute() returns at once: the execution
// runs on one of the service's workers, its events go to the hooks' sink on an executor thread,
// and `on_done` runs once on the worker when it ends. The other methods block while they work
// (creating a session starts its executor: a kernel, a container), so event-loop front ends call
// them from a thread of their own (see server/). Hooks must not call back into the service; what
// a front end needs from the work folder after a run, on_finished reads there and then.
//
// Cancellation. An execution ends early, its processes killed and its result `cancelled`, when
// the caller's token fires (a client that went away), when its session is deleted or restarted,
// and at shutdown. Shutdown(grace) stops taking requests, lets running executions finish for up
// to `grace`, cancels the rest, frees every session and ready workspace, and removes the service's
// root folder: afterwards nothing of the service is left (no process, container, kernel, folder).
// The destructor shuts down with no grace.
//
// Errors are ServiceErrors (service_error.h) whose messages say what was wrong and what to do.
#ifndef CODEEXEC_SRC_SERVICE_SERVICE_H_
#define CODEEXEC_SRC_SERVICE_SERVICE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/registry.h"
#include "codeexec/types.h"
#include "core/confined_folder.h"
#include "service/executor_policy.h"
#include "service/files.h"
#include "service/metrics.h"
#include "service/ready_pool.h"
#include "service/requests.h"
#include "service/service_error.h"
#include "service/session.h"
#include "service/work_queue.h"

namespace codeexec::service {

struct ServiceOptions {
  PolicyOptions policy;
  // Executions running at once (0: the number of cores) and waiting beyond them.
  std::size_t max_concurrent = 0;
  std::size_t max_queue = 100;
  std::size_t max_sessions = 256;
  // A session's idle time before it is freed: the default, and the most a client may ask for.
  std::chrono::seconds session_idle_timeout{600};
  // Ready workspaces of the default executor kept for one-shot executions (0: none).
  std::size_t ready_executors = 2;
  // Where work folders go: a new folder codeexec-serve-XXXXXX is made in it (empty: $TMPDIR or
  // /tmp) and removed at shutdown.
  std::filesystem::path work_root;
  // A file read or written through the API, and the files one execution returns together.
  std::size_t max_file_bytes = std::size_t{64} << 20;
  std::size_t max_fetch_bytes = std::size_t{16} << 20;
  // Limits on files placed through the API in folders whose executor sets none (local, jupyter).
  FolderLimits default_folder_limits{512ull << 20, 16384};
  // Entries a listing returns at most.
  std::size_t max_list_entries = 10000;
  // Start one workspace of the default executor in Create(), so that a server that cannot run
  // code refuses to start with the executor's own explanation.
  bool check_default_executor = true;
  // Null: DefaultExecutorRegistry(). Must outlive the service.
  const ExecutorRegistry* registry = nullptr;
};

// What an execution produced.
struct ExecuteOutcome {
  std::string executor;
  CodeResult result;
  std::vector<FetchedFile> fetched;
  bool fetch_requested = false;
  // The work folder on this host (gone already for one-shot executions): paths in `result` are
  // under it.
  std::filesystem::path work_dir;

  // The result as clients get it: CodeResultToJson's fields with paths relative to the work
  // folder, plus "executor", and "fetched" ([{path, encoding: "base64", content, size} or
  // {path, error}]) when files were asked for.
  nlohmann::json ToJson() const;
};

struct ExecuteHooks {
  // Each event as JSON (EventToJson's fields, paths relative to the work folder), as it happens.
  std::function<void(const nlohmann::json& event)> on_event;
  // Fires when the caller no longer wants the result (a client gone): the execution is cancelled.
  CancellationToken cancel;
  // Called on the worker after the run succeeded, before on_done, while the work folder is still
  // there and held: to read back what the run wrote (MCP returns the images it made) without a
  // second trip through the service.
  std::function<void(const ConfinedFolder& folder, const ExecuteOutcome& outcome)> on_finished;
  // Called exactly once when Execute() succeeded, on a worker thread.
  std::function<void(ServiceResult<ExecuteOutcome> outcome)> on_done;
};

class Service {
 public:
  // Checks the policy, makes the root folder, starts the workers, the ready pool and the idle
  // reaper, and (check_default_executor) one workspace of the default executor. kInvalidArgument
  // for options to fix; the default executor's own error when it cannot start.
  static Result<std::unique_ptr<Service>> Create(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Queues an execution in session `session_id` ("" for a one-shot one). Refusals (nothing
  // queued, on_done not called): kBadRequest for a bad request or language, kNotFound for an
  // unknown session, kForbidden for an executor not allowed, kBusy when the queue is full,
  // kUnavailable while shutting down. Failures once running (the executor cannot start, the
  // session was deleted) come through on_done.
  ServiceResult<void> Execute(std::string_view session_id, ExecuteRequest request,
                              ExecuteHooks hooks);
  // Execute() and wait for it, for callers without an event loop (MCP over stdio).
  ServiceResult<ExecuteOutcome> ExecuteAndWait(
      std::string_view session_id, ExecuteRequest request,
      std::function<void(const nlohmann::json&)> on_event = {}, CancellationToken cancel = {});

  // Starts a session's executor and returns Describe() of the session (with its "id").
  // kBusy when max_sessions are open.
  ServiceResult<nlohmann::json> CreateSession(const SessionRequest& request);
  nlohmann::json ListSessions() const;
  ServiceResult<nlohmann::json> DescribeSession(std::string_view id) const;
  // Cancels what runs in the session and frees everything it holds.
  ServiceResult<void> DeleteSession(std::string_view id);
  // Cancels what runs and resets the executor (a new kernel); the files stay.
  ServiceResult<void> RestartSession(std::string_view id);

  ServiceResult<void> WriteFile(std::string_view id, std::string_view path, std::string_view bytes);
  // At most `max_bytes` (0: the service's max_file_bytes; never more).
  ServiceResult<std::string> ReadFile(std::string_view id, std::string_view path,
                                      std::size_t max_bytes = 0);
  ServiceResult<nlohmann::json> ListFiles(std::string_view id, std::string_view path);

  // What `codeexec languages --json` prints.
  nlohmann::json Languages() const;
  // ExecutorPolicy::Describe().
  nlohmann::json Executors() const { return policy_.Describe(); }
  Metrics& metrics() { return metrics_; }
  std::string RenderMetrics() const;

  const ExecutorPolicy& policy() const { return policy_; }
  const ServiceOptions& options() const { return options_; }
  const std::filesystem::path& root() const { return root_.path(); }
  std::size_t session_count() const;

  void Shutdown(std::chrono::milliseconds grace);

 private:
  struct Execution;
  explicit Service(ServiceOptions options, ExecutorPolicy policy, ConfinedFolder root);

  ServiceResult<std::shared_ptr<Session>> Find(std::string_view id) const;
  ServiceResult<void> CheckLanguages(const std::vector<CodeBlock>& blocks,
                                     std::string_view executor) const;
  void Run(Execution& execution);
  ServiceResult<ExecuteOutcome> RunIn(Workspace& workspace, Execution& execution);
  void Discard(std::unique_ptr<Workspace> workspace);
  void ReapIdleSessions();

  const ServiceOptions options_;
  const ExecutorRegistry& registry_;
  const ExecutorPolicy policy_;
  ConfinedFolder root_;
  ExecutorChoice default_choice_;
  Metrics metrics_;
  CancellationToken shutdown_token_;

  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Session>, std::less<>> sessions_;
  std::size_t sessions_starting_ = 0;
  std::size_t in_flight_ = 0;
  bool shutting_down_ = false;
  bool shut_down_ = false;

  std::unique_ptr<WorkQueue> executions_;
  std::unique_ptr<WorkQueue> cleanup_;
  std::unique_ptr<ReadyPool> pool_;
  std::thread reaper_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_SERVICE_H_
