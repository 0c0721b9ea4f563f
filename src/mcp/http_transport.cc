#include "mcp/http_transport.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "codeexec/log.h"
#include "mcp/tools.h"
#include "service/random_id.h"

namespace codeexec::mcp {
namespace {

using nlohmann::json;
using server::Headers;
using server::Request;
using server::Responder;
using server::Response;
using Clock = std::chrono::steady_clock;

constexpr const char* kSessionHeader = "Mcp-Session-Id";
constexpr const char* kVersionHeader = "MCP-Protocol-Version";

// A JSON-RPC error as an HTTP answer (transport-level refusals carry one too, so that JSON-RPC
// clients can show its message).
Response RpcErrorResponse(int status, const json& id, int code, std::string message) {
  return server::JsonResponse(status, Serialize(ErrorResponse(id, {code, std::move(message)})));
}

bool Accepts(const Request& request, std::string_view type) {
  auto accept = request.Header("Accept");
  return accept && accept->find(type) != std::string::npos;
}

std::string SseEvent(const json& message) {
  return "event: message\ndata: " + Serialize(message) + "\n\n";
}

}  // namespace

struct StreamableHttp::Entry {
  std::string id;
  std::shared_ptr<McpSession> session;
  std::mutex mutex;  // guards what follows
  Clock::time_point last_used = Clock::now();
  int in_flight = 0;                  // requests not answered yet
  std::shared_ptr<Responder> stream;  // the GET stream, if open

  void Touch(int delta) {
    std::lock_guard lock(mutex);
    in_flight += delta;
    last_used = Clock::now();
  }
  bool Idle(Clock::time_point now, std::chrono::seconds timeout) {
    std::lock_guard lock(mutex);
    return in_flight == 0 && now - last_used > timeout;
  }
  void EndStream() {
    std::shared_ptr<Responder> open;
    {
      std::lock_guard lock(mutex);
      open = std::move(stream);
    }
    if (open) open->Finish();
  }
};

namespace {

// One POST's answer: a JSON response, or Server-Sent Events started on the first message.
class HttpOutbox : public Outbox {
 public:
  HttpOutbox(std::shared_ptr<Responder> responder, bool sse, Headers headers,
             std::function<void()> on_end)
      : responder_(std::move(responder)),
        sse_(sse),
        headers_(std::move(headers)),
        on_end_(std::move(on_end)) {}

  void Notify(const json& notification) override {
    if (!sse_) return;  // a JSON answer has room for the response only
    std::lock_guard lock(mutex_);
    if (ended_) return;
    StartLocked();
    responder_->Write(SseEvent(notification));
  }

  void Respond(const json& response) override {
    {
      std::lock_guard lock(mutex_);
      if (ended_) return;
      ended_ = true;
      if (sse_) {
        StartLocked();
        responder_->Write(SseEvent(response));
        responder_->Finish();
      } else {
        Response answer = server::JsonResponse(200, Serialize(response));
        for (auto& header : headers_) answer.headers.push_back(header);
        responder_->Send(std::move(answer));
      }
    }
    End();
  }

  void Drop() override {
    {
      std::lock_guard lock(mutex_);
      if (ended_) return;
      ended_ = true;
      if (started_) {
        responder_->Finish();
      } else {
        Response answer{202, headers_, ""};
        responder_->Send(std::move(answer));
      }
    }
    End();
  }

 private:
  void StartLocked() {
    if (started_) return;
    started_ = true;
    Headers headers = headers_;
    headers.emplace_back("Content-Type", "text/event-stream");
    responder_->StartStream(200, std::move(headers));
  }
  void End() {
    if (on_end_) on_end_();
    on_end_ = nullptr;
  }

