// `codeexec serve`: code execution as an HTTP service (docs/server.md): the native API with
// sessions, files and NDJSON streaming, Piston's API, Prometheus metrics. Safe by default: the
// sandbox executor, a token (random and printed at start unless given), Host/Origin checks on
// loopback addresses, limits on everything. SIGTERM or SIGINT shuts it down without leftovers.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "cli/service_flags.h"
#include "mcp/http_transport.h"
#include "server/server.h"
#include "service/random_id.h"

namespace codeexec::cli {
namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  ServiceFlags service;
  std::vector<std::string> allow_executors;
  std::vector<std::string> config_for;
  std::optional<std::string> token;
  std::optional<std::string> token_file;
  bool no_auth = false;
  std::size_t max_queue = 100;
  std::size_t max_sessions = 256;
  double session_idle_timeout = 600;
  std::size_t max_body = std::size_t{10} << 20;
  std::size_t ready_executors = 2;
  double client_timeout = 30;
  std::size_t io_threads = 2;
  double shutdown_grace = 10;
};

// HOST:PORT, [V6]:PORT, or a bare port.
bool ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  std::size_t colon = text.rfind(':');
  std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
  *host = colon == std::string::npos ? "127.0.0.1" : text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (*host == "localhost") *host = "127.0.0.1";
  char* end = nullptr;
  long value = strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || value < 0 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return !host->empty();
}

std::string Trim(std::string text) {
  auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  return text.substr(start);
}

// The token and whether it was made here (to be printed), or a message.
std::optional<std::pair<std::string, bool>> ChooseToken(const ServeFlags& flags,
                                                        std::string* error) {
  if (flags.no_auth) return std::pair<std::string, bool>{"", false};
  if (flags.token) return std::pair{*flags.token, false};
  if (flags.token_file) {
    auto text = ReadMessageFile(*flags.token_file, error);
    if (!text) return std::nullopt;
    std::string token = Trim(*text);
    if (token.empty()) {
      *error = "--token-file " + *flags.token_file + " is empty";
      return std::nullopt;
    }
    return std::pair{token, false};
  }
  if (const char* env = getenv("CODEEXEC_TOKEN"); env && *env)
    return std::pair{std::string(env), false};
  auto made = service::RandomHex(service::kTokenBytes);
  if (!made) {
    *error = made.error().message();
    return std::nullopt;
  }
  return std::pair{*made, true};
}

