// MCP over Streamable HTTP (specification revision 2025-06-18, "Transports"), mounted on
// `codeexec serve`'s router at one path (/mcp) for POST, GET and DELETE. The server's own checks
// come first on every request (Host/Origin on loopback listeners, the bearer token, the body
// limit), so a request that reaches these handlers is allowed to talk to the server.
//
//   POST   one JSON-RPC message. `initialize` opens an MCP session, whose id comes back in the
//          Mcp-Session-Id header and must be sent with every later request (400 without it, 404
//          for an unknown or ended one: the client then initializes again). Notifications and
//          responses get 202 and no body. A tools/call is answered as Server-Sent Events when the
//          client accepts them (its progress notifications, then the response); everything else
//          as one JSON response. A bad MCP-Protocol-Version header gets 400.
//   GET    the session's stream for messages the server starts; this server starts none, so the
//          stream stays open and quiet until the session ends (one per session: 409 for more).
//   DELETE ends the session: its running calls are cancelled and its executor and work folder
//          freed before the answer.
//
// A client that disconnects while its tools/call runs cancels that call (this server does not
// resume streams, so nobody could receive its result). A session unused for `idle_timeout` is
// ended as if deleted, when the next request arrives or by Sweep(); its executor is freed by the
// service's own idle timeout in any case.
//
// Threads: handlers run on the server's I/O threads and never block; blocking work goes to the
// context's `blocking` queue. Shutdown() from any thread but an I/O thread.
#ifndef CODEEXEC_SRC_MCP_HTTP_TRANSPORT_H_
#define CODEEXEC_SRC_MCP_HTTP_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mcp/session.h"
#include "server/router.h"

namespace codeexec::mcp {

struct HttpTransportOptions {
  std::string path = "/mcp";
  // An MCP session unused this long is ended.
  std::chrono::seconds idle_timeout{600};
  // MCP sessions open at once; initialize beyond gets 503.
  std::size_t max_sessions = 256;
};

class StreamableHttp {
 public:
  // `context` must outlive this object.
  StreamableHttp(const McpContext& context, HttpTransportOptions options);
  ~StreamableHttp();
  StreamableHttp(const StreamableHttp&) = delete;
  StreamableHttp& operator=(const StreamableHttp&) = delete;

  // Adds POST, GET and DELETE at options.path. Before the server starts.
  void Mount(server::Router& router);

  // Ends the sessions unused past the idle timeout.
  void Sweep();
  // Ends every session (their executors freed). Later requests get 404.
  void Shutdown();

  std::size_t session_count() const;

 private:
  struct Entry;

  void Post(server::Request request, std::shared_ptr<server::Responder> responder);
  void Get(server::Request request, std::shared_ptr<server::Responder> responder);
  void Delete(server::Request request, std::shared_ptr<server::Responder> responder);
  void Initialize(Message message, bool sse, std::shared_ptr<server::Responder> responder);
  // The session the request names, or null after answering the refusal.
  std::shared_ptr<Entry> Lookup(const server::Request& request, server::Responder& responder);
  // Closes sessions on the blocking queue (Close() waits for the service).
  void CloseLater(std::vector<std::shared_ptr<Entry>> entries);

  const McpContext& context_;
  const HttpTransportOptions options_;
  mutable std::mutex mutex_;  // guards what follows
  std::map<std::string, std::shared_ptr<Entry>> sessions_;
  bool shut_down_ = false;
};

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_HTTP_TRANSPORT_H_
