#include "server/api.h"

#include <fmt/format.h>

#include <mutex>

#include "core/embedded_file.h"
#include "service/random_id.h"

CODEEXEC_EMBED_FILE(codeexec_openapi_json, CODEEXEC_OPENAPI_JSON)

namespace codeexec::server {
namespace {

using nlohmann::json;
using service::Service;
using service::ServiceError;
using service::ServiceErrorKind;

constexpr const char* kVersion = "0.1.0";

bool WantsNdjson(const Request& request) {
  auto accept = request.Header("Accept");
  return accept && accept->find("application/x-ndjson") != std::string::npos;
}

std::string Line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// An execution's answer: the result as JSON, or its events as NDJSON ending with the result.
// Events that arrive before the stream's header is sent wait here, so that the answer's status
// can still be an error when the service refuses the execution.
class ExecutionReply : public std::enable_shared_from_this<ExecutionReply> {
 public:
  ExecutionReply(std::shared_ptr<Responder> responder, bool stream)
      : responder_(std::move(responder)), stream_(stream) {}

  service::ExecuteHooks Hooks() {
    service::ExecuteHooks hooks;
    hooks.cancel = responder_->disconnected();
    auto self = shared_from_this();
    if (stream_) hooks.on_event = [self](const json& event) { self->Event(event); };
    hooks.on_done = [self](service::ServiceResult<service::ExecuteOutcome> outcome) {
      self->Done(std::move(outcome));
    };
    return hooks;
  }

  // The execution was queued: a stream starts now.
  void Accepted() {
    if (!stream_) return;
    std::lock_guard lock(mutex_);
    responder_->StartStream(200, {{"Content-Type", "application/x-ndjson"}});
    started_ = true;
    for (std::string& line : early_) responder_->Write(std::move(line));
    early_.clear();
  }

 private:
  void Event(const json& event) {
    std::lock_guard lock(mutex_);
    if (started_) {
      responder_->Write(Line(event));
    } else {
      early_.push_back(Line(event));
    }
  }

  void Done(service::ServiceResult<service::ExecuteOutcome> outcome) {
    std::lock_guard lock(mutex_);
    if (!stream_) {
      responder_->Send(outcome ? JsonValueResponse(200, outcome->ToJson())
                               : ErrorResponse(outcome.error()));
      return;
    }
    json last = outcome ? json{{"type", "result"}, {"result", outcome->ToJson()}}
                        : json{{"type", "error"},
                               {"error",
                                {{"code", ToString(outcome.error().kind)},
                                 {"message", outcome.error().message}}}};
    if (!started_) {  // Done before Accepted(): keep the order
      early_.push_back(Line(last));
      finish_early_ = true;
      return;
    }
    responder_->Write(Line(last));
    responder_->Finish();
  }

 public:
  void FinishIfDone() {
    std::lock_guard lock(mutex_);
    if (finish_early_) responder_->Finish();
  }

