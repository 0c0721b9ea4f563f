// HttpServer: HTTP/1.1 on Boost.Beast/Asio. A few I/O threads serve every connection
// asynchronously (no thread per connection); handlers run on them and hand blocking work to
// workers (http_types.h).
//
// For each request, in this order and before the body is read: the Host and Origin checks
// (AccessGuard; 403), the route (Router; 404, 405), the token unless the route is public (401),
// and the declared body size (413). Then the body is read within its limit (413 past it) and the
// handler called. A client gets `client_timeout` to send a request's headers, again for its body,
// and for taking each piece of the answer; a client that trickles or stalls is disconnected.
// Keep-alive connections idle for `client_timeout` are closed.
//
// While a handler works, the connection watches its socket: a client that disconnects fires the
// Responder's `disconnected()` token (its execution is cancelled). Every answered request is
// counted in the metrics under its route template.
//
// Threads: Listen() and Start() from one thread; StopAccepting(), CloseConnections() and Stop()
// from any thread but an I/O thread. Stop() joins the I/O threads.
#ifndef CODEEXEC_SRC_SERVER_HTTP_SERVER_H_
#define CODEEXEC_SRC_SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "codeexec/error.h"
#include "server/access.h"
#include "server/router.h"
#include "service/metrics.h"

namespace codeexec::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see port())
  std::size_t io_threads = 2;
  // The largest request body, unless a route sets its own.
  std::size_t max_body = std::size_t{10} << 20;
  std::chrono::milliseconds client_timeout{std::chrono::seconds(30)};
  // Connections open at once; more are closed as they arrive.
  std::size_t max_connections = 1024;
};

class HttpServer {
 public:
  // `router`, `guard` and `metrics` must outlive the server.
  HttpServer(HttpServerOptions options, const Router& router, const AccessGuard& guard,
             service::Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. kInvalidArgument for an address that is not one, kUnavailable when it is
  // taken or not ours.
  Result<void> Listen();
  // The port listened on (after Listen()).
  uint16_t port() const;
  // Starts the I/O threads, which accept and serve.
  void Start();
  // Closes the listening socket: no new connection is accepted.
  void StopAccepting();
  // Closes every connection; requests still being answered see `disconnected()`.
  void CloseConnections();
  // Stops the I/O threads and joins them. Idempotent.
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_HTTP_SERVER_H_
