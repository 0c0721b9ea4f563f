#include "service/service.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "codeexec/log.h"
#include "codeexec/registry.h"
#include "core/result_json.h"
#include "service/codec.h"
#include "service/languages_info.h"
#include "service/random_id.h"

namespace codeexec::service {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// `path` relative to `work_dir` when it lies inside it (what a client can name in the files API).
json RelativeTo(const json& path, const fs::path& work_dir) {
  if (!path.is_string()) return path;
  std::string text = path.get<std::string>();
  std::string prefix = work_dir.string() + "/";
  if (text.starts_with(prefix)) return text.substr(prefix.size());
  return path;
}

void RelativizePaths(json& object, const fs::path& work_dir) {
  if (object.contains("code_file")) object["code_file"] = RelativeTo(object["code_file"], work_dir);
  if (object.contains("path")) object["path"] = RelativeTo(object["path"], work_dir);
  if (object.contains("output_files")) {
    for (json& file : object["output_files"]) file = RelativeTo(file, work_dir);
  }
}

constexpr std::string_view kRootPrefix = "codeexec-serve-";
// How long an unlocked root must have been left unchanged before it counts as abandoned: longer
// than the instant between a starting service's mkdtemp and its lock.
constexpr auto kAbandonedAfter = std::chrono::seconds(5);

// Where the service's root goes: `parent`, or $TMPDIR, or /tmp.
std::string RootParent(const fs::path& parent) {
  if (!parent.empty()) return parent.string();
  const char* tmp = getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// A folder for this service's work folders: a new codeexec-serve-XXXXXX under `base`, that only
// this host's root can list.
Result<fs::path> MakeRoot(const std::string& base) {
  std::error_code ec;
  fs::create_directories(base, ec);
  std::string pattern = base + "/" + std::string(kRootPrefix) + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot create a folder in " + base + " for the work folders: " +
                         std::strerror(errno) + ". Choose another with --work-root.");
  }
  // Others may pass through (a container's or the sandbox's user reaches its own folder by
  // name) but not list the folder names.
  chmod(pattern.c_str(), 0711);
  return fs::path(pattern);
}