// More descriptors: a server holds a few per session and per connection.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Serve(const ServeFlags& flags) {
  server::ServerOptions options;
  if (!ParseListen(flags.listen, &options.http.host, &options.http.port)) {
    return Fail(kUsageError, "--listen takes HOST:PORT, for example 127.0.0.1:8080");
  }
  std::string error;
  auto token = ChooseToken(flags, &error);
  if (!token) return Fail(kUsageError, error);
  options.token = token->first;
  options.no_auth = flags.no_auth;
  service::ServiceOptions& service = options.service;
  if (!ApplyServiceFlags(flags.service, &service, &error)) return Fail(kUsageError, error);
  service.policy.allowed = flags.allow_executors;
  for (const std::string& item : flags.config_for) {
    std::size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Fail(kUsageError, "--config-for takes NAME=JSON or NAME=@FILE");
    }
    auto text = TextOrFile(item.substr(eq + 1), &error);
    if (!text) return Fail(kUsageError, error);
    service.policy.configs[item.substr(0, eq)] = *text;
  }
  service.max_queue = flags.max_queue;
  service.max_sessions = flags.max_sessions;
  service.session_idle_timeout =
      std::chrono::seconds(static_cast<int64_t>(flags.session_idle_timeout));
  service.ready_executors = flags.ready_executors;
  options.http.max_body = flags.max_body;
  options.http.io_threads = flags.io_threads;
  options.http.client_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(flags.client_timeout * 1000));

  // SIGINT and SIGTERM are taken by one thread (blocked in every thread started from here on),
  // which sets `stop`; SIGPIPE from a vanished client must not end the server.
  signal(SIGPIPE, SIG_IGN);
  CancellationToken stop;
  SignalCanceller signals(stop);
  RaiseOpenFileLimit();

  auto server = server::Server::Create(std::move(options));
  if (!server) {
    return Fail(server.error().code() == ErrorCode::kInvalidArgument ? kUsageError : kFailure,
                server.error().message());
  }
  // MCP over Streamable HTTP at /mcp, on the same sessions, limits and checks (docs/mcp.md).
  mcp::McpContext mcp_context((*server)->service(), (*server)->control());
  const service::ServiceOptions& limits = (*server)->service().options();
  mcp::StreamableHttp mcp_http(mcp_context,
                               {"/mcp", limits.session_idle_timeout, limits.max_sessions});
  mcp_http.Mount((*server)->router());
  (*server)->Start();
  std::string host = flags.listen.find('[') != std::string::npos
                         ? flags.listen.substr(0, flags.listen.rfind(':'))
                         : flags.listen.substr(0, flags.listen.rfind(':'));
  if (host.empty()) host = "127.0.0.1";
  std::string url = fmt::format("http://{}:{}/", host, (*server)->port());
  fmt::print("codeexec serve: listening on {} (executor {}; {})\n", url, flags.service.executor,
             flags.no_auth ? "no authentication" : "token required");
  if (token->second) {
    fmt::print("codeexec serve: token: {}\n", token->first);
    fmt::print("    curl -H 'Authorization: Bearer {}' {}v1/executors\n", token->first, url);
  }
  std::fflush(stdout);

  pollfd wait{stop.wait_fd(), POLLIN, 0};
  while (!stop.IsCancelled()) poll(&wait, 1, 1000);
  fmt::print(stderr, "codeexec serve: shutting down\n");
  (*server)->Shutdown(std::chrono::milliseconds(static_cast<int64_t>(flags.shutdown_grace * 1000)));
  mcp_http.Shutdown();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* status) {
  auto* command = app.add_subcommand(
      "serve",
      "Serve code execution over HTTP: sessions, files, live output, a Piston-compatible "
      "endpoint and metrics (see docs/server.md).");
  auto flags = std::make_shared<ServeFlags>();
  command->add_option("--listen", flags->listen, "HOST:PORT to listen on.")->capture_default_str();
  AddServiceFlags(command, &flags->service, "the files API");
  command
      ->add_option("--allow-executors", flags->allow_executors,
                   "Other executors clients may ask for (comma-separated).")
      ->delimiter(',');
  command->add_option("--config-for", flags->config_for,
                      "NAME=JSON|@FILE: the configuration of another allowed executor "
                      "(repeatable).");
  command->add_option("--token", flags->token,
                      "The token clients send as 'Authorization: Bearer TOKEN' (default: "
                      "CODEEXEC_TOKEN, else a random one, printed).");
  command->add_option("--token-file", flags->token_file, "Read the token from this file.");
  command->add_flag("--no-auth", flags->no_auth,
                    "No token (only with a loopback --listen address).");
  command
      ->add_option("--max-queue", flags->max_queue,
                   "Executions that may wait; beyond, 429 with Retry-After.")
      ->capture_default_str();
  command->add_option("--max-sessions", flags->max_sessions, "Sessions open at once.")
      ->capture_default_str();
  command
      ->add_option("--session-idle-timeout", flags->session_idle_timeout,
                   "Seconds an unused session lives (and the most a client may ask for).")
      ->capture_default_str();
  command->add_option("--max-body", flags->max_body, "Bytes of a JSON request body.")
      ->capture_default_str();
  command
      ->add_option("--ready-executors", flags->ready_executors,
                   "Executors of the default configuration kept ready for one-shot requests.")
      ->capture_default_str();
  command
      ->add_option("--client-timeout", flags->client_timeout,
                   "Seconds a client has to send a request's headers, its body, or to take "
                   "each piece of the answer.")
      ->capture_default_str();
  command->add_option("--io-threads", flags->io_threads, "Threads serving connections.")
      ->capture_default_str();
  command
      ->add_option("--shutdown-grace", flags->shutdown_grace,
                   "Seconds running executions may take to finish at SIGTERM/SIGINT.")
      ->capture_default_str();
  command->callback([flags, status] { *status = Serve(*flags); });
}

}  // namespace codeexec::cli
