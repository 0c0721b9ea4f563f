#include "mcp/session.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "codeexec/log.h"
#include "mcp/schema_check.h"

namespace codeexec::mcp {
namespace {

using nlohmann::json;
using service::ServiceError;
using service::ServiceErrorKind;
using service::ServiceResult;

constexpr const char* kServerVersion = "0.1.0";
// Images a run_code result carries at most, and their bytes together.
constexpr std::size_t kMaxImages = 8;
constexpr std::size_t kMaxImageBytes = std::size_t{8} << 20;
// What read_file returns at most: more would not fit a model's context anyway.
constexpr std::size_t kMaxReadBytes = std::size_t{4} << 20;
// File times come from the kernel's coarse clock, which may lag the precise one by a tick.
constexpr auto kClockSlack = std::chrono::milliseconds(20);

// The images a run made, read from its folder: what the executor reported (a kernel's plots),
// then image files modified since `since`; at most kMaxImages of kMaxImageBytes together.
std::vector<ImageFile> CollectImages(const ConfinedFolder& folder,
                                     const service::ExecuteOutcome& outcome,
                                     std::chrono::system_clock::time_point since,
                                     const service::ServiceOptions& limits) {
  std::vector<std::string> paths;
  for (const auto& file : outcome.result.output_files) {
    std::string path = file.lexically_relative(outcome.work_dir).string();
    if (!path.empty() && !path.starts_with("..")) paths.push_back(path);
  }
  auto nanoseconds =
      std::chrono::duration_cast<std::chrono::nanoseconds>(since.time_since_epoch()).count();
  auto changed = service::FilesModifiedSince(folder, nanoseconds, limits.max_list_entries);
  if (changed) paths.insert(paths.end(), changed->begin(), changed->end());
  std::vector<ImageFile> images;
  std::size_t total = 0;
  for (const std::string& path : paths) {
    std::string_view mime = ImageMimeType(path);
    if (mime.empty() || images.size() >= kMaxImages) continue;
    if (std::any_of(images.begin(), images.end(), [&](const auto& i) { return i.path == path; })) {
      continue;
    }
    std::size_t room = std::min(kMaxImageBytes - total, limits.max_file_bytes);
    auto bytes = service::ReadFolderFile(folder, path, room);
    if (!bytes) continue;  // too large, or gone: the model can still read_file it
    total += bytes->size();
    images.push_back({path, std::string(mime), std::move(*bytes)});
  }
  return images;
}

std::string Instructions(const ExecutorFacts& facts) {
  return fmt::format(
      "codeexec runs code for you in its '{}' executor: call run_code with a language and the "
      "code. This session has a work folder of its own (the code's current directory) that keeps "
      "its files between calls{}; write_file, read_file and list_files reach it. Nothing is "
      "shared with other sessions.",
      facts.name, facts.stateful ? ", and a kernel that keeps variables until restart" : "");
}

json Progress(const json& token, double progress, std::string_view message) {
  return Notification("notifications/progress",
                      {{"progressToken", token}, {"progress", progress}, {"message", message}});
}

std::string ExpiredNotice() {
  return "Note: this session's previous executor was freed after being idle past the server's "
         "session timeout; its variables and files are gone, and this call ran in a new one.";
}

}  // namespace

struct McpSession::Call {
  json id;
  std::string tool;
  json arguments;
  json progress_token;  // null: no progress wanted
  std::shared_ptr<Outbox> outbox;
  CancellationToken cancel;
  std::atomic<bool> cancelled{false};
  std::atomic<int> progress{0};
};

McpContext::McpContext(service::Service& service_in, service::WorkQueue& blocking_in)
    : service(service_in),
      blocking(blocking_in),
      catalog(DescribeExecutor(service_in)),
      languages(service_in.Languages()),
      instructions(Instructions(catalog.facts())) {}

McpSession::~McpSession() { Close(); }

std::string McpSession::protocol_version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

bool McpSession::structured() const { return HasStructuredContent(protocol_version()); }

void McpSession::Handle(Message message, std::shared_ptr<Outbox> outbox) {
  if (message.kind == Message::Kind::kResponse) return;  // this server sends no requests
  if (message.kind == Message::Kind::kNotification) {
    if (message.method == "notifications/cancelled") Cancel(message.params);
    // notifications/initialized and any other notification need nothing from us.
    return;
  }
  auto fail = [&](int code, std::string text) {
    outbox->Respond(ErrorResponse(message.id, {code, std::move(text)}));
  };
  {
    std::lock_guard lock(mutex_);
    if (closed_) return fail(kInvalidRequest, "the session has ended");
  }
  if (message.method == "initialize") return Initialize(message, *outbox);
  if (message.method == "ping") return outbox->Respond(ResultResponse(message.id, json::object()));
  bool known = message.method == "tools/list" || message.method == "tools/call";
  if (known && protocol_version().empty()) {
    return fail(kInvalidRequest, "the session is not initialized: send 'initialize' first");
  }
  if (message.method == "tools/list") {
    if (message.params.contains("cursor")) {
      return fail(kInvalidParams, "invalid cursor: tools/list has a single page");
    }
    return outbox->Respond(
        ResultResponse(message.id, {{"tools", context_.catalog.List(protocol_version())}}));
  }
  if (message.method == "tools/call") return CallTool(message, outbox);
  fail(kMethodNotFound, fmt::format("Method not found: '{}' (this server offers initialize, ping, "
                                    "tools/list and tools/call)",
                                    message.method));
}

void McpSession::Initialize(const Message& message, Outbox& outbox) {
  const json& requested = message.params.contains("protocolVersion")
                              ? message.params["protocolVersion"]
                              : json(nullptr);
  if (!requested.is_string()) {
    return outbox.Respond(ErrorResponse(
        message.id, {kInvalidParams, "initialize needs 'protocolVersion', a string such as \"" +
                                         SupportedProtocolVersions().front() + "\""}));
  }
  const auto& supported = SupportedProtocolVersions();
  // The client's revision when this server speaks it, else the newest one this server speaks
  // (the client then decides whether it can go on).
  std::string version = requested.get<std::string>();
  if (std::find(supported.begin(), supported.end(), version) == supported.end()) {
    version = supported.front();
  }
  {
    std::lock_guard lock(mutex_);
    if (!version_.empty()) {
      return outbox.Respond(
          ErrorResponse(message.id, {kInvalidRequest, "the session is initialized already"}));
    }
    version_ = version;
  }
  json info = {{"name", "codeexec"}, {"version", kServerVersion}};
  if (HasStructuredContent(version)) info["title"] = "codeexec code execution";
  outbox.Respond(
      ResultResponse(message.id, {{"protocolVersion", version},
                                  {"capabilities", {{"tools", {{"listChanged", false}}}}},
                                  {"serverInfo", std::move(info)},
                                  {"instructions", context_.instructions}}));
}

void McpSession::CallTool(const Message& message, const std::shared_ptr<Outbox>& outbox) {
  auto fail = [&](std::string text) {
    outbox->Respond(ErrorResponse(message.id, {kInvalidParams, std::move(text)}));
  };
  const json& params = message.params;
  if (!params.contains("name") || !params["name"].is_string()) {
    return fail("tools/call needs 'name', the tool's name as a string");
  }
  std::string name = params["name"];
  const json* tool = context_.catalog.Find(name);
  if (!tool) {
    return fail(fmt::format("Unknown tool: '{}' (tools/list names the tools)", name));
  }
  json arguments = params.value("arguments", json::object());
  if (arguments.is_null()) arguments = json::object();
  if (auto error = CheckSchema((*tool)["inputSchema"], arguments, "")) {
    return fail(fmt::format("Invalid arguments for tool {}: {}", name, *error));
  }
  auto call = std::make_shared<Call>();
  call->id = message.id;
  call->tool = name;
  call->arguments = std::move(arguments);
  call->outbox = outbox;
  if (params.contains("_meta") && params["_meta"].is_object()) {
    json token = params["_meta"].value("progressToken", json(nullptr));
    if (token.is_string() || token.is_number_integer()) call->progress_token = token;
  }
  {
    std::lock_guard lock(mutex_);
    if (!calls_.emplace(IdKey(message.id), call).second) {
      return outbox->Respond(
          ErrorResponse(message.id, {kInvalidRequest, "a request with this id is still running"}));
    }
  }
  // run_code in a session whose executor runs already only queues an execution, which never
  // blocks: done here, without a hop through the blocking queue.
  if (name == "run_code" && has_service_session()) return RunTool(call, /*may_block=*/false);
  Submit(call);
}

void McpSession::Submit(const std::shared_ptr<Call>& call) {
  auto self = shared_from_this();
  auto queued = context_.blocking.Submit([self, call] { self->RunTool(call, true); });
  if (!queued) Finish(call, ErrorResult(queued.error().message));
}

bool McpSession::has_service_session() const {
  std::lock_guard lock(mutex_);
  return !service_session_.empty();
}

void McpSession::Cancel(const json& params) {
  if (!params.contains("requestId")) return;  // malformed: ignored, as the specification asks
  std::shared_ptr<Call> call;
  {
    std::lock_guard lock(mutex_);
    auto found = calls_.find(IdKey(params["requestId"]));
    if (found == calls_.end()) return;  // finished already, or never known
    call = found->second;
  }
  Log(LogLevel::kInfo, fmt::format("MCP call {} cancelled by the client{}", IdKey(call->id),
                                   params.contains("reason") && params["reason"].is_string()
                                       ? ": " + params["reason"].get<std::string>()
                                       : ""));
  call->cancelled = true;
  call->cancel.Cancel();
}

void McpSession::RunTool(const std::shared_ptr<Call>& call, bool may_block) {
  if (call->cancelled) return Finish(call, json::object());
  try {
    if (call->tool == "run_code") return RunCode(call, may_block);
    if (call->tool == "list_languages") {
      return Finish(call,
                    LanguagesResult(context_.catalog.facts(), context_.languages, structured()));
    }
    if (call->tool == "restart") return Finish(call, Restart());
    Finish(call, FileTool(*call));
  } catch (const std::exception& e) {  // a bug must not take the session down
    Log(LogLevel::kError, fmt::format("MCP tool {} failed: {}", call->tool, e.what()));
    Finish(call, ErrorResult(fmt::format("internal error in {}: {}", call->tool, e.what())));
  }
}

void McpSession::RunCode(const std::shared_ptr<Call>& call, bool may_block) {
  json body = {{"language", call->arguments["language"]}, {"code", call->arguments["code"]}};
  if (call->arguments.contains("timeout")) body["timeout"] = call->arguments["timeout"];
  std::string notice;
  auto start = std::chrono::system_clock::now();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto request = service::ParseExecuteRequestValue(body, /*for_session=*/true);
    if (!request) return Finish(call, ErrorResult(request.error().message));
    // Making a service session starts an executor: only where blocking is allowed.
    if (!may_block && !has_service_session()) return Submit(call);
    auto id = EnsureServiceSession(&notice);
    if (!id) return Finish(call, ErrorResult(id.error().message));
    service::ExecuteHooks hooks;
    hooks.cancel = call->cancel;
    if (!call->progress_token.is_null()) {
      hooks.on_event = [call](const json& event) {
        const std::string type = event.value("type", "");
        if (type != "stdout" && type != "stderr" && type != "note") return;
        if (call->cancelled) return;
        call->outbox->Notify(Progress(call->progress_token, ++call->progress,
                                      event["text"].get_ref<const std::string&>()));
      };
    }
    // The images are read on the worker, while the folder is held: no second trip.
    auto images = std::make_shared<std::vector<ImageFile>>();
    const service::ServiceOptions& limits = context_.service.options();
    hooks.on_finished = [images, start, &limits](const ConfinedFolder& folder,
                                                 const service::ExecuteOutcome& outcome) {
      *images = CollectImages(folder, outcome, start - kClockSlack, limits);
    };
    auto self = shared_from_this();
    hooks.on_done = [self, call, images, notice](ServiceResult<service::ExecuteOutcome> outcome) {
      if (!outcome) return self->Finish(call, ErrorResult(outcome.error().message));
      self->Finish(call, RunCodeResult(*outcome, *images, notice, self->structured()));
    };
    auto queued = context_.service.Execute(*id, std::move(*request), std::move(hooks));
    if (queued) return;
    if (queued.error().kind == ServiceErrorKind::kNotFound && ForgetIfExpired(*id)) continue;
    return Finish(call, ErrorResult(queued.error().message));
  }
  Finish(call, ErrorResult("the session's executor could not be found; try again"));
}

