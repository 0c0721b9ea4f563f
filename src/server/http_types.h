// The HTTP server's handler interface, in plain types (no Beast), so that a front end such as
// MCP's Streamable HTTP can mount its own handler without knowing the transport.
//
// A Handler receives the Request (headers and the whole body, already checked for size, auth and
// Host/Origin) and a Responder, and answers through the Responder exactly once: either Send() a
// whole response, or StartStream() then any number of Write()s then Finish() (a chunked
// response: NDJSON, Server-Sent Events). Handlers run on an I/O thread and must not block:
// blocking work goes to a worker (Service::Execute, or the server's control queue), whose thread
// then answers through the Responder, which may be used from any thread.
//
// When the client goes away before the answer is complete, `disconnected()` fires (so that an
// execution it started is cancelled) and later calls on the Responder do nothing.
#ifndef CODEEXEC_SRC_SERVER_HTTP_TYPES_H_
#define CODEEXEC_SRC_SERVER_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codeexec/cancellation.h"

namespace codeexec::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::map<std::string, std::string> query;
  Headers headers;
  std::string body;
  // The values of the route's {name} and {name...} segments, by name.
  std::map<std::string, std::string> params;
  // The route template that matched ("/v1/sessions/{id}"), for metrics.
  std::string route;

  // The first header called `name` (case-insensitive).
  std::optional<std::string> Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Type among them; Content-Length is set by the server
  std::string body;
};

class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(Response response) = 0;
  // A chunked response: its status and headers now, the body as it comes.
  virtual void StartStream(int status, Headers headers) = 0;
  virtual void Write(std::string chunk) = 0;
  virtual void Finish() = 0;
  // Fires when the client has gone away (or the server shuts down) before the answer completed.
  virtual const CancellationToken& disconnected() const = 0;
};

using Handler = std::function<void(Request request, std::shared_ptr<Responder> responder)>;

// A JSON response (the body is JSON text).
Response JsonResponse(int status, std::string body);

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_HTTP_TYPES_H_
