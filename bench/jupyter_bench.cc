// The Jupyter executor against its floors and against Debian's jupyter_client, in one run.
//
//   jupyter_bench [--quick] [--rounds N]
//
// Floors, written here with nothing but cppzmq and the signer:
//   - bare start: spawn `/usr/bin/python3 -m ipykernel_launcher -f FILE` on a written connection
//     file and send kernel_info_request on a DEALER until the reply comes;
//   - raw cell: a second client on the executor's own kernel sends execute_request and waits on
//     its SUB for the idle status of that request.
// Runs alternate executor, jupyter_client and floor so that machine drift hits all alike; figures
// are medians.
// jupyter_client (python3-jupyter-client) runs the same steps in a child process, interleaved
// with ours: start_new_kernel, execute then wait for the reply and idle (as nbclient does),
// restart_kernel + wait_for_ready.
// Targets (issue #4): cells <= 1.1x the raw floor and faster than jupyter_client; start <= 1.1x
// a bare start; restart <= 1.2x a bare start, also when the kernel ignores shutdown; 1000 cells
// with constant memory.
// Remote mode (skip with --no-remote, or run it alone with --remote-only): a jupyter-server of
// the benchmark's own, against the floors of jupyter_remote_floor.h (a bare remote start, a raw
// WebSocket cell on the executor's own kernel), interleaved the same way.
// Sandboxed kernel (isolation "sandbox", as root; skip with --no-sandbox, alone with
// --sandbox-only) and kernel in a Docker container (isolation "docker", image
// codeexec/python:bookworm; skip with --no-docker, alone with --docker-only): their start and
// restart against the bare start, their cells against the raw cell on a bare kernel of the host:
// the price of the isolation. The container's start includes creating the container; a restart
// starts only a new kernel in it.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "bench_util.h"
#include "codeexec/jupyter_executor.h"
#include "jupyter/connection_file.h"
#include "jupyter/message.h"
#include "jupyter/zmq_framing.h"
#include "jupyter_remote_floor.h"

extern char** environ;

namespace {

using namespace codeexec::bench;  // Median, TimeMicros, BareSpawn, ...

namespace fs = std::filesystem;
namespace jp = codeexec::jupyter;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::duration<double, std::milli>;

constexpr char kPython[] = "/usr/bin/python3";

long RssKiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "jupyter_bench: {}\n", what);
  std::exit(1);
}

// A minimal client: signed frames over raw sockets, nothing else.
class RawClient {
 public:
  explicit RawClient(const jp::ConnectionInfo& info)
      : signer_(std::move(*jp::Signer::Create(info.signature_scheme, info.key))) {
    // The same short reconnect interval as codeexec's sockets, so that the bare start measures
    // the kernel's own start rather than ZeroMQ's default 100 ms retry.
    for (zmq::socket_t* socket : {&shell_, &iopub_}) {
      socket->set(zmq::sockopt::linger, 0);
      socket->set(zmq::sockopt::reconnect_ivl, 10);
    }
    iopub_.set(zmq::sockopt::subscribe, "");
    iopub_.connect(info.Endpoint(info.iopub_port));
    shell_.connect(info.Endpoint(info.shell_port));
  }