json McpSession::FileTool(const Call& call) {
  const json& args = call.arguments;
  std::string notice;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto id = EnsureServiceSession(&notice);
    if (!id) return ErrorResult(id.error().message);
    std::string path = args.value("path", "");
    ServiceError error;
    if (call.tool == "write_file") {
      auto bytes = service::DecodeContent(args["content"], args.value("encoding", "utf8"),
                                          "content", /*allow_hex=*/false);
      if (!bytes) return ErrorResult(bytes.error().message);
      auto written = context_.service.WriteFile(*id, path, *bytes);
      if (written) return WriteFileResult(path, bytes->size(), structured());
      error = written.error();
    } else if (call.tool == "read_file") {
      auto bytes = context_.service.ReadFile(*id, path, kMaxReadBytes);
      if (bytes) return ReadFileResult(path, *bytes, structured());
      error = bytes.error();
      if (error.kind == ServiceErrorKind::kTooLarge) {
        error.message += fmt::format(
            "; read_file returns at most {} MiB: look at a part with run_code (head, tail, "
            "sed) instead",
            kMaxReadBytes >> 20);
      }
    } else {
      auto listing = context_.service.ListFiles(*id, path);
      if (listing) return ListFilesResult(*listing, structured());
      error = listing.error();
    }
    if (error.kind == ServiceErrorKind::kNotFound && ForgetIfExpired(*id)) continue;
    return ErrorResult(error.message);
  }
  return ErrorResult("the session's work folder could not be found; try again");
}