// Removes the roots that services killed without shutting down (SIGKILL, the OOM killer) left in
// `base`. A live service holds a lock on its root's descriptor for its whole life (flock, freed
// by the kernel when the process dies), so a root of ours that nobody locks and that has not
// changed for kAbandonedAfter belongs to no one.
void ReclaimAbandonedRoots(const std::string& base) {
  UniqueFd parent(open(base.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!parent.valid()) return;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kRootPrefix)) names.push_back(std::move(name));
  }
  auto now = std::chrono::system_clock::now();
  for (const std::string& name : names) {
    UniqueFd root(
        openat(parent.get(), name.c_str(), O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (!root.valid() || fstat(root.get(), &st) != 0 || st.st_uid != geteuid()) continue;
    auto changed = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    if (now - changed < kAbandonedAfter) continue;
    if (flock(root.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a live service's
    std::string path = base + "/" + name;
    auto removed = RemoveTreeAt(parent.get(), name.c_str());
    if (removed) {
      Log(LogLevel::kInfo, "removed " + path + ", left by a server that did not shut down");
    } else {
      Log(LogLevel::kWarning, "cannot remove " + path + " (" + removed.error().message() +
                                  "), left by a server that did not shut down");
    }
  }
}

tl::unexpected<ServiceError> NoSuchSession() {
  return Refuse(ServiceErrorKind::kNotFound,
                "no session with that id: it was deleted, expired after its idle timeout, or "
                "never existed; create one with POST /v1/sessions");
}

}  // namespace

// One queued execution and what it needs.
struct Service::Execution {
  std::shared_ptr<Session> session;  // null: one-shot
  ExecutorChoice choice;             // one-shot
  ExecuteRequest request;
  std::chrono::milliseconds timeout{0};
  CancellationToken token;
  ExecuteHooks hooks;
  uint64_t client_callback = 0;
  uint64_t shutdown_callback = 0;
};

json ExecuteOutcome::ToJson() const {
  json out = CodeResultToJsonValue(result);
  RelativizePaths(out, work_dir);
  for (json& block : out["blocks"]) RelativizePaths(block, work_dir);
  out["executor"] = executor;
  if (fetch_requested) {
    json files = json::array();
    for (const FetchedFile& file : fetched) {
      if (file.bytes) {
        files.push_back({{"path", file.path},
                         {"encoding", "base64"},
                         {"content", EncodeBase64(*file.bytes)},
                         {"size", file.bytes->size()}});
      } else {
        files.push_back({{"path", file.path}, {"error", file.error}});
      }
    }
    out["fetched"] = std::move(files);
  }
  return out;
}

Result<std::unique_ptr<Service>> Service::Create(ServiceOptions options) {
  if (options.max_concurrent == 0) {
    options.max_concurrent = std::max(1u, std::thread::hardware_concurrency());
  }
  if (options.session_idle_timeout < std::chrono::seconds(1)) {
    return MakeError(ErrorCode::kInvalidArgument, "the session idle timeout must be at least 1 s");
  }
  const ExecutorRegistry& registry =
      options.registry ? *options.registry : DefaultExecutorRegistry();
  options.registry = &registry;
  auto policy = ExecutorPolicy::Create(registry, options.policy);
  if (!policy) return tl::unexpected(policy.error());
  std::string root_parent = RootParent(options.work_root);
  ReclaimAbandonedRoots(root_parent);
  auto root_path = MakeRoot(root_parent);
  if (!root_path) return tl::unexpected(root_path.error());
  auto root = ConfinedFolder::Open(*root_path);
  // Held while the service lives (see ReclaimAbandonedRoots).
  if (root && flock(root->fd(), LOCK_EX | LOCK_NB) != 0) {
    root = ErrnoError("lock " + root_path->string(), errno);
  }
  if (!root) {
    std::error_code ec;
    fs::remove(*root_path, ec);
    return tl::unexpected(root.error());
  }
  std::unique_ptr<Service> service(
      new Service(std::move(options), std::move(*policy), std::move(*root)));
  if (service->options_.check_default_executor) {
    auto trial = Workspace::Create(service->registry_, service->root_, service->default_choice_,
                                   service->options_.default_folder_limits);
    if (!trial) {
      service->Shutdown(std::chrono::milliseconds(0));
      ErrorCode code = trial.error().kind == ServiceErrorKind::kBadRequest
                           ? ErrorCode::kInvalidArgument
                           : ErrorCode::kUnavailable;
      return MakeError(code, trial.error().message);
    }
  }
  return service;
}

Service::Service(ServiceOptions options, ExecutorPolicy policy, ConfinedFolder root)
    : options_(std::move(options)),
      registry_(*options_.registry),
      policy_(std::move(policy)),
      root_(std::move(root)) {
  default_choice_ = *policy_.Choose("", nullptr);
  executions_ = std::make_unique<WorkQueue>(
      WorkQueue::Options{options_.max_concurrent, options_.max_queue, "executions"});
  cleanup_ = std::make_unique<WorkQueue>(WorkQueue::Options{1, 4096, "cleanups"});
  pool_ = std::make_unique<ReadyPool>(options_.ready_executors, [this] {
    return Workspace::Create(registry_, root_, default_choice_, options_.default_folder_limits);
  });
  reaper_ = std::thread([this] { ReapIdleSessions(); });
}

Service::~Service() { Shutdown(std::chrono::milliseconds(0)); }

ServiceResult<std::shared_ptr<Session>> Service::Find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return Refuse(ServiceErrorKind::kUnavailable, "the server is shutting down");
  auto found = sessions_.find(id);
  if (found == sessions_.end()) return NoSuchSession();
  return found->second;
}

ServiceResult<void> Service::CheckLanguages(const std::vector<CodeBlock>& blocks,
                                            std::string_view executor) const {
  bool jupyter = executor == "jupyter";
  if (!jupyter && executor != "local" && executor != "sandbox" && executor != "docker") {
    return {};  // a user's executor knows its own languages
  }
  for (const CodeBlock& block : blocks) {
    const LanguageSpec* spec = LanguageTable::Default().Find(block.language);
    bool known = spec != nullptr;
    if (jupyter)
      known = known && (spec->name == "python" || spec->name == "bash" || spec->name == "sh");
    if (!known) {
      std::string names;
      if (jupyter) {
        names = "python, bash, sh (the jupyter executor's)";
      } else {
        for (const auto& language : LanguageTable::Default().languages()) {
          names += (names.empty() ? "" : ", ") + language.name;
        }
      }
      return Refuse(ServiceErrorKind::kBadRequest,
                    block.language.empty()
                        ? "a block has no language: tag its fence (```python) or give 'language'"
                        : "unknown language '" + block.language + "' (known: " + names +
                              "; GET /v1/languages lists them with their aliases)");
    }
  }
  return {};
}

ServiceResult<void> Service::Execute(std::string_view session_id, ExecuteRequest request,
                                     ExecuteHooks hooks) {
  auto execution = std::make_shared<Execution>();
  std::string executor;
  if (session_id.empty()) {
    auto choice = policy_.Choose(request.executor, request.config);
    if (!choice) return tl::unexpected(choice.error());
    execution->choice = std::move(*choice);
    executor = execution->choice.name;
  } else {
    auto session = Find(session_id);
    if (!session) return tl::unexpected(session.error());
    execution->session = std::move(*session);
    execution->choice = execution->session->workspace().choice();
    executor = execution->choice.name;
  }
  auto checked = CheckLanguages(request.blocks, executor);
  if (!checked) return checked;
  if (executor == "jupyter" && (request.standard_input || !request.args.empty())) {
    return Refuse(ServiceErrorKind::kBadRequest,
                  "the jupyter executor takes no 'stdin' or 'args': a kernel has no standard "
                  "input and no command line");
  }
  auto timeout = policy_.CallTimeout(execution->choice, request.timeout_seconds);
  if (!timeout) return tl::unexpected(timeout.error());
  execution->timeout = *timeout;
  execution->request = std::move(request);
  execution->hooks = std::move(hooks);
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) {
      return Refuse(ServiceErrorKind::kUnavailable, "the server is shutting down");
    }
    ++in_flight_;
  }
  // A session counts as used from now, so that it cannot expire while the request waits.
  if (execution->session) execution->session->Begin();
  CancellationToken token = execution->token;
  execution->client_callback = execution->hooks.cancel.OnCancel([token] { token.Cancel(); });
  execution->shutdown_callback = shutdown_token_.OnCancel([token] { token.Cancel(); });
  auto submitted = executions_->Submit([this, execution] { Run(*execution); });
  if (!submitted) {
    execution->hooks.cancel.RemoveCallback(execution->client_callback);
    shutdown_token_.RemoveCallback(execution->shutdown_callback);
    if (execution->session) execution->session->End();
    std::lock_guard lock(mutex_);
    --in_flight_;
    changed_.notify_all();
    return submitted;
  }
  return {};
}