  void Send(const jp::Message& message) {
    auto frames = jp::EncodeZmqFrames(message, signer_);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      shell_.send(zmq::buffer(frames[i]),
                  i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // Waits for a message on `socket` of `type` answering `msg_id` (any parent when empty).
  bool Await(zmq::socket_t& socket, std::string_view type, std::string_view msg_id,
             std::chrono::milliseconds timeout, std::string_view state = "") {
    auto deadline = Clock::now() + timeout;
    std::vector<zmq::message_t> parts;
    while (Clock::now() < deadline) {
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
      parts.clear();
      if (!zmq::recv_multipart(socket, std::back_inserter(parts))) continue;
      std::vector<std::string_view> frames;
      for (auto& part : parts) frames.emplace_back(part.data<char>(), part.size());
      auto message = jp::DecodeZmqFrames(frames, signer_);
      if (!message || message->msg_type() != type) continue;
      if (!msg_id.empty() && message->parent_id() != msg_id) continue;
      if (!state.empty() && message->content.value("execution_state", "") != state) continue;
      return true;
    }
    return false;
  }

  // Drops what arrived for the other client's cells (not timed).
  void Drain() {
    zmq::message_t part;
    for (zmq::socket_t* socket : {&iopub_, &shell_}) {
      while (socket->recv(part, zmq::recv_flags::dontwait)) {
      }
    }
  }

  // execute_request to its idle: the floor of a cell.
  double Cell(const std::string& code) {
    Drain();
    jp::Message request = session_.MakeRequest("execute_request", jp::ExecuteRequestContent(code));
    double ms = TimeMillis([&] {
      Send(request);
      if (!Await(iopub_, "status", request.msg_id(), std::chrono::seconds(10), "idle")) {
        Die("the raw client saw no idle");
      }
    });
    Await(shell_, "execute_reply", request.msg_id(), std::chrono::seconds(10));  // not timed
    return ms;
  }

  bool KernelInfo(std::chrono::milliseconds timeout) {
    jp::Message request = session_.MakeRequest("kernel_info_request");
    Send(request);
    return Await(shell_, "kernel_info_reply", request.msg_id(), timeout);
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t shell_{context_, zmq::socket_type::dealer};
  zmq::socket_t iopub_{context_, zmq::socket_type::sub};
  jp::Signer signer_;
  jp::Session session_;
};

// The floor of a start: the kernel process answering its first request.
double BareStartMs() {
  std::string dir = "/tmp/codeexec-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp");
  fs::path file = fs::path(dir) / "kernel.json";
  auto info = jp::NewLocalConnection("python3");
  if (!info || !jp::WriteConnectionFile(file, *info)) Die("connection file");
  std::string env_pydevd = "PYDEVD_DISABLE_FILE_VALIDATION=1";
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    if (!std::string_view(*e).starts_with("MPLBACKEND=")) envp.push_back(*e);
  }
  envp.push_back(env_pydevd.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::string path = file.string();
  char* argv[] = {const_cast<char*>(kPython),
                  const_cast<char*>("-m"),
                  const_cast<char*>("ipykernel_launcher"),
                  const_cast<char*>("-f"),
                  path.data(),
                  nullptr};
  pid_t pid = 0;
  double ms = 0;
  {
    RawClient client(*info);
    ms = TimeMillis([&] {
      if (posix_spawn(&pid, kPython, &actions, &attr, argv, envp.data()) != 0) Die("spawn");
      while (!client.KernelInfo(std::chrono::seconds(2))) {
      }
    });
  }
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  fs::remove_all(dir);
  return ms;
}

// jupyter_client doing the same steps in a child process, one command at a time so that its
// runs interleave with ours: each line on stdin ("start", "cell CODE", "restart") is answered
// with the milliseconds it took. Cells wait for the reply and the idle status, as nbclient does.
constexpr char kJupyterClientScript[] = R"PY(
import sys, time
from jupyter_client.manager import start_new_kernel
km = kc = None
def cell(code):
    msg_id = kc.execute(code)
    reply = idle = False
    while not (reply and idle):
        if not idle:
            msg = kc.get_iopub_msg(timeout=10)
            idle = (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle")
        if idle and not reply:
            reply = kc.get_shell_msg(timeout=10)["parent_header"].get("msg_id") == msg_id
for line in sys.stdin:
    command, _, code = line.rstrip("\n").partition(" ")
    t = time.perf_counter()
    if command == "start":
        if km:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
    elif command == "cell":
        cell(code)
    elif command == "restart":
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
    else:
        break
    print((time.perf_counter() - t) * 1000, flush=True)
if km:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
)PY";

// The child running kJupyterClientScript.
class JupyterClientRunner {
 public:
  JupyterClientRunner() {
    std::ofstream(script_) << kJupyterClientScript;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      if (!std::string_view(*e).starts_with("MPLBACKEND=")) envp.push_back(*e);
    }
    envp.push_back(pydevd_.data());
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>(kPython), script_.data(), nullptr};
    if (posix_spawn(&pid_, kPython, &actions, nullptr, argv, envp.data()) != 0) Die("spawn");
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    to_ = fdopen(in[1], "w");
    from_ = fdopen(out[0], "r");
  }
  ~JupyterClientRunner() {
    fputs("quit\n", to_);
    fclose(to_);
    fclose(from_);
    waitpid(pid_, nullptr, 0);
    fs::remove(script_);
  }
  // The milliseconds `command` took, or a negative number when jupyter_client failed.
  double Run(const std::string& command) {
    fputs((command + "\n").c_str(), to_);
    fflush(to_);
    char line[256];
    if (!fgets(line, sizeof(line), from_)) return -1;
    return std::atof(line);
  }

