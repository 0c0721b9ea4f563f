#include "process/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace codeexec {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnAttributes {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnAttributes() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

// The child starts its own session (so it leads a process group we can kill as a whole and has
// no controlling terminal), with every signal unblocked and at its default action: a caller that
// ignores SIGPIPE or blocks SIGTERM must not pass that on to the code. Only an ignored signal
// survives exec (handlers are reset by exec, and glibc resets them before it), so the defaults
// are set for the 31 standard signals, which are the ones programs ignore; each costs a system
// call in the child while the caller waits.
void ConfigureAttributes(posix_spawnattr_t* attr) {
  sigset_t none, standard;
  sigemptyset(&none);
  sigemptyset(&standard);
  for (int signal = 1; signal < 32; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) sigaddset(&standard, signal);
  }
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setsigdefault(attr, &standard);
  posix_spawnattr_setflags(attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

Result<void> ConfigureFiles(posix_spawn_file_actions_t* actions, int in, int out, int err,
                            const std::string& cwd) {
  int rc = in >= 0 ? posix_spawn_file_actions_adddup2(actions, in, 0)
                   : posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, out, 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, err, 2);
  if (rc == 0 && !cwd.empty()) rc = posix_spawn_file_actions_addchdir_np(actions, cwd.c_str());
  // Nothing of ours leaks into the code, even a descriptor opened without O_CLOEXEC by a library.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(actions, 3);
  if (rc != 0) return ErrnoError("posix_spawn_file_actions", rc);
  return {};
}

}  // namespace

ChildProcess::ChildProcess(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err)
    : pid_(pid), pidfd_(std::move(pidfd)), stdout_(std::move(out)), stderr_(std::move(err)) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_),
      pidfd_(std::move(other.pidfd_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      reaped_(std::exchange(other.reaped_, true)) {}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  // The child itself too: one that has not started its own session yet has no group to signal.
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  SignalGroup(SIGKILL);
  [[maybe_unused]] auto exit = Reap();
}

void ChildProcess::SignalGroup(int signal) const {
  if (!reaped_) kill(-pid_, signal);
}

Result<ChildProcess::Exit> ChildProcess::Reap() {
  siginfo_t info{};
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoError("waitid", errno);
  reaped_ = true;
  Exit exit;
  if (info.si_code == CLD_EXITED) {
    exit.exit_code = info.si_status;
  } else {
    exit.signal = info.si_status;
    exit.exit_code = 128 + info.si_status;
  }
  return exit;
}

Result<ChildProcess> Spawn(const SpawnSpec& spec) {
  int out[2] = {-1, spec.output_fd}, err[2] = {-1, spec.output_fd};
  if (spec.output_fd < 0 && pipe2(out, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  UniqueFd out_read(out[0]), out_write(spec.output_fd < 0 ? out[1] : -1);
  if (spec.output_fd < 0 && pipe2(err, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  UniqueFd err_read(err[0]), err_write(spec.output_fd < 0 ? err[1] : -1);

  SpawnAttributes attributes;
  ConfigureAttributes(&attributes.attr);
  if (auto files = ConfigureFiles(&attributes.actions, spec.stdin_fd, out[1], err[1], spec.cwd);
      !files) {
    return tl::unexpected(files.error());
  }
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawn(&pid, spec.program.c_str(), &attributes.actions, &attributes.attr,
                       argv.data(), spec.envp);
  if (rc != 0) return ErrnoError(fmt::format("cannot start {}", spec.program), rc);
  out_write.Reset();
  err_write.Reset();

  UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd.valid()) {
    int saved = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return ErrnoError("pidfd_open (Linux 5.3 or newer is required)", saved);
  }
  return ChildProcess::Adopt(pid, std::move(pidfd), std::move(out_read), std::move(err_read));
}

ChildProcess ChildProcess::Adopt(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err) {
  if (out.valid()) fcntl(out.get(), F_SETFL, O_NONBLOCK);
  if (err.valid()) fcntl(err.get(), F_SETFL, O_NONBLOCK);
  return ChildProcess(pid, std::move(pidfd), std::move(out), std::move(err));
}

}  // namespace codeexec
