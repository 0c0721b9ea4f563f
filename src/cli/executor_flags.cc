#include "cli/executor_flags.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "codeexec/registry.h"

namespace codeexec::cli {
namespace {

// The executor configuration: --config, with the dedicated flags on top.
Result<std::string> BuildConfig(const ExecutorFlags& flags) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(flags.config);
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--config is not valid JSON: {}", e.what()));
  }
  if (!config.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--config must be a JSON object, for example '{\"timeout\": 30}'");
  }
  if (flags.timeout) config["timeout"] = *flags.timeout;
  if (flags.work_dir) config["work_dir"] = *flags.work_dir;
  if (flags.output_limit) config["output_limit"] = *flags.output_limit;
  if (flags.python) config["python"] = *flags.python;
  if (flags.image) config["image"] = *flags.image;
  if (flags.kernel) config["kernel_name"] = *flags.kernel;
  if (flags.output_dir) config["output_dir"] = *flags.output_dir;
  return config.dump();
}

}  // namespace

void AddExecutorFlags(CLI::App* command, ExecutorFlags* flags) {
  command->add_option("-e,--executor", flags->executor, "The executor to use.")
      ->capture_default_str();
  command->add_option("--config", flags->config,
                      "The executor's configuration as a JSON object (see docs/cli.md).");
  command->add_option("-t,--timeout", flags->timeout,
                      "Seconds each block may run (from 1 to 2592000, 30 days).");
  command->add_option("-w,--work-dir", flags->work_dir,
                      "Where code files are written and run (default: a new temporary folder, "
                      "removed afterwards).");
  command->add_option("--output-limit", flags->output_limit,
                      "Bytes of output kept (default 1048576); the rest is discarded.");
  command->add_option("--python", flags->python,
                      "The Python interpreter for python blocks (default: python3 on PATH).");
  command->add_option("--kernel", flags->kernel,
                      "The Jupyter kernel to start (--executor jupyter; default python3).");
  command->add_option("--output-dir", flags->output_dir,
                      "Where the jupyter executor saves images and HTML (default: the work "
                      "folder).");
  command->add_option("--image", flags->image,
                      "The Docker image the code runs in (--executor docker; default "
                      "python:3-slim; build codeexec/python:bookworm with `codeexec docker "
                      "build-image`).");
}

Result<std::unique_ptr<CodeExecutor>> CreateExecutor(const ExecutorFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config) return tl::unexpected(config.error());
  return DefaultExecutorRegistry().Create(flags.executor, *config);
}

int ExecutorErrorStatus(const Error& error) {
  bool usage = error.code() == ErrorCode::kInvalidArgument || error.code() == ErrorCode::kNotFound;
  return usage ? kUsageError : kFailure;
}

int Fail(int status, std::string_view message) {
  fmt::print(stderr, "codeexec: {}\n", message);
  return status;
}

std::optional<std::string> ReadMessageFile(const std::string& file, std::string* error) {
  int fd = file == "-" ? STDIN_FILENO : open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("cannot read the message file {}: {}", file, std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = fmt::format("cannot read {}: {}", file == "-" ? "standard input" : file,
                           std::strerror(errno));
      text.clear();
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  if (fd != STDIN_FILENO) close(fd);
  if (n != 0) return std::nullopt;
  return text;
}

std::optional<std::string> TextOrFile(const std::string& value, std::string* error) {
  if (!value.starts_with('@')) return value;
  return ReadMessageFile(value.substr(1), error);
}

namespace {

// The tokens of the living SignalCancellers, and the one thread that takes the signals.
struct SignalWaiter {
  std::mutex mutex;
  std::vector<const SignalCanceller*> cancellers;
  sigset_t signals;

  SignalWaiter() {
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // Never joined: it waits for as long as the process lives, so that neither a run nor exit
    // pays for starting and stopping it again.
    std::thread([this] { Wait(); }).detach();
  }

  [[noreturn]] void Wait() {
    for (;;) {
      int number = 0;
      if (sigwait(&signals, &number) != 0) continue;
      std::vector<CancellationToken> cancel;
      {
        std::lock_guard lock(mutex);
        for (const auto* canceller : cancellers) cancel.push_back(canceller->token());
      }
      for (const auto& token : cancel) token.Cancel();
    }
  }

  static SignalWaiter& Get() {
    static auto* waiter = new SignalWaiter;  // never destroyed: its thread outlives main
    return *waiter;
  }
};

}  // namespace

SignalCanceller::SignalCanceller(CancellationToken token) : token_(std::move(token)) {
  auto& waiter = SignalWaiter::Get();
  std::lock_guard lock(waiter.mutex);
  waiter.cancellers.push_back(this);
}

SignalCanceller::~SignalCanceller() {
  auto& waiter = SignalWaiter::Get();
  std::lock_guard lock(waiter.mutex);
  std::erase(waiter.cancellers, this);
}

}  // namespace codeexec::cli
