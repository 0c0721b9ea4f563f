// McpSession: one MCP session, whatever carries it (stdio, Streamable HTTP). It speaks the
// protocol (initialize with version negotiation, ping, tools/list, tools/call, notifications)
// and runs the tools (tools.h) on the Service, in one service session of its own that is created
// on first use, so that state (a kernel's variables, the work folder's files) lasts across
// tools/call and nothing is shared between MCP sessions. Close() frees it.
//
// Live output: a tools/call of run_code that carries `_meta.progressToken` gets its output as it
// is printed, each piece as the `message` of a notifications/progress. Cancellation: a
// notifications/cancelled naming a running call kills its processes; the call then ends without
// a response, as the specification asks.
//
// Threads. Handle() may be called from any thread and never blocks (event-loop transports call
// it from their I/O threads): what may take time (creating the service session, files, restart)
// runs on the `blocking` queue, executions on the service's own workers. Answers come through
// the request's Outbox, from whichever thread finishes the work. Close() blocks until the
// service session is freed; call it off I/O threads.
#ifndef CODEEXEC_SRC_MCP_SESSION_H_
#define CODEEXEC_SRC_MCP_SESSION_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "codeexec/cancellation.h"
#include "mcp/json_rpc.h"
#include "mcp/tools.h"
#include "service/service.h"
#include "service/work_queue.h"

namespace codeexec::mcp {

// Where the messages about one request go: any notifications about it, then exactly one of
// Respond() or Drop(). Implementations are thread-safe.
class Outbox {
 public:
  virtual ~Outbox() = default;
  // A notification about the request (notifications/progress).
  virtual void Notify(const nlohmann::json& notification) = 0;
  // The response, the last message about the request.
  virtual void Respond(const nlohmann::json& response) = 0;
  // No response will come (the request was cancelled, or the session ended).
  virtual void Drop() = 0;
};

// What every session of one front end shares. `service` and `blocking` must outlive the sessions.
struct McpContext {
  McpContext(service::Service& service_in, service::WorkQueue& blocking_in);

  service::Service& service;
  service::WorkQueue& blocking;
  ToolCatalog catalog;
  nlohmann::json languages;  // Service::Languages(), looked up once
  std::string instructions;  // initialize's `instructions`
};

class McpSession : public std::enable_shared_from_this<McpSession> {
 public:
  explicit McpSession(const McpContext& context) : context_(context) {}
  ~McpSession();
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  // Handles one message. A request's answer goes to `outbox` (which may be null for
  // notifications and responses, which get none).
  void Handle(Message message, std::shared_ptr<Outbox> outbox);

  // Cancels the running calls (they end without a response) and frees the service session.
  // Idempotent; later requests are refused.
  void Close();

  // The revision agreed at initialize; empty before.
  std::string protocol_version() const;

 private:
  struct Call;

  void Initialize(const Message& message, Outbox& outbox);
  void CallTool(const Message& message, const std::shared_ptr<Outbox>& outbox);
  void Cancel(const nlohmann::json& params);
  // Runs the tool of `call`: on the blocking queue, or (`may_block` false) where it is, as far
  // as that needs no blocking call, handing the rest to the blocking queue.
  void RunTool(const std::shared_ptr<Call>& call, bool may_block);
  void RunCode(const std::shared_ptr<Call>& call, bool may_block);
  void Submit(const std::shared_ptr<Call>& call);
  bool has_service_session() const;
  nlohmann::json FileTool(const Call& call);
  nlohmann::json Restart();
  // Sends the call's result (or nothing, when it was cancelled) and forgets it.
  void Finish(const std::shared_ptr<Call>& call, nlohmann::json result);

  // The service session's id, created on first use. `notice` is set when an earlier one had
  // expired (its state is gone, which the model must be told).
  service::ServiceResult<std::string> EnsureServiceSession(std::string* notice);
  // After a kNotFound from the service: whether it was the service session that vanished (then
  // it is forgotten, so that the next EnsureServiceSession makes a new one).
  bool ForgetIfExpired(const std::string& id);
  bool structured() const;

  const McpContext& context_;
  std::mutex create_mutex_;   // one service session is created at a time
  mutable std::mutex mutex_;  // guards what follows
  std::string version_;
  std::string service_session_;
  bool expired_ = false;  // a service session expired and none replaced it yet
  bool closed_ = false;
  std::map<std::string, std::shared_ptr<Call>> calls_;  // running tools/call, by id
};

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_SESSION_H_