ServiceResult<ExecuteOutcome> Service::ExecuteAndWait(std::string_view session_id,
                                                      ExecuteRequest request,
                                                      std::function<void(const json&)> on_event,
                                                      CancellationToken cancel) {
  std::promise<ServiceResult<ExecuteOutcome>> promise;
  auto future = promise.get_future();
  ExecuteHooks hooks;
  hooks.on_event = std::move(on_event);
  hooks.cancel = std::move(cancel);
  hooks.on_done = [&promise](ServiceResult<ExecuteOutcome> outcome) {
    promise.set_value(std::move(outcome));
  };
  auto queued = Execute(session_id, std::move(request), std::move(hooks));
  if (!queued) return tl::unexpected(queued.error());
  return future.get();
}

ServiceResult<ExecuteOutcome> Service::RunIn(Workspace& workspace, Execution& execution) {
  const ExecuteRequest& request = execution.request;
  if (!request.files.empty()) {
    auto placed = PlaceFiles(workspace.files(), request.files, workspace.limits());
    if (!placed) return tl::unexpected(placed.error());
  }
  ExecutionOptions options;
  options.cancel = execution.token;
  options.timeout = execution.timeout;
  options.standard_input = request.standard_input;
  options.args = request.args;
  const fs::path& work_dir = workspace.path();
  if (execution.hooks.on_event) {
    options.on_event = [&](const ExecutionEvent& event) {
      json value = EventToJsonValue(event);
      RelativizePaths(value, work_dir);
      execution.hooks.on_event(value);
    };
  }
  auto result = workspace.executor().ExecuteCodeBlocks(request.blocks, options);
  if (!result) {
    if (execution.session && result.error().code() == ErrorCode::kFailedPrecondition) {
      return Refuse(ServiceErrorKind::kNotFound, "the session was deleted");
    }
    return Unexpected(result.error());
  }
  ExecuteOutcome outcome;
  outcome.executor = workspace.choice().name;
  outcome.result = std::move(*result);
  outcome.work_dir = work_dir;
  if (!request.fetch.empty()) {
    outcome.fetch_requested = true;
    auto fetched = FetchFiles(workspace.files(), request.fetch, options_.max_file_bytes,
                              options_.max_fetch_bytes);
    if (!fetched) return tl::unexpected(fetched.error());
    outcome.fetched = std::move(*fetched);
  }
  if (execution.hooks.on_finished) execution.hooks.on_finished(workspace.files(), outcome);
  return outcome;
}

