#include "jupyter/local_kernel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "codeexec/languages.h"
#include "jupyter/readiness.h"
#include "process/environment.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// python, python3, python3.11, ...
bool IsPythonName(std::string_view name) {
  if (!name.starts_with("python")) return false;
  name.remove_prefix(6);
  return name.find_first_not_of("0123456789.") == std::string_view::npos;
}

// See the header: the configured interpreter, else the installation's own bin/, else PATH.
Result<std::string> ResolveProgram(const KernelSpec& spec, const std::string& python,
                                   std::string_view path_env) {
  const std::string& program = spec.argv.front();
  std::string name = fs::path(program).filename().string();
  auto missing = [&](std::string_view what) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("cannot start the kernel {}: {} was not found or is not "
                                 "executable. Install it, or set the `python` option to an "
                                 "interpreter that has ipykernel (on Debian: apt-get install "
                                 "python3-ipykernel, then /usr/bin/python3).",
                                 spec.name, what));
  };
  if (!python.empty() && IsPythonName(name)) {
    auto found = FindProgram(python, path_env);
    if (!found) return missing(python);
    return *found;
  }
  if (program.find('/') == std::string::npos) {
    fs::path prefix = spec.resource_dir.parent_path().parent_path().parent_path().parent_path();
    fs::path own = prefix / "bin" / program;
    if (!prefix.empty() && access(own.c_str(), X_OK) == 0) return own.string();
  }
  auto found = FindProgram(program, path_env);
  if (!found) return missing(program);
  return *found;
}

Environment KernelEnvironment(const KernelSpec& spec, const LocalKernelOptions& options) {
  Environment env = Environment::FromOptions(options.env);
  // ipykernel shows plots inline only when MPLBACKEND is unset; a backend inherited from the
  // host (Agg in many CI setups) would make plt.show() produce nothing.
  if (!options.env.set.contains("MPLBACKEND")) env.Unset("MPLBACKEND");
  for (const auto& [name, value] : spec.env) {
    env.Set(name, ExpandEnvValue(value, [&](std::string_view var) {
              return std::string(env.Get(var).value_or(""));
            }));
  }
  if (!env.Get("PYDEVD_DISABLE_FILE_VALIDATION")) env.Set("PYDEVD_DISABLE_FILE_VALIDATION", "1");
  return env;
}

Result<fs::path> MakePrivateDir(const fs::path& parent) {
  const char* tmp = getenv("TMPDIR");
  // Hidden in a folder of the user's (the sandbox's work folder), on its own in a temporary one.
  std::string pattern = !parent.empty()
                            ? fmt::format("{}/.codeexec-kernel-XXXXXX", parent.string())
                            : fmt::format("{}/codeexec-kernel-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoError("cannot create a folder for the kernel's connection file in " + pattern,
                      errno);
  }
  return fs::path(pattern);
}

}  // namespace

struct LocalKernel::Process {
  LocalKernelOptions options;
  std::unique_ptr<KernelProcess> process;
};

Result<std::unique_ptr<LocalKernel>> LocalKernel::Start(const KernelSpec& spec,
                                                        const LocalKernelOptions& options) {
  std::unique_ptr<LocalKernel> kernel(new LocalKernel());
  kernel->spec_ = spec;
  kernel->process_ = std::make_unique<Process>();
  kernel->process_->options = options;
  if (auto launched = kernel->Launch(options); !launched) {
    kernel->Shutdown();
    return tl::unexpected(launched.error());
  }
  if (auto ready = kernel->WaitForReady(options.startup_timeout); !ready) {
    return tl::unexpected(ready.error());
  }
  kernel->channels_->StartHeartbeat();
  return kernel;
}

