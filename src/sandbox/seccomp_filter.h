// The sandbox's seccomp policy as the BPF program that the child installs with prctl just before
// exec (no allocation needed then). Compiled at build time (seccomp_policy.h) and embedded: Build
// only copies it.
//
// Default allow, with a deny list of what generated code never needs: tracing other processes,
// mounting, new namespaces, kernel keyrings, bpf, perf events, io_uring, kernel modules and kexec,
// reboot and swap, clock setting, raw devices (mknod), handle-based opens, userfaultfd, vsock
// sockets, terminal injection (TIOCSTI/TIOCLINUX). Denied calls fail with EPERM, so programs see an
// ordinary error; clone3 fails with ENOSYS so that libc falls back to clone, whose namespace flags
// can be inspected. A system call of another ABI (32-bit x86, x32) kills the process: that is
// reported as a policy violation. Unknown syscalls (newer than libseccomp) are allowed.
#ifndef CODEEXEC_SRC_SANDBOX_SECCOMP_FILTER_H_
#define CODEEXEC_SRC_SANDBOX_SECCOMP_FILTER_H_

#include <linux/filter.h>

#include <vector>

#include "codeexec/error.h"

namespace codeexec {

class SeccompFilter {
 public:
  static Result<SeccompFilter> Build();

  // For prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ...). Points into this object.
  const sock_fprog* program() const { return &program_; }
  std::size_t size() const { return instructions_.size(); }

  SeccompFilter(SeccompFilter&& other) noexcept;
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;

 private:
  SeccompFilter() = default;
  std::vector<sock_filter> instructions_;
  sock_fprog program_{};
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SECCOMP_FILTER_H_
