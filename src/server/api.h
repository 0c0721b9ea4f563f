// The native HTTP API (see docs/server.md and the OpenAPI document at /v1/openapi.json), mounted
// on a Router over a Service:
//   GET  /v1/health (the only public route)   GET /v1/languages   GET /v1/executors
//   GET  /v1/openapi.json                      GET /metrics
//   POST /v1/execute                           one-shot; JSON, or NDJSON events with
//                                              "Accept: application/x-ndjson"
//   POST /v1/sessions   GET /v1/sessions   GET|DELETE /v1/sessions/{id}
//   POST /v1/sessions/{id}/execute   POST /v1/sessions/{id}/restart
//   GET  /v1/sessions/{id}/files[?path=DIR]   PUT|GET /v1/sessions/{id}/files/{path...}
// Errors are {"error": {"code", "message"}} with the status of the ServiceError's kind (429 with
// Retry-After for a full queue). Blocking operations (sessions, files) run on `control`, never on
// an I/O thread; executions on the Service's own workers.
#ifndef CODEEXEC_SRC_SERVER_API_H_
#define CODEEXEC_SRC_SERVER_API_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "server/http_types.h"
#include "server/router.h"
#include "service/service.h"
#include "service/work_queue.h"

namespace codeexec::server {

// The HTTP status for a ServiceError's kind.
int HttpStatus(service::ServiceErrorKind kind);
// {"error": {"code", "message"}} with that status (and Retry-After for kBusy).
Response ErrorResponse(const service::ServiceError& error);
// `value` as a JSON response; invalid UTF-8 in strings is replaced, never thrown on.
Response JsonValueResponse(int status, const nlohmann::json& value);

// Runs `work` on `control` and sends what it returns; a full control queue answers 429.
void RunOnControl(service::WorkQueue& control, const std::shared_ptr<Responder>& responder,
                  std::function<Response()> work);

// The OpenAPI 3.1 document served at /v1/openapi.json (src/server/openapi.json, built in).
std::string_view OpenApiDocument();

void AddNativeApi(Router& router, service::Service& service, service::WorkQueue& control);

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_API_H_