json McpSession::Restart() {
  std::string id;
  {
    std::lock_guard lock(mutex_);
    id = service_session_;
  }
  std::string done = context_.catalog.facts().stateful
                         ? "Restarted: a new kernel, with no variables; the files are kept."
                         : "Restarted; the files are kept.";
  if (id.empty()) return RestartResult(done, structured());  // nothing started yet
  auto restarted = context_.service.RestartSession(id);
  if (restarted) return RestartResult(done, structured());
  if (restarted.error().kind == ServiceErrorKind::kNotFound && ForgetIfExpired(id)) {
    return RestartResult(done, structured());  // it is gone: the next call starts afresh
  }
  return ErrorResult(restarted.error().message);
}

void McpSession::Finish(const std::shared_ptr<Call>& call, json result) {
  bool closed;
  {
    std::lock_guard lock(mutex_);
    calls_.erase(IdKey(call->id));
    closed = closed_;
  }
  if (call->cancelled || closed) return call->outbox->Drop();
  call->outbox->Respond(ResultResponse(call->id, std::move(result)));
}

ServiceResult<std::string> McpSession::EnsureServiceSession(std::string* notice) {
  std::lock_guard create(create_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return service::Refuse(ServiceErrorKind::kUnavailable, "the session has ended");
    if (!service_session_.empty()) return service_session_;
  }
  auto created = context_.service.CreateSession(service::SessionRequest{});
  if (!created) return tl::unexpected(created.error());
  std::string id = (*created)["id"];
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    (void)context_.service.DeleteSession(id);
    return service::Refuse(ServiceErrorKind::kUnavailable, "the session has ended");
  }
  service_session_ = id;
  if (expired_) {
    *notice = ExpiredNotice();
    expired_ = false;
  }
  return id;
}

bool McpSession::ForgetIfExpired(const std::string& id) {
  if (context_.service.DescribeSession(id)) return false;  // it lives: the file was missing
  std::lock_guard lock(mutex_);
  if (service_session_ == id) {
    service_session_.clear();
    expired_ = true;
  }
  return true;
}

void McpSession::Close() {
  std::string id;
  std::map<std::string, std::shared_ptr<Call>> calls;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    id = std::move(service_session_);
    service_session_.clear();
    calls = calls_;
  }
  for (auto& [key, call] : calls) call->cancel.Cancel();
  if (!id.empty()) (void)context_.service.DeleteSession(id);
}

}  // namespace codeexec::mcp