void Service::Run(Execution& execution) {
  auto start = std::chrono::steady_clock::now();
  ServiceResult<ExecuteOutcome> outcome =
      Refuse(ServiceErrorKind::kUnavailable, "the execution was cancelled before it started");
  if (!execution.token.IsCancelled()) {
    if (execution.session) {
      outcome = RunIn(execution.session->workspace(), execution);
    } else {
      std::unique_ptr<Workspace> workspace;
      if (execution.choice.name == default_choice_.name && execution.choice.operator_config) {
        workspace = pool_->Take();
      }
      if (!workspace) {
        auto made =
            Workspace::Create(registry_, root_, execution.choice, options_.default_folder_limits);
        if (made) {
          workspace = std::move(*made);
        } else {
          outcome = tl::unexpected(made.error());
        }
      }
      if (workspace) {
        outcome = RunIn(*workspace, execution);
        Discard(std::move(workspace));
      }
    }
  }
  metrics_.CountExecution(execution.choice.name,
                          outcome ? ToString(outcome->result.status) : "failed",
                          std::chrono::steady_clock::now() - start);
  execution.hooks.cancel.RemoveCallback(execution.client_callback);
  shutdown_token_.RemoveCallback(execution.shutdown_callback);
  if (execution.session) execution.session->End();
  if (execution.hooks.on_done) execution.hooks.on_done(std::move(outcome));
  std::lock_guard lock(mutex_);
  --in_flight_;
  changed_.notify_all();
}

void Service::Discard(std::unique_ptr<Workspace> workspace) {
  auto shared = std::make_shared<std::unique_ptr<Workspace>>(std::move(workspace));
  auto queued = cleanup_->Submit([shared] { shared->reset(); });
  if (!queued) shared->reset();  // cleanup queue full or closed: close it here
}

ServiceResult<json> Service::CreateSession(const SessionRequest& request) {
  auto choice = policy_.Choose(request.executor, request.config);
  if (!choice) return tl::unexpected(choice.error());
  std::chrono::seconds idle = options_.session_idle_timeout;
  if (request.idle_timeout_seconds) {
    double seconds = *request.idle_timeout_seconds;
    if (!(seconds >= 1 && seconds <= static_cast<double>(idle.count()))) {
      return Refuse(ServiceErrorKind::kBadRequest, "'idle_timeout' must be from 1 to " +
                                                       std::to_string(idle.count()) +
                                                       " seconds on this server");
    }
    idle = std::chrono::seconds(static_cast<int64_t>(seconds));
  }
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) {
      return Refuse(ServiceErrorKind::kUnavailable, "the server is shutting down");
    }
    if (sessions_.size() + sessions_starting_ >= options_.max_sessions) {
      ServiceError error{ServiceErrorKind::kBusy,
                         "the server holds its maximum of " +
                             std::to_string(options_.max_sessions) +
                             " sessions: delete one you no longer need, or try again once idle "
                             "ones have expired",
                         std::chrono::seconds(10)};
      return tl::unexpected(std::move(error));
    }
    ++sessions_starting_;
  }
  auto id = RandomHex(kSessionIdBytes);
  ServiceResult<std::unique_ptr<Workspace>> workspace =
      id ? Workspace::Create(registry_, root_, *choice, options_.default_folder_limits)
         : Unexpected(id.error());
  std::unique_lock lock(mutex_);
  --sessions_starting_;
  changed_.notify_all();
  if (!workspace) return tl::unexpected(workspace.error());
  if (shutting_down_) {
    lock.unlock();
    (*workspace)->Close();
    return Refuse(ServiceErrorKind::kUnavailable, "the server is shutting down");
  }
  auto session = std::make_shared<Session>(*id, std::move(*workspace), idle);
  sessions_[*id] = session;
  lock.unlock();
  return session->Describe();
}

json Service::ListSessions() const {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) sessions.push_back(session);
  }
  json out = json::array();
  for (const auto& session : sessions) out.push_back(session->Describe());
  return out;
}

