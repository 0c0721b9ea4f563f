#include "server/server.h"

#include <thread>

#include "server/api.h"
#include "server/piston.h"

namespace codeexec::server {

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> server(new Server);
  server->loopback_ = IsLoopbackHost(options.http.host);
  if (options.no_auth) {
    if (!server->loopback_) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--no-auth is only allowed with a loopback --listen address (127.0.0.1 or "
                       "[::1]): anyone who can reach " +
                           options.http.host + " could run code");
    }
    options.token.clear();
  } else if (options.token.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no token: give one with --token, --token-file or CODEEXEC_TOKEN");
  }
  server->guard_ = std::make_unique<AccessGuard>(options.token, server->loopback_);
  auto service = service::Service::Create(options.service);
  if (!service) return tl::unexpected(service.error());
  server->service_ = std::move(*service);
  server->control_ = std::make_unique<service::WorkQueue>(service::WorkQueue::Options{
      options.control_workers, options.control_queue, "control operations"});
  AddNativeApi(server->router_, *server->service_, *server->control_);
  AddPistonApi(server->router_, *server->service_, *server->control_);
  server->http_ = std::make_unique<HttpServer>(options.http, server->router_, *server->guard_,
                                               server->service_->metrics());
  auto listening = server->http_->Listen();
  if (!listening) {
    server->service_->Shutdown(std::chrono::milliseconds(0));
    return tl::unexpected(listening.error());
  }
  server->options_ = std::move(options);
  return server;
}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

void Server::Start() { http_->Start(); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // Create() may have failed half-way: only what was built is stopped.
  if (!http_ || !service_ || !control_) {
    if (control_) control_->Close();
    if (service_) service_->Shutdown(std::chrono::milliseconds(0));
    return;
  }
  http_->StopAccepting();
  service_->Shutdown(grace);
  control_->Close();
  // The answers of the executions that just ended are on their way out; give them a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  http_->CloseConnections();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  http_->Stop();
}

}  // namespace codeexec::server