 private:
  std::shared_ptr<Responder> responder_;
  const bool stream_;
  std::mutex mutex_;
  bool started_ = false;
  bool finish_early_ = false;
  std::vector<std::string> early_;
};

void Execute(Service& service, const Request& request, std::shared_ptr<Responder> responder,
             std::string_view session_id) {
  auto parsed = service::ParseExecuteRequest(request.body, !session_id.empty());
  if (!parsed) return responder->Send(ErrorResponse(parsed.error()));
  auto reply = std::make_shared<ExecutionReply>(responder, WantsNdjson(request));
  auto queued = service.Execute(session_id, std::move(*parsed), reply->Hooks());
  if (!queued) return responder->Send(ErrorResponse(queued.error()));
  reply->Accepted();
  reply->FinishIfDone();
}

// The session named by the route, or a 404 answer sent already.
bool SessionId(const Request& request, const std::shared_ptr<Responder>& responder,
               std::string* id) {
  *id = request.params.at("id");
  if (service::LooksLikeSessionId(*id)) return true;
  responder->Send(ErrorResponse(
      {ServiceErrorKind::kNotFound, "no session with that id (ids are 32 hex characters)", {}}));
  return false;
}

template <typename T>
Response Answer(const service::ServiceResult<T>& result, int status = 200) {
  if (!result) return ErrorResponse(result.error());
  return JsonValueResponse(status, *result);
}

}  // namespace

std::string_view OpenApiDocument() { return codeexec_openapi_json(); }

int HttpStatus(ServiceErrorKind kind) {
  switch (kind) {
    case ServiceErrorKind::kBadRequest:
      return 400;
    case ServiceErrorKind::kUnauthorized:
      return 401;
    case ServiceErrorKind::kForbidden:
      return 403;
    case ServiceErrorKind::kNotFound:
      return 404;
    case ServiceErrorKind::kConflict:
      return 409;
    case ServiceErrorKind::kTooLarge:
      return 413;
    case ServiceErrorKind::kBusy:
      return 429;
    case ServiceErrorKind::kUnavailable:
      return 503;
    case ServiceErrorKind::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const ServiceError& error) {
  Response response = JsonValueResponse(
      HttpStatus(error.kind),
      json{{"error", {{"code", ToString(error.kind)}, {"message", error.message}}}});
  if (error.kind == ServiceErrorKind::kBusy) {
    response.headers.emplace_back("Retry-After",
                                  std::to_string(std::max<int64_t>(1, error.retry_after.count())));
  }
  return response;
}

Response JsonValueResponse(int status, const json& value) {
  return JsonResponse(status, value.dump(-1, ' ', false, json::error_handler_t::replace));
}

void RunOnControl(service::WorkQueue& control, const std::shared_ptr<Responder>& responder,
                  std::function<Response()> work) {
  auto queued = control.Submit([responder, work = std::move(work)] { responder->Send(work()); });
  if (!queued) responder->Send(ErrorResponse(queued.error()));
}

void AddNativeApi(Router& router, Service& service, service::WorkQueue& control) {
  Service* svc = &service;
  service::WorkQueue* ctl = &control;
  router.Add(
      "GET", "/v1/health",
      [](Request, std::shared_ptr<Responder> r) {
        r->Send(JsonValueResponse(200, {{"status", "ok"}, {"version", kVersion}}));
      },
      RouteOptions{true, 0});
  router.Add("GET", "/v1/openapi.json", [](Request, std::shared_ptr<Responder> r) {
    r->Send(JsonResponse(200, std::string(OpenApiDocument())));
  });
  router.Add("GET", "/v1/languages", [svc](Request, std::shared_ptr<Responder> r) {
    r->Send(JsonValueResponse(200, svc->Languages()));
  });
  router.Add("GET", "/v1/executors", [svc](Request, std::shared_ptr<Responder> r) {
    r->Send(JsonValueResponse(200, svc->Executors()));
  });
  router.Add("GET", "/metrics", [svc](Request, std::shared_ptr<Responder> r) {
    r->Send({200, {{"Content-Type", "text/plain; version=0.0.4"}}, svc->RenderMetrics()});
  });
  router.Add("POST", "/v1/execute", [svc](Request request, std::shared_ptr<Responder> r) {
    Execute(*svc, request, std::move(r), "");
  });
  router.Add("POST", "/v1/sessions", [svc, ctl](Request request, std::shared_ptr<Responder> r) {
    auto parsed = service::ParseSessionRequest(request.body);
    if (!parsed) return r->Send(ErrorResponse(parsed.error()));
    RunOnControl(*ctl, r, [svc, parsed = std::move(*parsed)] {
      return Answer(svc->CreateSession(parsed), 201);
    });
  });
  router.Add("GET", "/v1/sessions", [svc](Request, std::shared_ptr<Responder> r) {
    r->Send(JsonValueResponse(200, svc->ListSessions()));
  });
  router.Add("GET", "/v1/sessions/{id}", [svc](Request request, std::shared_ptr<Responder> r) {
    std::string id;
    if (SessionId(request, r, &id)) r->Send(Answer(svc->DescribeSession(id)));
  });
  router.Add("DELETE", "/v1/sessions/{id}",
             [svc, ctl](Request request, std::shared_ptr<Responder> r) {
               std::string id;
               if (!SessionId(request, r, &id)) return;
               RunOnControl(*ctl, r, [svc, id] {
                 auto deleted = svc->DeleteSession(id);
                 if (!deleted) return ErrorResponse(deleted.error());
                 return Response{204, {}, ""};
               });
             });
  router.Add("POST", "/v1/sessions/{id}/execute",
             [svc](Request request, std::shared_ptr<Responder> r) {
               std::string id;
               if (SessionId(request, r, &id)) Execute(*svc, request, std::move(r), id);
             });
  router.Add("POST", "/v1/sessions/{id}/restart",
             [svc, ctl](Request request, std::shared_ptr<Responder> r) {
               std::string id;
               if (!SessionId(request, r, &id)) return;
               RunOnControl(*ctl, r, [svc, id] {
                 auto restarted = svc->RestartSession(id);
                 if (!restarted) return ErrorResponse(restarted.error());
                 return Answer(svc->DescribeSession(id));
               });
             });
  router.Add("GET", "/v1/sessions/{id}/files",
             [svc, ctl](Request request, std::shared_ptr<Responder> r) {
               std::string id;
               if (!SessionId(request, r, &id)) return;
               std::string path = request.query.count("path") ? request.query["path"] : "";
               RunOnControl(*ctl, r, [svc, id, path] { return Answer(svc->ListFiles(id, path)); });
             });
  router.Add(
      "GET", "/v1/sessions/{id}/files/{path...}",
      [svc, ctl](Request request, std::shared_ptr<Responder> r) {
        std::string id;
        if (!SessionId(request, r, &id)) return;
        RunOnControl(*ctl, r, [svc, id, path = request.params.at("path")] {
          auto bytes = svc->ReadFile(id, path);
          if (!bytes) return ErrorResponse(bytes.error());
          return Response{200, {{"Content-Type", "application/octet-stream"}}, std::move(*bytes)};
        });
      });
  router.Add(
      "PUT", "/v1/sessions/{id}/files/{path...}",
      [svc, ctl](Request request, std::shared_ptr<Responder> r) {
        std::string id;
        if (!SessionId(request, r, &id)) return;
        auto shared = std::make_shared<Request>(std::move(request));
        RunOnControl(*ctl, r, [svc, id, shared] {
          const std::string& path = shared->params.at("path");
          auto written = svc->WriteFile(id, path, shared->body);
          if (!written) return ErrorResponse(written.error());
          return JsonValueResponse(200, {{"path", path}, {"size", shared->body.size()}});
        });
      },
      RouteOptions{false, service.options().max_file_bytes});
}

}  // namespace codeexec::server