Result<void> LocalKernel::Launch(const LocalKernelOptions& options) {
  auto dir = MakePrivateDir(options.folder_parent);
  if (!dir) return tl::unexpected(dir.error());
  dir_ = *dir;
  // The folder as made: a kernel that may write in the work folder cannot swap it for a link to
  // elsewhere under the paths used below.
  dir_fd_.Reset(open(dir_.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd_.valid()) return ErrnoError("cannot open " + dir_.string(), errno);
  connection_file_ = dir_ / "connection.json";
  const fs::path& seen_as = options.folder_parent_in_kernel;
  fs::path kernel_dir = seen_as.empty() ? dir_ : seen_as / dir_.filename();
  // The connection as the kernel sees it (`seen`), and as this host does (`info`).
  Result<ConnectionInfo> seen, info;
  if (options.transport == "ipc") {
    // Socket paths no longer than a Unix socket address, however deep the work folder is: the
    // kernel binds them relative to its working folder (the private folder is inside it), and
    // this host connects through a descriptor of the private folder.
    fs::path relative = options.cwd.empty() ? fs::path() : dir_.lexically_relative(options.cwd);
    bool inside = !relative.empty() && *relative.begin() != "..";
    seen = NewIpcConnection(spec_.name, (inside ? relative : kernel_dir) / "kernel");
    info = seen;
    if (info) info->ip = fmt::format("/proc/self/fd/{}/kernel", dir_fd_.get());
  } else {
    seen = info = NewLocalConnection(spec_.name);
  }
  if (!seen) return tl::unexpected(seen.error());
  if (auto written = WriteConnectionFile(connection_file_, *seen); !written) return written;

  KernelLaunch launch;
  launch.env = KernelEnvironment(spec_, options);
  launch.argv = ExpandArgv(spec_, kernel_dir / connection_file_.filename());
  if (seen_as.empty()) {
    auto program = ResolveProgram(spec_, options.python,
                                  launch.env.Get("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
    if (!program) return tl::unexpected(program.error());
    launch.program = *program;
    launch.cwd = options.cwd;
  } else {
    // Found on the PATH where the kernel runs: a host path would mean nothing there.
    std::string name = fs::path(launch.argv.front()).filename().string();
    launch.program = IsPythonName(name) && !options.python.empty() ? options.python : name;
    launch.cwd =
        (seen_as / options.cwd.lexically_relative(options.folder_parent)).lexically_normal();
  }
  launch.argv.front() = launch.program;
  UniqueFd log_fd(openat(dir_fd_.get(), "kernel.log",
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!log_fd.valid()) return ErrnoError("cannot create " + (dir_ / "kernel.log").string(), errno);
  launch.log_fd = log_fd.get();

  // Connect before the kernel exists: the sockets retry until it binds, and iopub is subscribed
  // from the start, so its first messages are not lost.
  auto channels = KernelChannels::Connect(*info, options.heartbeat);
  if (!channels) return tl::unexpected(channels.error());
  channels_ = std::move(*channels);
  auto process =
      options.launcher ? options.launcher(std::move(launch)) : SpawnHostKernel(std::move(launch));
  if (!process) {
    return MakeError(process.error().code(), fmt::format("cannot start the kernel {}: {}",
                                                         spec_.name, process.error().message()));
  }
  process_->process = std::move(*process);
  return {};
}

Result<void> LocalKernel::WaitForReady(milliseconds timeout) {
  auto info = jupyter::WaitForReady(*this, Clock::now() + timeout);
  if (!info) return StartupFailure(info.error());
  kernel_info_ = std::move(*info);
  return {};
}

Result<void> LocalKernel::StartupFailure(const Error& error) {
  std::string log = LogTail();
  Shutdown();
  std::string hint;
  if (log.find("No module named") != std::string::npos) {
    hint =
        " Its interpreter lacks the kernel's module: install it (on Debian: apt-get install "
        "python3-ipykernel), or set the `python` option to an interpreter that has ipykernel "
        "(such as /usr/bin/python3).";
  }
  return MakeError(error.code(),
                   fmt::format("the kernel {} {}.{}{}", spec_.name, error.message(), hint,
                               log.empty() ? "" : " Its output ends with:\n" + log));
}

pid_t LocalKernel::pid() const {
  return process_ && process_->process ? process_->process->pid() : -1;
}

int LocalKernel::exit_fd() const {
  return process_ && process_->process ? process_->process->exit_fd() : -1;
}

bool LocalKernel::HasExited() {
  return !process_ || !process_->process || process_->process->HasExited();
}

std::string LocalKernel::ExitDescription() const {
  if (!process_ || !process_->process) return "running";
  return process_->process->ExitDescription();
}

bool LocalKernel::IsDead() { return HasExited() || !channels_ || channels_->heartbeat_lost(); }

std::string LocalKernel::DeathDescription() {
  if (HasExited()) return ExitDescription();
  return "it stopped answering its heartbeat";
}

Result<void> LocalKernel::Send(Channel channel, const Message& message) {
  if (!channels_) return MakeError(ErrorCode::kFailedPrecondition, "the kernel was shut down");
  return channels_->Send(channel, message);
}

std::optional<Incoming> LocalKernel::TryReceive() {
  return channels_ ? channels_->TryReceive() : std::nullopt;
}

uint32_t LocalKernel::Wait(milliseconds timeout, std::span<const int> fds) {
  if (!channels_) return 0;
  int all[33];
  std::size_t count = std::min<std::size_t>(fds.size(), 32);
  std::copy_n(fds.begin(), count, all);
  all[count] = exit_fd();
  // The exit descriptor's bit is dropped: IsDead() reports the exit.
  uint32_t ready = channels_->Wait(timeout, std::span<const int>(all, count + (all[count] >= 0)));
  return count < 32 ? ready & ((1u << count) - 1) : ready;
}

Result<void> LocalKernel::Interrupt() {
  if (HasExited()) return MakeError(ErrorCode::kFailedPrecondition, "the kernel is not running");
  if (spec_.interrupt_mode == "message" || !process_->process->SignalInterrupt()) {
    return channels_->Send(Channel::kControl, session_.MakeRequest("interrupt_request"));
  }
  return {};
}

bool LocalKernel::WaitForExit(milliseconds timeout) {
  if (HasExited()) return true;
  WaitReadable(process_->process->exit_fd(), timeout);
  return HasExited();
}

void LocalKernel::RequestShutdown() {
  // Killed at once rather than asked: a kernel winding down while its successor starts competes
  // with it for the CPU and for IPython's history database (whose lock a starved old kernel can
  // hold while the new one waits for it), and a graceful end saves nothing worth keeping. The
  // exit is reaped by Terminate().
  if (process_ && process_->process && !HasExited()) process_->process->Kill();
}

void LocalKernel::Terminate() {
  if (process_ && process_->process && !HasExited()) {
    process_->process->Kill();
    WaitForExit(milliseconds(-1));
  }
  Shutdown();
}

void LocalKernel::Shutdown() {
  if (process_ && process_->process && !HasExited()) {
    const LocalKernelOptions& options = process_->options;
    bool asked =
        channels_ && channels_
                         ->Send(Channel::kControl,
                                session_.MakeRequest("shutdown_request", {{"restart", false}}))
                         .has_value();
    if (!asked || !WaitForExit(options.shutdown_grace)) {
      process_->process->Terminate();
      if (!WaitForExit(options.kill_grace)) {
        process_->process->Kill();
        WaitForExit(milliseconds(-1));
      }
    }
  }
  channels_.reset();
  process_.reset();
  dir_fd_.Reset();
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    dir_.clear();
  }
}

LocalKernel::~LocalKernel() { Shutdown(); }

std::string LocalKernel::LogTail(std::size_t max_bytes) const {
  if (process_ && process_->process) {
    std::string kept = process_->process->OutputTail(max_bytes);
    if (!kept.empty()) return kept;
  }
  // Read through the folder as made, never through a link: an isolated kernel may have replaced
  // the log with a link to a file of this host, which must not reach an error message.
  if (!dir_fd_.valid()) return {};
  UniqueFd fd(openat(dir_fd_.get(), "kernel.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat info {};
  if (!fd.valid() || fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  off_t start = std::max<off_t>(0, info.st_size - static_cast<off_t>(max_bytes));
  std::string tail(static_cast<std::size_t>(info.st_size - start), '\0');
  ssize_t got = pread(fd.get(), tail.data(), tail.size(), start);
  tail.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return tail;
}

}  // namespace codeexec::jupyter
