#include "cli/executor_flags.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

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
  std::stringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    *error = fmt::format("cannot read the message file {}: {}", file, std::strerror(errno));
    return std::nullopt;
  }
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> TextOrFile(const std::string& value, std::string* error) {
  if (!value.starts_with('@')) return value;
  return ReadMessageFile(value.substr(1), error);
}

SignalCanceller::SignalCanceller(CancellationToken token) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGUSR1);  // used only to wake the waiter at exit
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  waiter_ = std::thread([this, token] {
    int signal = 0;
    sigwait(&signals_, &signal);
    if (signal != SIGUSR1) token.Cancel();
  });
}

SignalCanceller::~SignalCanceller() {
  pthread_kill(waiter_.native_handle(), SIGUSR1);
  waiter_.join();
}

}  // namespace codeexec::cli
