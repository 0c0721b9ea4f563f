// Test harness for `codeexec serve`: starts the real binary (CODEEXEC_CLI) on a free loopback
// port; clients talk to it through HttpClient. Header-only; used by the server's integration
// tests.
#ifndef CODEEXEC_TESTS_SERVER_SERVE_HARNESS_H_
#define CODEEXEC_TESTS_SERVER_SERVE_HARNESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_test_client.h"

extern char** environ;

namespace codeexec::testing {

// The real `codeexec serve` binary, on 127.0.0.1 and a port of the kernel's choice. Stopped with
// SIGTERM on destruction unless stopped before (SIGKILL after 30 s), so that it cleans up after
// itself.
class ServeProcess {
 public:
  // `args` follow "serve --listen 127.0.0.1:0 --token TOKEN".
  explicit ServeProcess(std::vector<std::string> args, std::string token = "test-token-0123456789")
      : token_(std::move(token)) {
    std::vector<std::string> argv = {CODEEXEC_CLI, "serve", "--listen", "127.0.0.1:0"};
    if (!token_.empty()) argv.insert(argv.end(), {"--token", token_});
    argv.insert(argv.end(), args.begin(), args.end());
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    int spawned = posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (spawned != 0) throw std::runtime_error("spawn codeexec");
    out_ = out[0];
    // "codeexec serve: listening on http://127.0.0.1:PORT/ ..."
    static const std::regex kListening(R"(listening on http://[^:]+:(\d+)/)");
    static const std::regex kCurl(R"(curl .*\n|no authentication)");
    std::smatch match;
    // The banner's last line is the curl example when a token was made, else the listening line.
    const std::regex& complete = token_.empty() ? kCurl : kListening;
    while (!std::regex_search(banner_, match, complete)) {
      char buffer[1024];
      ssize_t got = read(out_, buffer, sizeof buffer);
      if (got <= 0) break;
      banner_.append(buffer, static_cast<std::size_t>(got));
    }
    if (!std::regex_search(banner_, match, kListening)) {
      Kill();
      throw std::runtime_error("codeexec serve did not start: " + banner_);
    }
    port_ = static_cast<uint16_t>(std::stoi(match[1]));
  }
  ~ServeProcess() { Terminate(); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& token() const { return token_; }
  // What the server printed at start.
  const std::string& banner() const { return banner_; }
  HttpClient Client() const { return HttpClient(port_, token_); }

  // Sends `signal` and waits for the exit, for at most `bound` (then SIGKILL); the exit status
  // (or -signal).
  int Stop(int signal = SIGTERM, std::chrono::milliseconds bound = std::chrono::hours(1)) {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, signal);
    int status = 0;
    auto end = std::chrono::steady_clock::now() + bound;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > end) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    close(out_);
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_status_;
  }
  void Kill() { Stop(SIGKILL); }
  // SIGTERM, and SIGKILL if the server has not exited 30 s later (a bound against a hang).
  void Terminate() { Stop(SIGTERM, std::chrono::seconds(30)); }

 private:
  std::string token_;
  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  std::string banner_;
  int exit_status_ = 0;
};

// Runs `codeexec serve ARGS` expecting it to refuse to start; its exit status and stderr.
inline std::pair<int, std::string> ServeRefusal(const std::vector<std::string>& args) {
  std::string command = std::string(CODEEXEC_CLI) + " serve";
  for (const auto& arg : args) command += " '" + arg + "'";
  command += " 2>&1 >/dev/null";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = pipe ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_SERVER_SERVE_HARNESS_H_
