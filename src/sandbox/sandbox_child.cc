#include "sandbox/sandbox_child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "sandbox/report_message.h"

namespace codeexec {
namespace {

// Failures return from RunSandboxChild, and the clone's trampoline exits: no library code such
// as exit() runs on the runner's memory. errno lives in the slot thread's thread-local storage,
// which the child shares; that thread only waits on a condition variable meanwhile (no errno).
struct Failed {
  ChildStep step;
  int detail;
};

int Report(const ChildConfig& config, Failed failed) {
  ChildFailure failure{failed.step, failed.detail, errno};
  [[maybe_unused]] ssize_t n = write(config.report_fd, &failure, sizeof(failure));
  return 127;
}

// Records when a step ended (ChildConfig::step_end_ns).
void Mark(const ChildConfig& config, ChildStep step) {
  if (config.step_end_ns == nullptr) return;
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  config.step_end_ns[static_cast<int>(step)] = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

// Closes every descriptor but the ones this run uses. The clone copied the whole table of a
// multi-threaded runner: another run's pipe kept open here would never see end-of-file.
bool CloseOtherDescriptors(const ChildConfig& config) {
  int keep[] = {config.report_fd, config.status_fd, config.stdout_fd,    config.stderr_fd,
                config.init_fd,   config.stdin_fd,  config.step_times_fd};
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

// Waits until the runner has written this child's id maps, then becomes root inside: uid and gid
// 0 (an unprivileged id on the host) and no supplementary groups (still the runner's until now,
// the host's root group among them). Raw system calls: glibc's set*id would try to reach the
// threads of the runner, whose memory this child shares.
bool BecomeRootInside(const ChildConfig& config) {
  int state;
  while ((state = __atomic_load_n(config.maps_state, __ATOMIC_ACQUIRE)) == 0) {
    syscall(SYS_futex, config.maps_state, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
  if (state < 0) {
    errno = EPERM;
    return false;
  }
  return syscall(SYS_setresgid, 0, 0, 0) == 0 && syscall(SYS_setgroups, 0, nullptr) == 0 &&
         syscall(SYS_setresuid, 0, 0, 0) == 0;
}

// Hands the run's upper layer (its tmpfs) to the runner, which applies it once the run is over,
// and closes both layers' descriptors: nothing of them is left for the code.
bool HandOverUpperLayer(const ChildConfig& config, const RunMountState& mounts) {
  bool sent = true;
  if (config.view->upper_layer()) {
    ReportMessage message;
    message.report = {ChildStep::kUpperLayer, kUpperLayerMessage, 0};
    message.Attach(mounts.kept[1]);
    sent = sendmsg(config.report_fd, &message.header, MSG_NOSIGNAL) == sizeof(message.report);
  }
  for (int fd : mounts.kept) {
    if (fd >= 0) close(fd);
  }
  return sent;
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

// The init program's descriptors: 0 stdin, 1 and 2 the output pipes, then status, report and
// step times (child_protocol.h). Everything is first moved above them, so that no source is
// overwritten before it is copied (the init program's descriptor too: `init_fd` is its new
// number); the moved copies close at exec.
bool ArrangeDescriptors(const ChildConfig& config, int* init_fd) {
  *init_fd = fcntl(config.init_fd, F_DUPFD_CLOEXEC, kInitStepTimesFd + 1);
  if (*init_fd < 0) return false;
  // The program's stdin: the runner's pipe, else /dev/null.
  int in_fd = config.stdin_fd >= 0 ? config.stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
  int sources[] = {in_fd,
                   config.stdout_fd,
                   config.stderr_fd,
                   config.status_fd,
                   config.report_fd,
                   config.step_times_fd};
  for (int& fd : sources) {
    if (fd >= 0 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, kInitStepTimesFd + 1)) < 0) return false;
  }
  if (in_fd < 0) return false;
  for (int target = 0; target <= kInitStepTimesFd; ++target) {
    if (sources[target] >= 0 && dup2(sources[target], target) < 0) return false;
  }
  return true;
}

bool Run(const ChildConfig& config, Failed* failed, int* init_fd) {
  auto step = [&](ChildStep name, bool ok) {
    if (!ok) *failed = {name, 0};
    if (ok) Mark(config, name);
    return ok;
  };
  // The order matters: the parent-death signal is set once we are root inside, since the kernel
  // clears it whenever the effective user or group id changes (a kill -9 of codeexec would
  // otherwise leave the sandbox running); mounts and host name need the capabilities we hold in
  // our new user namespace, so limits and capabilities are dropped after them; seccomp comes
  // after those because it forbids mount and friends.
  if (!step(ChildStep::kCloseDescriptors, CloseOtherDescriptors(config)) ||
      !step(ChildStep::kIdMaps, BecomeRootInside(config)) ||
      !step(ChildStep::kDieWithParent, prctl(PR_SET_PDEATHSIG, SIGKILL) == 0) ||
      !step(ChildStep::kNewSession, setsid() >= 0)) {
    return false;
  }
  int mount_error = 0;
  RunMountState mounts;
  mounts.upper_options = config.upper_options;
  if (int index = ApplyMountSteps(config.view->run_steps(), mounts, &mount_error); index >= 0) {
    errno = mount_error;
    *failed = {ChildStep::kMounts, index};
    return false;
  }
  Mark(config, ChildStep::kMounts);
  return step(ChildStep::kUpperLayer, HandOverUpperLayer(config, mounts)) &&
         step(ChildStep::kHostname, sethostname("codeexec", 8) == 0) &&
         step(ChildStep::kRlimits, SetLimits(config)) &&
         step(ChildStep::kDropCapabilities, DropCapabilities()) &&
         step(ChildStep::kNoNewPrivileges, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) &&
         step(ChildStep::kSeccomp,
              prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, config.seccomp->program()) == 0) &&
         step(ChildStep::kStandardStreams, ArrangeDescriptors(config, init_fd)) &&
         step(ChildStep::kWorkingFolder, config.cwd == nullptr || chdir(config.cwd) == 0);
}

}  // namespace

const char* ChildStepName(ChildStep step) {
  static constexpr const char* kNames[] = {"closing inherited descriptors",
                                           "setting the parent-death signal",
                                           "becoming root in the user namespace (id maps)",
                                           "starting a new session",
                                           "mounting the file system view",
                                           "handing over the work folder's upper layer",
                                           "setting the host name",
                                           "setting resource limits",
                                           "dropping capabilities",
                                           "setting no_new_privs",
                                           "installing the seccomp filter",
                                           "setting up standard streams",
                                           "entering the working folder",
                                           "executing the sandbox's init",
                                           "forking the program",
                                           "resetting signals",
                                           "executing the program",
                                           "the program ran (until PID 1 reaped it)"};
  static_assert(std::size(kNames) == kChildStepCount);
  int index = static_cast<int>(step);
  return index >= 0 && index < kChildStepCount ? kNames[index] : "?";
}

int RunSandboxChild(void* arg) {
  const auto& config = *static_cast<const ChildConfig*>(arg);
  Failed failed{};
  int init_fd = -1;
  if (!Run(config, &failed, &init_fd)) return Report(config, failed);
  // The report socket is now descriptor kInitErrorFd (ArrangeDescriptors). The init program marks
  // the end of its execution when it starts.
  syscall(SYS_execveat, init_fd, "", config.init_argv, config.envp, AT_EMPTY_PATH);
  ChildFailure failure{ChildStep::kExecInit, 0, errno};
  [[maybe_unused]] ssize_t n = write(kInitErrorFd, &failure, sizeof(failure));
  return 127;
}

}  // namespace codeexec
