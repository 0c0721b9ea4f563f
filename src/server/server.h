// Server: `codeexec serve` as an object: a Service, the native API and Piston's on a Router, and
// an HttpServer in front, with the token and the Host/Origin checks. Tests and benchmarks run it
// in-process; the command runs it until SIGTERM or SIGINT.
//
// More front ends mount on router() before Start() (the MCP engineer's /mcp; see router.h), and
// reach the same sessions through service(); their blocking work goes to control().
//
// Threads: Create, Start and Shutdown from one thread (not an I/O thread). Shutdown(grace) stops
// accepting, lets running executions finish for up to `grace`, cancels the rest, frees every
// session, closes the connections and joins every thread; the destructor does it with no grace.
#ifndef CODEEXEC_SRC_SERVER_SERVER_H_
#define CODEEXEC_SRC_SERVER_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "codeexec/error.h"
#include "server/access.h"
#include "server/http_server.h"
#include "server/router.h"
#include "service/service.h"
#include "service/work_queue.h"

namespace codeexec::server {

struct ServerOptions {
  service::ServiceOptions service;
  HttpServerOptions http;
  // Required unless `no_auth` (which only a loopback listener may use).
  std::string token;
  bool no_auth = false;
  // Threads and queue for blocking control operations (sessions, files, runtimes).
  std::size_t control_workers = 4;
  std::size_t control_queue = 256;
};

class Server {
 public:
  // Validates the options, starts the Service (and with it a first executor) and listens. Errors
  // say which option to change.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Router& router() { return router_; }
  service::Service& service() { return *service_; }
  service::WorkQueue& control() { return *control_; }
  uint16_t port() const { return http_->port(); }
  bool loopback() const { return loopback_; }

  void Start();
  void Shutdown(std::chrono::milliseconds grace);

 private:
  Server() = default;

  ServerOptions options_;
  bool loopback_ = true;
  std::unique_ptr<AccessGuard> guard_;
  std::unique_ptr<service::Service> service_;
  std::unique_ptr<service::WorkQueue> control_;
  Router router_;
  std::unique_ptr<HttpServer> http_;
  bool shut_down_ = false;
};

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_SERVER_H_
