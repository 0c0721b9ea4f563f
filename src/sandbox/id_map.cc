#include "sandbox/id_map.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace codeexec {
namespace {

// Writes `text` to /proc/PID/NAME. Uses a fixed buffer for the path: callable between a clone
// and the child's exec without allocating.
bool WriteProcFile(pid_t pid, const char* name, const char* text, std::size_t length) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/%s", static_cast<int>(pid), name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, length) == static_cast<ssize_t>(length);
  close(fd);
  return ok;
}

bool WriteMap(pid_t pid, const char* name, unsigned inside, unsigned host) {
  char map[64];
  int length = std::snprintf(map, sizeof(map), "%u %u 1\n", inside, host);
  return length > 0 && WriteProcFile(pid, name, map, static_cast<std::size_t>(length));
}

}  // namespace

Result<void> WriteRootIdMaps(pid_t pid, uid_t host_uid, gid_t host_gid) {
  // setgroups stays allowed: the child drops its supplementary groups with it (they are still the
  // runner's, the host's root group among them), then drops the capability to call it again.
  if (!WriteMap(pid, "uid_map", 0, host_uid) || !WriteMap(pid, "gid_map", 0, host_gid)) {
    return ErrnoError("cannot write the sandbox's user and group id maps", errno);
  }
  return {};
}

namespace {

struct HoldNamespace {
  int release_read;
};

// The child of MakeUserNamespace: it shares the caller's memory and thread-local storage, so it
// makes raw system calls only and is not instrumented by the sanitizers (whose per-thread state
// is the caller's). Its own copy of the descriptor table: it keeps only the end it reads, so that
// the parent closing its end of `release` is seen here as end of file. Every other descriptor
// goes too: a holder that another thread started at the same moment has a copy of this one's
// `release` end, and two holders keeping each other's would wait for ever. The parent does not
// wait for it to start: the namespace exists from the clone on.
__attribute__((no_sanitize("address", "thread", "undefined"))) int HoldNamespaceChild(void* arg) {
  const HoldNamespace* hold = static_cast<const HoldNamespace*>(arg);
  auto keep = static_cast<unsigned>(hold->release_read);
  if (keep > 0) syscall(SYS_close_range, 0u, keep - 1, 0u);
  syscall(SYS_close_range, keep + 1, ~0u, 0u);
  char byte = 0;
  syscall(SYS_read, hold->release_read, &byte, 1);
  return 0;
}

}  // namespace

void MakeUserNamespace(uid_t inside_uid, uid_t host_uid, gid_t inside_gid, gid_t host_gid,
                       const std::function<void(Result<UniqueFd>)>& deliver) {
  int release[2];
  if (pipe2(release, O_CLOEXEC) < 0) return deliver(ErrnoError("pipe2", errno));
  // The child shares this process's memory (CLONE_VM) and runs on a small stack of this frame:
  // it only reads a pipe (raw system calls, no C library state), living just long enough for its
  // namespace to be mapped and opened. A fork-like clone would cost the whole (large,
  // multi-threaded) process a copy-on-write fault for every page it writes next.
  HoldNamespace hold{release[0]};
  alignas(16) char stack[16 * 1024];
  long pid =
      clone(HoldNamespaceChild, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, &hold);
  int saved = errno;
  close(release[0]);
  UniqueFd release_fd(release[1]);
  if (pid < 0) return deliver(ErrnoError("cannot create a user namespace (clone)", saved));
  // Whatever happens next, the child is released and reaped before its stack goes.
  struct Reap {
    long pid;
    UniqueFd& release;
    ~Reap() {
      release.Reset();
      int status;
      while (waitpid(static_cast<pid_t>(pid), &status, __WALL) < 0 && errno == EINTR) {
      }
    }
  } reap{pid, release_fd};
  bool mapped = WriteMap(static_cast<pid_t>(pid), "uid_map", inside_uid, host_uid) &&
                WriteMap(static_cast<pid_t>(pid), "gid_map", inside_gid, host_gid);
  saved = errno;
  UniqueFd ns;
  if (mapped) {
    ns.Reset(open(fmt::format("/proc/{}/ns/user", pid).c_str(), O_RDONLY | O_CLOEXEC));
    saved = errno;
  }
  if (!mapped || !ns.valid()) {
    return deliver(
        ErrnoError("cannot map the user namespace for the work folder's idmapped mount", saved));
  }
  deliver(std::move(ns));
}

}  // namespace codeexec