 private:
  std::string script_ = "/tmp/codeexec-bench-jupyter-client.py";
  std::string pydevd_ = "PYDEVD_DISABLE_FILE_VALIDATION=1";
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

codeexec::JupyterCodeExecutor StartExecutor(double* ms,
                                            codeexec::JupyterExecutorOptions options = {}) {
  std::optional<codeexec::Result<codeexec::JupyterCodeExecutor>> executor;
  *ms = TimeMillis([&] { executor.emplace(codeexec::JupyterCodeExecutor::Create(options)); });
  if (!*executor) Die((*executor).error().ToString());
  return std::move(**executor);
}

void Row(std::string_view what, const std::vector<double>& ours, const std::vector<double>& floor,
         const std::vector<double>& client, std::string_view target) {
  double mine = Median(ours), base = Median(floor);
  std::string theirs = client.empty() || Median(client) < 0
                           ? std::string("n/a")
                           : fmt::format("{:.1f} ms", Median(client));
  fmt::print("| {} | {:.1f} ms | {:.1f} ms | **{:.3f}x** | {} | {} |\n", what, mine, base,
             mine / base, theirs, target);
}

codeexec::JupyterCodeExecutor StartRemoteExecutor(const BenchServer& server, double* ms) {
  codeexec::JupyterExecutorOptions options;
  options.server.emplace();
  options.server->port = server.port();
  options.server->token = server.token();
  std::optional<codeexec::Result<codeexec::JupyterCodeExecutor>> executor;
  *ms = TimeMillis([&] { executor.emplace(codeexec::JupyterCodeExecutor::Create(options)); });
  if (!*executor) Die((*executor).error().ToString());
  return std::move(**executor);
}

void RemoteRow(std::string_view what, const std::vector<double>& ours,
               const std::vector<double>& floor, std::string_view target) {
  double mine = Median(ours), base = Median(floor);
  fmt::print("| {} | {:.1f} ms | {:.1f} ms | **{:.3f}x** | {} |\n", what, mine, base, mine / base,
             target);
}

// Remote mode against its floors, interleaved: ours, floor, ours, floor.
void BenchRemote(int rounds, int starts) {
  BenchServer server;
  fmt::print(
      "\nRemote mode: jupyter-server on 127.0.0.1, medians of {} cells and {} starts, "
      "interleaved with the floor\n\n"
      "| measurement | codeexec | floor | ratio | target |\n|---|---|---|---|---|\n",
      rounds, starts);
  std::vector<double> ours_start, bare_start;
  for (int i = 0; i < starts; ++i) {
    double ms = 0;
    { auto executor = StartRemoteExecutor(server, &ms); }
    ours_start.push_back(ms);
    bare_start.push_back(BareRemoteStartMs(server));
  }
  RemoteRow("remote kernel start to ready", ours_start, bare_start, "<= 1.1x bare remote start");

  double ignored_ms = 0;
  auto executor = StartRemoteExecutor(server, &ignored_ms);
  RawWebSocketClient raw(server, executor.remote_kernel_id());
  for (const char* code : {"x = 1 + 1", "print(1)"}) {
    std::vector<double> ours, floor;
    for (int i = 0; i < 5; ++i) {
      (void)executor.ExecuteCodeBlocks({{"python", code}});
      raw.Drain();
      raw.Cell(code);
    }
    for (int i = 0; i < rounds; ++i) {
      ours.push_back(TimeMillis([&] {
        auto result = executor.ExecuteCodeBlocks({{"python", code}});
        if (!result || result->exit_code != 0) Die("a remote cell failed");
      }));
      raw.Drain();  // our cell's iopub messages, broadcast to every client (not timed)
      floor.push_back(raw.Cell(code));
    }
    RemoteRow(fmt::format("remote cell `{}`", code), ours, floor, "<= 1.1x raw WebSocket");
  }

  std::vector<double> restarts, bare_restarts;
  for (int i = 0; i < starts; ++i) {
    restarts.push_back(TimeMillis([&] {
      if (!executor.Restart()) Die("remote restart failed");
    }));
    bare_restarts.push_back(BareRemoteStartMs(server));
  }
  RemoteRow("remote `Restart()`", restarts, bare_restarts, "<= 1.2x bare remote start");
  (void)executor.Stop();
}

// Local mode against its floors and jupyter_client.
void BenchLocal(int rounds, int starts, bool quick, bool with_client) {
  fmt::print(
      "codeexec Jupyter executor benchmark: medians of {} cells and {} starts, "
      "interleaved with the floor and jupyter_client\n\n",
      rounds, starts);
  fmt::print(
      "| measurement | codeexec | floor | ratio | jupyter_client | target |\n"
      "|---|---|---|---|---|---|\n");
  std::optional<JupyterClientRunner> client;
  if (with_client) client.emplace();
  auto client_run = [&](const std::string& command, std::vector<double>& into) {
    if (client) into.push_back(client->Run(command));
  };

  std::vector<double> ours_start, bare_start, client_start;
  for (int i = 0; i < starts; ++i) {
    double ms = 0;
    { auto executor = StartExecutor(&ms); }
    ours_start.push_back(ms);
    bare_start.push_back(BareStartMs());
    client_run("start", client_start);
  }
  Row("kernel start to ready", ours_start, bare_start, client_start, "<= 1.1x bare start");

  double ignored_ms = 0;
  auto executor = StartExecutor(&ignored_ms);
  auto info = jp::ReadConnectionFile(executor.connection_file());
  if (!info) Die(info.error().ToString());
  RawClient raw(*info);
  for (const char* code : {"x = 1 + 1", "print(1)"}) {
    std::vector<double> ours, floor, theirs, warm;
    for (int i = 0; i < 5; ++i) {
      (void)executor.ExecuteCodeBlocks({{"python", code}});
      raw.Cell(code);
      client_run(std::string("cell ") + code, warm);
    }
    // After a cell, IPython writes its history on a thread: whoever sends the next request to
    // that kernel right away pays for part of it. So the order is ours, theirs, floor, theirs:
    // our kernel rests during jupyter_client's cell before each of ours and each floor, and
    // jupyter_client's kernel rests during ours and the floor's.
    for (int i = 0; i < rounds; ++i) {
      ours.push_back(TimeMillis([&] {
        auto result = executor.ExecuteCodeBlocks({{"python", code}});
        if (!result || result->exit_code != 0) Die("a cell failed");
      }));
      client_run(std::string("cell ") + code, theirs);
      floor.push_back(raw.Cell(code));
      client_run(std::string("cell ") + code, theirs);
    }
    Row(fmt::format("cell `{}`", code), ours, floor, theirs, "<= 1.1x raw round trip");
  }

  std::vector<double> restarts, client_restarts;
  for (int i = 0; i < starts; ++i) {
    restarts.push_back(TimeMillis([&] {
      if (!executor.Restart()) Die("restart failed");
    }));
    client_run("restart", client_restarts);
  }
  Row("restart", restarts, bare_start, client_restarts, "<= 1.2x bare start");
  std::vector<double> stubborn, client_stubborn;
  const std::string ignore_shutdown =
      "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
      "get_ipython().kernel.control_handlers['shutdown_request'] = lambda *a: None";
  for (int i = 0; i < (quick ? 2 : 3); ++i) {
    (void)executor.ExecuteCodeBlocks({{"python", ignore_shutdown}});
    stubborn.push_back(TimeMillis([&] {
      if (!executor.Restart()) Die("restart failed");
    }));
    std::vector<double> unused;
    client_run(
        "cell " + std::string("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                              "get_ipython().kernel.control_handlers['shutdown_request'] = "
                              "lambda *a: None"),
        unused);
    client_run("restart", client_stubborn);
  }
  Row("restart, kernel ignores shutdown", stubborn, bare_start, client_stubborn,
      "<= 1.2x bare start");

  const int many = quick ? 300 : 1000;
  for (int i = 0; i < 100; ++i) (void)executor.ExecuteCodeBlocks({{"python", "x = 1 + 1"}});
  long before = RssKiB();
  for (int i = 0; i < many; ++i) (void)executor.ExecuteCodeBlocks({{"python", "x = 1 + 1"}});
  long after = RssKiB();
  fmt::print("\n{} cells in a row: RSS {} KiB -> {} KiB ({:+} KiB)\n", many, before, after,
             after - before);
  (void)executor.Stop();
}

// An isolated kernel (`title`, `column`) against the bare kernel, interleaved: start, cells,
// restart.
void BenchIsolated(std::string_view title, std::string_view column,
                   const codeexec::JupyterExecutorOptions& isolated, int rounds, int starts) {
  fmt::print(
      "\n{} (ipc transport): medians of {} cells and {} starts, interleaved with the bare "
      "kernel\n\n"
      "| measurement | {} | bare kernel | ratio |\n|---|---|---|---|\n",
      title, rounds, starts, column);
  auto row = [](std::string_view what, const std::vector<double>& ours,
                const std::vector<double>& floor) {
    fmt::print("| {} | {:.1f} ms | {:.1f} ms | **{:.3f}x** |\n", what, Median(ours), Median(floor),
               Median(ours) / Median(floor));
  };
  std::vector<double> ours_start, bare_start;
  for (int i = 0; i < starts; ++i) {
    double ms = 0;
    { auto executor = StartExecutor(&ms, isolated); }
    ours_start.push_back(ms);
    bare_start.push_back(BareStartMs());
  }
  row("kernel start to ready (executor Create)", ours_start, bare_start);

  double ignored_ms = 0;
  auto executor = StartExecutor(&ignored_ms, isolated);
  auto host = StartExecutor(&ignored_ms);
  auto info = jp::ReadConnectionFile(host.connection_file());
  if (!info) Die(info.error().ToString());
  RawClient raw(*info);
  for (const char* code : {"x = 1 + 1", "print(1)"}) {
    std::vector<double> ours, floor;
    for (int i = 0; i < 5; ++i) {
      (void)executor.ExecuteCodeBlocks({{"python", code}});
      raw.Cell(code);
    }
    for (int i = 0; i < rounds; ++i) {
      ours.push_back(TimeMillis([&] {
        auto result = executor.ExecuteCodeBlocks({{"python", code}});
        if (!result || result->exit_code != 0) Die("an isolated cell failed");
      }));
      floor.push_back(raw.Cell(code));
    }
    row(fmt::format("cell `{}` (floor: raw cell on a bare kernel)", code), ours, floor);
  }
  std::vector<double> restarts, bare_restarts;
  for (int i = 0; i < starts; ++i) {
    restarts.push_back(TimeMillis([&] {
      if (!executor.Restart()) Die("an isolated restart failed");
    }));
    bare_restarts.push_back(BareStartMs());
  }
  row("`Restart()`", restarts, bare_restarts);
  (void)executor.Stop();
  (void)host.Stop();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, with_client = true, local = true, remote = true, sandbox = geteuid() == 0,
       docker = true;
  int rounds = 200;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--no-remote") == 0) remote = false;
    if (std::strcmp(argv[i], "--remote-only") == 0) local = sandbox = docker = false;
    if (std::strcmp(argv[i], "--no-sandbox") == 0) sandbox = false;
    if (std::strcmp(argv[i], "--sandbox-only") == 0) local = remote = docker = false;
    if (std::strcmp(argv[i], "--no-docker") == 0) docker = false;
    if (std::strcmp(argv[i], "--docker-only") == 0) local = remote = sandbox = false;
    if (std::strcmp(argv[i], "--no-jupyter-client") == 0) with_client = false;
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = std::atoi(argv[++i]);
  }
  if (quick) rounds = std::min(rounds, 30);
  const int starts = quick ? 3 : 7;
  if (local) BenchLocal(rounds, starts, quick, with_client);
  if (remote) BenchRemote(rounds, starts);
  if (sandbox) {
    codeexec::JupyterExecutorOptions options;
    options.isolation = codeexec::JupyterIsolation::kSandbox;
    BenchIsolated("Sandboxed kernel (isolation \"sandbox\")", "sandboxed", options, rounds, starts);
  }
  if (docker) {
    codeexec::JupyterExecutorOptions options;
    options.isolation = codeexec::JupyterIsolation::kDocker;
    // No daemon or no image: said, and skipped (the other sections stand on their own).
    auto probe = codeexec::JupyterCodeExecutor::Create(options);
    if (!probe) {
      fmt::print("\nKernel in a Docker container: skipped: {}\n", probe.error().message());
      return 0;
    }
    (void)probe->Stop();
    BenchIsolated("Kernel in a Docker container (isolation \"docker\")", "in a container", options,
                  rounds, starts);
  }
  return 0;
}