ServiceResult<json> Service::DescribeSession(std::string_view id) const {
  auto session = Find(id);
  if (!session) return tl::unexpected(session.error());
  return (*session)->Describe();
}

ServiceResult<void> Service::DeleteSession(std::string_view id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto found = sessions_.find(id);
    if (found == sessions_.end()) return NoSuchSession();
    session = std::move(found->second);
    sessions_.erase(found);
  }
  session->workspace().Close();
  return {};
}

ServiceResult<void> Service::RestartSession(std::string_view id) {
  auto session = Find(id);
  if (!session) return tl::unexpected(session.error());
  SessionUse use(**session);
  auto restarted = (*session)->workspace().executor().Restart();
  if (!restarted) {
    if (restarted.error().code() == ErrorCode::kFailedPrecondition) {
      return Refuse(ServiceErrorKind::kNotFound, "the session was deleted");
    }
    return Unexpected(restarted.error());
  }
  return {};
}

ServiceResult<void> Service::WriteFile(std::string_view id, std::string_view path,
                                       std::string_view bytes) {
  auto session = Find(id);
  if (!session) return tl::unexpected(session.error());
  SessionUse use(**session);
  Workspace& workspace = (*session)->workspace();
  return PlaceFiles(workspace.files(), {{std::string(path), std::string(bytes)}},
                    workspace.limits());
}

ServiceResult<std::string> Service::ReadFile(std::string_view id, std::string_view path,
                                             std::size_t max_bytes) {
  auto session = Find(id);
  if (!session) return tl::unexpected(session.error());
  SessionUse use(**session);
  if (max_bytes == 0 || max_bytes > options_.max_file_bytes) max_bytes = options_.max_file_bytes;
  return ReadFolderFile((*session)->workspace().files(), path, max_bytes);
}

ServiceResult<json> Service::ListFiles(std::string_view id, std::string_view path) {
  auto session = Find(id);
  if (!session) return tl::unexpected(session.error());
  SessionUse use(**session);
  return ListFolder((*session)->workspace().files(), path, options_.max_list_entries);
}

json Service::Languages() const {
  const char* path = getenv("PATH");
  return LanguagesJson(LanguageRows(path ? path : ""));
}

std::size_t Service::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::string Service::RenderMetrics() const {
  Metrics::Gauges gauges;
  gauges.queue_length = executions_->queued();
  gauges.running = executions_->running();
  gauges.sessions = session_count();
  gauges.ready_executors = pool_->ready();
  return metrics_.Render(gauges);
}

void Service::ReapIdleSessions() {
  std::unique_lock lock(mutex_);
  while (!shutting_down_) {
    changed_.wait_for(lock, std::chrono::seconds(1));
    std::vector<std::shared_ptr<Session>> expired;
    auto now = Session::Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->Expired(now)) {
        expired.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
    if (expired.empty()) continue;
    lock.unlock();
    for (auto& session : expired) {
      Log(LogLevel::kInfo, "session " + session->id().substr(0, 8) + "... expired after " +
                               std::to_string(session->idle_timeout().count()) + " s idle");
      session->workspace().Close();
    }
    expired.clear();
    lock.lock();
  }
}

void Service::Shutdown(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::unique_lock lock(mutex_);
    if (shutting_down_) {
      changed_.wait(lock, [this] { return shut_down_; });
      return;
    }
    shutting_down_ = true;
    changed_.notify_all();
    // Running and queued executions may finish within the grace period.
    changed_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
  }
  shutdown_token_.Cancel();  // what still runs ends now, its processes killed
  if (reaper_.joinable()) reaper_.join();
  executions_->Close();
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return sessions_starting_ == 0; });
    for (auto& [id, session] : sessions_) sessions.push_back(std::move(session));
    sessions_.clear();
  }
  for (auto& session : sessions) session->workspace().Close();
  sessions.clear();
  pool_->Close();
  cleanup_->Close();
  Result<void> removed = {};
  UniqueFd parent(open(root_.path().parent_path().c_str(), O_DIRECTORY | O_CLOEXEC | O_RDONLY));
  removed = parent.valid() ? RemoveTreeAt(parent.get(), root_.path().filename().c_str())
                           : ErrnoError("open " + root_.path().parent_path().string(), errno);
  if (!removed) {
    Log(LogLevel::kWarning, "removing " + root_.path().string() + ": " + removed.error().message());
  }
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  changed_.notify_all();
}

}  // namespace codeexec::service
