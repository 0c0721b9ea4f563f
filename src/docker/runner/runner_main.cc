// codeexec-runner: the main process of a Docker executor's container (protocol.h).
//
// It waits for requests on stdin (the container's stdin, which the executor writes through the
// daemon's attach stream) and runs one block at a time: a new session and process group, stdin
// from /dev/null, stdout and stderr on pipes whose bytes it forwards as they arrive. A block ends
// when its main process exits: then, and on a kill request, every other process the block left
// running is killed (all processes of the container but this one when the runner is PID 1, as it
// is in its container; only the block's process group otherwise), and the exit is reported.
//
// It exits, killing everything first, on end-of-file on stdin (the executor closed the attach
// connection or died: the container's lifeline), on a quit request, and on SIGTERM, SIGINT or
// SIGHUP (so `docker stop` is immediate). As PID 1 it also reaps the orphans blocks leave.
//
// Statically linked and free of codeexec's libraries, so that it runs in any Linux image of the
// same architecture. Writes nothing but frames to stdout; diagnostics go to stderr.
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "docker/runner/protocol.h"

extern char** environ;

namespace {

using codeexec::docker::runner::ExitReport;
using codeexec::docker::runner::FrameDecoder;
using codeexec::docker::runner::FrameType;
using codeexec::docker::runner::RunRequest;

// After a block's main process exits, how long its pipes may stay open (held by a process that
// is being killed) before the exit is reported anyway.
constexpr int kDrainMillis = 100;

int64_t NowMillis() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// Writes all of `bytes` to stdout; the executor is gone when that fails.
void WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void SendFrame(FrameType type, std::string_view payload) {
  std::string frame;
  codeexec::docker::runner::AppendFrame(frame, type, payload);
  WriteAll(frame);
}

// The OOM killer's count of kills in this container's memory cgroup (v2, then v1).
bool ReadOomKills(uint64_t& kills) {
  for (const char* path :
       {"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"}) {
    FILE* file = fopen(path, "re");
    if (file == nullptr) continue;
    char name[64];
    unsigned long long value = 0;
    bool found = false;
    while (!found && fscanf(file, "%63s %llu", name, &value) == 2) {
      found = strcmp(name, "oom_kill") == 0;
    }
    fclose(file);
    if (found) {
      kills = value;
      return true;
    }
  }
  return false;
}

// The running block, if any.
struct Block {
  pid_t pid = -1;
  int out = -1, err = -1;
  int in = -1;        // the write end of the block's stdin, while input is left
  std::string input;  // what it has not read yet
  std::size_t input_sent = 0;
  bool exited = false;
  int status = 0;
  int64_t drain_until = 0;
  bool oom_known = false;
  uint64_t oom_before = 0;

  bool active() const { return pid > 0; }
};

Block block;

// Kills everything a block may have left: as the container's PID 1, every other process in it
// (kill(-1) spares the caller); elsewhere only the block's process group.
void KillEverything() {
  if (getpid() == 1) {
    kill(-1, SIGKILL);
  } else if (block.active()) {
    kill(-block.pid, SIGKILL);
  }
}

[[noreturn]] void Quit() {
  KillEverything();
  _exit(0);
}

// `env` over this process's environment.
std::vector<std::string> BlockEnvironment(const std::vector<std::string>& env) {
  std::vector<std::string> merged = env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view name(*entry, strcspn(*entry, "="));
    bool overridden = false;
    for (const std::string& given : env) {
      overridden =
          overridden || (given.size() > name.size() && given.compare(0, name.size(), name) == 0 &&
                         given[name.size()] == '=');
    }
    if (!overridden) merged.emplace_back(*entry);
  }
  return merged;
}