  std::shared_ptr<Responder> responder_;
  const bool sse_;
  const Headers headers_;
  std::function<void()> on_end_;
  std::mutex mutex_;
  bool started_ = false;
  bool ended_ = false;
};

}  // namespace

StreamableHttp::StreamableHttp(const McpContext& context, HttpTransportOptions options)
    : context_(context), options_(std::move(options)) {}

StreamableHttp::~StreamableHttp() { Shutdown(); }

void StreamableHttp::Mount(server::Router& router) {
  router.Add("POST", options_.path, [this](Request request, std::shared_ptr<Responder> responder) {
    Post(std::move(request), std::move(responder));
  });
  router.Add("GET", options_.path, [this](Request request, std::shared_ptr<Responder> responder) {
    Get(std::move(request), std::move(responder));
  });
  router.Add("DELETE", options_.path,
             [this](Request request, std::shared_ptr<Responder> responder) {
               Delete(std::move(request), std::move(responder));
             });
}

std::size_t StreamableHttp::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void StreamableHttp::Post(Request request, std::shared_ptr<Responder> responder) {
  Sweep();
  auto content_type = request.Header("Content-Type");
  if (!content_type || content_type->find("application/json") == std::string::npos) {
    return responder->Send(RpcErrorResponse(
        415, nullptr, kInvalidRequest,
        "Unsupported Media Type: POST a JSON-RPC message as 'Content-Type: application/json'"));
  }
  auto parsed = ParseMessage(request.body);
  if (!parsed) {
    return responder->Send(RpcErrorResponse(400, parsed.error().id, parsed.error().error.code,
                                            parsed.error().error.message));
  }
  Message message = std::move(*parsed);
  bool sse = Accepts(request, "text/event-stream") && message.method == "tools/call";
  if (message.kind == Message::Kind::kRequest && message.method == "initialize") {
    return Initialize(std::move(message), sse, std::move(responder));
  }
  auto entry = Lookup(request, *responder);
  if (!entry) return;
  if (auto version = request.Header(kVersionHeader)) {
    const auto& supported = SupportedProtocolVersions();
    if (std::find(supported.begin(), supported.end(), *version) == supported.end()) {
      return responder->Send(RpcErrorResponse(
          400, message.kind == Message::Kind::kRequest ? message.id : json(nullptr),
          kInvalidRequest,
          fmt::format("Bad Request: unsupported {} '{}' (this server speaks {})", kVersionHeader,
                      *version, fmt::join(supported, ", "))));
    }
  }
  if (message.kind != Message::Kind::kRequest) {
    entry->Touch(0);
    entry->session->Handle(std::move(message), nullptr);
    return responder->Send(Response{202, {}, ""});
  }
  entry->Touch(+1);
  std::weak_ptr<Entry> weak = entry;
  auto outbox = std::make_shared<HttpOutbox>(responder, sse, Headers{}, [weak] {
    if (auto live = weak.lock()) live->Touch(-1);
  });
  if (message.method == "tools/call") {
    // A client gone mid-call cannot get the result (no resumable streams here): stop the run.
    std::weak_ptr<McpSession> session = entry->session;
    json id = message.id;
    responder->disconnected().OnCancel([session, id] {
      auto live = session.lock();
      if (!live) return;
      Message cancel;
      cancel.kind = Message::Kind::kNotification;
      cancel.method = "notifications/cancelled";
      cancel.params = {{"requestId", id}, {"reason", "the client disconnected"}};
      live->Handle(std::move(cancel), nullptr);
    });
  }
  entry->session->Handle(std::move(message), std::move(outbox));
}

void StreamableHttp::Initialize(Message message, bool sse, std::shared_ptr<Responder> responder) {
  auto id = service::RandomHex(service::kSessionIdBytes);
  if (!id) {
    return responder->Send(RpcErrorResponse(500, message.id, kInternalError, id.error().message()));
  }
  auto entry = std::make_shared<Entry>();
  entry->id = *id;
  entry->session = std::make_shared<McpSession>(context_);
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) {
      return responder->Send(
          RpcErrorResponse(503, message.id, kInternalError, "the server is shutting down"));
    }
    if (sessions_.size() >= options_.max_sessions) {
      return responder->Send(RpcErrorResponse(
          503, message.id, kInternalError,
          fmt::format("Service Unavailable: {} MCP sessions are open, the most this server "
                      "takes; end one (DELETE) or retry later",
                      options_.max_sessions)));
    }
    sessions_[entry->id] = entry;
  }
  entry->Touch(+1);
  std::weak_ptr<Entry> weak = entry;
  auto outbox = std::make_shared<HttpOutbox>(std::move(responder), sse,
                                             Headers{{kSessionHeader, entry->id}}, [weak] {
                                               if (auto live = weak.lock()) live->Touch(-1);
                                             });
  entry->session->Handle(std::move(message), std::move(outbox));
  if (entry->session->protocol_version().empty()) {  // refused: no session was opened
    std::lock_guard lock(mutex_);
    sessions_.erase(entry->id);
  }
}

