#include "sandbox/sandbox_child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

namespace codeexec {
namespace {

[[noreturn]] void Fail(const ChildConfig& config, ChildStep step, int detail = 0) {
  ChildFailure failure{step, detail, errno};
  [[maybe_unused]] ssize_t n = write(config.error_fd, &failure, sizeof(failure));
  _exit(127);
}

// Closes every descriptor but the five this run uses. The clone copied the whole table of a
// multi-threaded parent: another run's pipe kept open here would never see end-of-file.
bool CloseOtherDescriptors(const ChildConfig& config) {
  int keep[] = {config.sync_fd, config.error_fd, config.status_fd, config.stdout_fd,
                config.stderr_fd};
  constexpr int kCount = sizeof(keep) / sizeof(keep[0]);
  for (int i = 1; i < kCount; ++i) {  // insertion sort: no library calls in the child
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  }
  unsigned int next = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned int>(fd) > next &&
        syscall(SYS_close_range, next, static_cast<unsigned int>(fd) - 1, 0) < 0) {
      return false;
    }
    next = static_cast<unsigned int>(fd) + 1;
  }
  return syscall(SYS_close_range, next, ~0u, 0) == 0;
}

// Fails the step, or records when it ended (ChildConfig::step_end_ns).
void Check(const ChildConfig& config, ChildStep step, bool ok) {
  if (!ok) Fail(config, step);
  if (config.step_end_ns != nullptr) {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    config.step_end_ns[static_cast<int>(step)] = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
  }
}

// PID 1 is a copy of the host process: its memory and the strings of its argv and environment.
bool HideMemory(const ChildConfig& config) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return false;
  for (const auto& range : config.host_strings) {
    if (range[1] > range[0]) {
      std::memset(reinterpret_cast<void*>(range[0]), 0, range[1] - range[0]);
    }
  }
  return true;
}

bool WaitForParent(const ChildConfig& config) {
  char go;
  ssize_t n;
  do {
    n = read(config.sync_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  close(config.sync_fd);
  return n == 1;
}

bool SetLimits(const ChildConfig& config) {
  rlimit no_core{0, 0};
  return setrlimit(RLIMIT_CORE, &no_core) == 0 && setrlimit(RLIMIT_FSIZE, &config.file_size) == 0 &&
         setrlimit(RLIMIT_NOFILE, &config.open_files) == 0 &&
         (!config.limit_cpu_time || setrlimit(RLIMIT_CPU, &config.cpu_time) == 0);
}

// The bounding set first (needs CAP_SETPCAP, which capset is about to drop), then the ambient
// set, then every capability we hold. With an empty bounding set, exec as uid 0 regains nothing.
bool DropCapabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return false;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return false;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  return syscall(SYS_capset, &header, data) == 0;
}

// As the local executor's children: no signal blocked, the standard ones at their defaults (only
// ignored ones survive exec, and the host process may ignore SIGPIPE).
bool ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) < 0) return false;
  for (int signal_number = 1; signal_number < 32; ++signal_number) {
    if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
    if (::signal(signal_number, SIG_DFL) == SIG_ERR) return false;
  }
  return true;
}

[[noreturn]] void ExecProgram(const ChildConfig& config) {
  Check(config, ChildStep::kSignals, ResetSignals());
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  Check(config, ChildStep::kStandardStreams,
        null_fd >= 0 && dup2(null_fd, 0) >= 0 && dup2(config.stdout_fd, 1) >= 0 &&
            dup2(config.stderr_fd, 2) >= 0);
  // Everything else closes at exec; the error pipe stays usable until then.
  syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC);
  Check(config, ChildStep::kWorkingFolder, config.cwd == nullptr || chdir(config.cwd) == 0);
  execve(config.program, config.argv, config.envp);
  Fail(config, ChildStep::kExec);
}

// PID 1: reap until the program itself exits, report its status, exit. Orphans it reparents
// are reaped along the way; the kernel kills whatever is left when we exit.
[[noreturn]] void ActAsInit(const ChildConfig& config, pid_t program) {
  close(config.error_fd);
  close(config.stdout_fd);
  close(config.stderr_fd);
  for (;;) {
    int status = 0;
    pid_t pid = wait4(-1, &status, 0, nullptr);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) _exit(126);
    if (pid != program) continue;
    Check(config, ChildStep::kProgramExit, true);
    [[maybe_unused]] ssize_t n = write(config.status_fd, &status, sizeof(status));
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace

const char* ChildStepName(ChildStep step) {
  static constexpr const char* kNames[] = {"closing inherited descriptors",
                                           "waiting for the parent",
                                           "setting the parent-death signal",
                                           "hiding PID 1's memory",
                                           "starting a new session",
                                           "mounting the file system view",
                                           "setting the host name",
                                           "setting resource limits",
                                           "dropping capabilities",
                                           "setting no_new_privs",
                                           "installing the seccomp filter",
                                           "forking the program",
                                           "resetting signals",
                                           "setting up standard streams",
                                           "entering the working folder",
                                           "executing the program",
                                           "the program ran (until PID 1 reaped it)"};
  int index = static_cast<int>(step);
  return index >= 0 && index < static_cast<int>(std::size(kNames)) ? kNames[index] : "?";
}

void RunSandboxChild(const ChildConfig& config) {
  // The order matters: the parent writes our id maps first; mounts and host name need the
  // capabilities we hold in our new user namespace; limits and capabilities are dropped after
  // them; seccomp comes last because it forbids mount and friends.
  Check(config, ChildStep::kCloseDescriptors, CloseOtherDescriptors(config));
  Check(config, ChildStep::kDieWithParent, prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
  // Not dumpable: /proc/1/environ, /proc/1/mem and ptrace are refused to the program (which is
  // dumpable again after its exec, as usual).
  Check(config, ChildStep::kHideMemory, HideMemory(config));
  Check(config, ChildStep::kWaitForParent, WaitForParent(config));
  Check(config, ChildStep::kNewSession, setsid() >= 0);
  int mount_error = 0;
  if (int step = ApplyMountPlan(*config.mounts, &mount_error); step >= 0) {
    errno = mount_error;
    Fail(config, ChildStep::kMounts, step);
  }
  Check(config, ChildStep::kMounts, true);
  Check(config, ChildStep::kHostname, sethostname("codeexec", 8) == 0);
  Check(config, ChildStep::kRlimits, SetLimits(config));
  Check(config, ChildStep::kDropCapabilities, DropCapabilities());
  Check(config, ChildStep::kNoNewPrivileges, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  Check(config, ChildStep::kSeccomp,
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, config.seccomp->program()) == 0);
  long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  Check(config, ChildStep::kFork, pid >= 0);
  if (pid == 0) ExecProgram(config);
  ActAsInit(config, static_cast<pid_t>(pid));
}

}  // namespace codeexec