// In the child: execs argv[0], searching PATH (from `envp`, else ours) when it has no slash.
// Returns the errno of the most telling failure.
int ExecSearching(char* const* argv, char* const* envp) {
  if (strchr(argv[0], '/') != nullptr) {
    execve(argv[0], argv, envp);
    return errno;
  }
  const char* path = getenv("PATH");
  for (char* const* entry = envp; *entry != nullptr; ++entry) {
    if (strncmp(*entry, "PATH=", 5) == 0) path = *entry + 5;
  }
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  int failure = ENOENT;
  for (const char* dir = path;; ++dir) {
    const char* end = strchrnul(dir, ':');
    std::string candidate(dir, static_cast<std::size_t>(end - dir));
    candidate += candidate.empty() ? "" : "/";
    candidate += argv[0];
    execve(candidate.c_str(), argv, envp);
    if (errno != ENOENT && errno != ENOTDIR) failure = errno;
    if (*end == '\0') break;
    dir = end;
  }
  return failure;
}

// The child's side of a fork: its own session, stdin from `in` (a pipe the runner feeds) or
// /dev/null, the pipes as stdout and stderr, default signal handling. Reports a failure to start
// through `report` (close-on-exec: it closes unread when the exec succeeds).
[[noreturn]] void StartChild(const RunRequest& request, char* const* argv, char* const* envp,
                             int in, int out, int err, int report) {
  setsid();
  int source = in >= 0 ? in : open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (source >= 0) dup2(source, STDIN_FILENO);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  // The block inherits 0, 1 and 2 only, whatever else the runner has open.
  syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  int failure = 0;
  if (!request.cwd.empty() && chdir(request.cwd.c_str()) != 0) {
    failure = errno;
  } else {
    failure = ExecSearching(argv, envp);
  }
  [[maybe_unused]] ssize_t written = write(report, &failure, sizeof(failure));
  _exit(127);
}

// Writes what the block's stdin can take now; closes it (end of file) once all is written or
// the block stops reading.
void FeedInput() {
  while (block.in >= 0 && block.input_sent < block.input.size()) {
    ssize_t n = write(block.in, block.input.data() + block.input_sent,
                      block.input.size() - block.input_sent);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) break;  // EPIPE (SIGPIPE is ignored): the block stopped reading
    block.input_sent += static_cast<std::size_t>(n);
  }
  if (block.in >= 0) close(block.in);
  block.in = -1;
}

// Starts a block; on failure tells the host why (kFailed).
void StartBlock(const RunRequest& request) {
  std::vector<std::string> env = BlockEnvironment(request.env);
  std::vector<char*> argv, envp;
  for (const std::string& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  for (const std::string& entry : env) envp.push_back(const_cast<char*>(entry.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  int out[2], err[2], report[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0 ||
      (request.standard_input && pipe2(in, O_CLOEXEC) != 0)) {
    std::string payload;
    codeexec::docker::runner::PutU32(payload, static_cast<uint32_t>(errno));
    payload += "cannot make pipes";
    return SendFrame(FrameType::kFailed, payload);
  }
  block = Block();
  block.oom_known = ReadOomKills(block.oom_before);
  pid_t pid = fork();
  if (pid == 0) StartChild(request, argv.data(), envp.data(), in[0], out[1], err[1], report[1]);
  if (in[0] >= 0) close(in[0]);
  close(out[1]);
  close(err[1]);
  close(report[1]);
  int failure = pid < 0 ? errno : 0;
  if (pid > 0 && read(report[0], &failure, sizeof(failure)) != sizeof(failure)) failure = 0;
  close(report[0]);
  if (failure == 0) {
    block.pid = pid;
    block.out = out[0];
    block.err = err[0];
    if (in[1] >= 0) {
      fcntl(in[1], F_SETFL, O_NONBLOCK);
      block.in = in[1];
      block.input = *request.standard_input;
      FeedInput();
    }
    return;
  }
  if (in[1] >= 0) close(in[1]);
  // The child reported and exited (reaped with the other children); nothing else ran.
  close(out[0]);
  close(err[0]);
  std::string payload;
  codeexec::docker::runner::PutU32(payload, static_cast<uint32_t>(failure));
  payload += strerror(failure);
  SendFrame(FrameType::kFailed, payload);
}

void OnRequest(FrameType type, std::string_view payload) {
  switch (type) {
    case FrameType::kRun: {
      RunRequest request;
      if (block.active() || !request.Decode(payload)) {
        std::string reply;
        codeexec::docker::runner::PutU32(reply, EBUSY);
        reply += block.active() ? "a block is already running" : "malformed run request";
        return SendFrame(FrameType::kFailed, reply);
      }
      return StartBlock(request);
    }
    case FrameType::kKill:
      if (block.active()) KillEverything();
      return;
    case FrameType::kQuit:
      Quit();
    default:
      fprintf(stderr, "codeexec-runner: unknown request '%c'\n", static_cast<char>(type));
  }
}

// Reaps every child that has exited; the block's own exit kills what it left running.
void ReapChildren() {
  int status = 0;
  for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
    if (pid != block.pid || block.exited) continue;
    block.exited = true;
    block.status = status;
    KillEverything();
    block.drain_until = NowMillis() + kDrainMillis;
  }
}

void OnSignals(int signal_fd) {
  signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo != SIGCHLD) Quit();
  }
  ReapChildren();
}