std::shared_ptr<StreamableHttp::Entry> StreamableHttp::Lookup(const Request& request,
                                                              Responder& responder) {
  auto id = request.Header(kSessionHeader);
  if (!id) {
    responder.Send(RpcErrorResponse(
        400, nullptr, kInvalidRequest,
        fmt::format("Bad Request: no {} header; send 'initialize' first, then the id it returned "
                    "with every request",
                    kSessionHeader)));
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(*id);
  if (found == sessions_.end()) {
    responder.Send(RpcErrorResponse(
        404, nullptr, kInvalidRequest,
        "Session not found: it ended (deleted, or idle past the server's timeout) or never "
        "existed; send 'initialize' for a new one"));
    return nullptr;
  }
  return found->second;
}

void StreamableHttp::Get(Request request, std::shared_ptr<Responder> responder) {
  if (!Accepts(request, "text/event-stream")) {
    return responder->Send(
        RpcErrorResponse(406, nullptr, kInvalidRequest,
                         "Not Acceptable: GET opens a Server-Sent Events stream; send 'Accept: "
                         "text/event-stream'"));
  }
  auto entry = Lookup(request, *responder);
  if (!entry) return;
  {
    std::lock_guard lock(entry->mutex);
    if (entry->stream && !entry->stream->disconnected().IsCancelled()) {
      return responder->Send(RpcErrorResponse(409, nullptr, kInvalidRequest,
                                              "Conflict: this session's stream is open already"));
    }
    entry->stream = responder;
    entry->last_used = Clock::now();
  }
  responder->StartStream(200, {{"Content-Type", "text/event-stream"}, {kSessionHeader, entry->id}});
}

void StreamableHttp::Delete(Request request, std::shared_ptr<Responder> responder) {
  auto entry = Lookup(request, *responder);
  if (!entry) return;
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(entry->id);
  }
  auto queued = context_.blocking.Submit([entry, responder] {
    entry->session->Close();
    entry->EndStream();
    responder->Send(Response{200, {}, ""});
  });
  if (!queued) {
    responder->Send(RpcErrorResponse(503, nullptr, kInternalError, queued.error().message));
    CloseLater({entry});  // retried by Shutdown at the latest
  }
}

void StreamableHttp::Sweep() {
  std::vector<std::shared_ptr<Entry>> idle;
  auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->Idle(now, options_.idle_timeout)) {
        Log(LogLevel::kInfo, "MCP session ended after being idle past the server's timeout");
        idle.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!idle.empty()) CloseLater(std::move(idle));
}

void StreamableHttp::CloseLater(std::vector<std::shared_ptr<Entry>> entries) {
  auto queued = context_.blocking.Submit([entries] {
    for (const auto& entry : entries) {
      entry->session->Close();
      entry->EndStream();
    }
  });
  if (queued) return;
  // The queue refused (full, or stopping): end their streams now; their service sessions are
  // freed by the service's idle timeout, or at its shutdown.
  for (const auto& entry : entries) entry->EndStream();
}

void StreamableHttp::Shutdown() {
  std::map<std::string, std::shared_ptr<Entry>> sessions;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    sessions.swap(sessions_);
  }
  for (auto& [id, entry] : sessions) {
    entry->session->Close();
    entry->EndStream();
  }
}

}  // namespace codeexec::mcp
