// `codeexec mcp`: an MCP server over stdio (docs/mcp.md), what a desktop MCP host launches with
// {"command": "codeexec", "args": ["mcp"]}. One MCP session for the connection, in a service of
// its own with `codeexec serve`'s executor options and limits; standard output carries only MCP
// messages (logs go to stderr). The end of standard input, SIGTERM or SIGINT ends the session and
// frees its executor, kernel and work folder.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "cli/service_flags.h"
#include "mcp/stdio_transport.h"
#include "service/service.h"

namespace codeexec::cli {
namespace {

struct McpFlags {
  ServiceFlags service;
  std::size_t max_message_size = std::size_t{10} << 20;
};

int ServeMcp(const McpFlags& flags) {
  service::ServiceOptions options;
  std::string error;
  if (!ApplyServiceFlags(flags.service, &options, &error)) return Fail(kUsageError, error);
  options.max_sessions = 1;  // the connection's one session
  // The session lasts as long as the connection: a host may stay idle for days.
  options.session_idle_timeout = std::chrono::hours(24 * 365);
  options.ready_executors = 0;
  // A host waits for `initialize`'s answer: the executor starts at the first tool call instead,
  // and a failure to start is that call's error result.
  options.check_default_executor = false;

  signal(SIGPIPE, SIG_IGN);  // a host gone away: writes fail, and the session ends
  CancellationToken stop;
  SignalCanceller signals(stop);
  auto service = service::Service::Create(std::move(options));
  if (!service) {
    return Fail(service.error().code() == ErrorCode::kInvalidArgument ? kUsageError : kFailure,
                service.error().message());
  }
  service::WorkQueue blocking(
      {std::max<std::size_t>(4, std::thread::hardware_concurrency()), 256, "MCP requests"});
  mcp::McpContext context(**service, blocking);
  mcp::StdioOptions stdio;
  stdio.max_message_bytes = flags.max_message_size;
  auto served = mcp::ServeStdio(context, STDIN_FILENO, STDOUT_FILENO, stop, stdio);
  // The service first: executions that end now still hand their results to `blocking`.
  (*service)->Shutdown(std::chrono::milliseconds(0));
  blocking.Close();
  if (!served) return Fail(kFailure, served.error().message());
  return 0;
}

}  // namespace

void AddMcpCommand(CLI::App& app, int* status) {
  auto* command = app.add_subcommand(
      "mcp",
      "Serve the Model Context Protocol over stdio, for MCP hosts (desktop assistants, IDEs, "
      "agent SDKs): tools run_code, list_languages, write_file, read_file, list_files, restart "
      "(see docs/mcp.md).");
  auto flags = std::make_shared<McpFlags>();
  AddServiceFlags(command, &flags->service, "the file tools");
  command
      ->add_option("--max-message-size", flags->max_message_size,
                   "Bytes of one MCP message; longer ones are refused.")
      ->capture_default_str();
  command->callback([flags, status] { *status = ServeMcp(*flags); });
}

}  // namespace codeexec::cli