// Forwards what a pipe holds; closes it at end-of-file.
void ForwardOutput(int& fd, FrameType type) {
  char buffer[65536];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) return SendFrame(type, std::string_view(buffer, static_cast<std::size_t>(n)));
  close(fd);
  fd = -1;
}

// Reports the block's end once its output is drained (or the drain period is over).
void FinishBlockIfDone() {
  if (!block.active() || !block.exited) return;
  if ((block.out >= 0 || block.err >= 0) && NowMillis() < block.drain_until) return;
  for (int* fd : {&block.out, &block.err, &block.in}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  ExitReport report;
  report.exit_code = WIFSIGNALED(block.status) ? 128 + WTERMSIG(block.status)
                                               : static_cast<uint32_t>(WEXITSTATUS(block.status));
  uint64_t oom_after = 0;
  report.oom_known = block.oom_known && ReadOomKills(oom_after);
  report.oom_killed = report.oom_known && oom_after > block.oom_before;
  block = Block();
  SendFrame(FrameType::kExit, report.Encode());
}

int PollTimeout() {
  if (!block.active() || !block.exited) return -1;
  int64_t left = block.drain_until - NowMillis();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

int main() {
  // Blocks run as the same user: a non-dumpable runner cannot be traced, stopped by a tracer or
  // read through /proc/1/mem without CAP_SYS_PTRACE, which Docker does not grant.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, signal_number);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout shows as a failed write
  int signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    perror("codeexec-runner: signalfd");
    return 1;
  }
  fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);
  std::string hello;
  codeexec::docker::runner::PutU32(hello, codeexec::docker::runner::kProtocolVersion);
  SendFrame(FrameType::kHello, hello);
  FrameDecoder requests;
  for (;;) {
    pollfd fds[5] = {{STDIN_FILENO, POLLIN, 0},
                     {signal_fd, POLLIN, 0},
                     {block.out, POLLIN, 0},
                     {block.err, POLLIN, 0},
                     {block.exited ? -1 : block.in, POLLOUT, 0}};
    if (poll(fds, 5, PollTimeout()) < 0 && errno != EINTR) Quit();
    if (fds[4].revents != 0) FeedInput();
    if (fds[1].revents != 0) OnSignals(signal_fd);
    if (fds[2].revents != 0) ForwardOutput(block.out, FrameType::kStdout);
    if (fds[3].revents != 0) ForwardOutput(block.err, FrameType::kStderr);
    if (fds[0].revents != 0) {
      char buffer[65536];
      ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) Quit();
      if (n > 0 &&
          !requests.Feed(std::string_view(buffer, static_cast<std::size_t>(n)), OnRequest)) {
        fprintf(stderr, "codeexec-runner: malformed request stream\n");
        Quit();
      }
    }
    FinishBlockIfDone();
  }
}
