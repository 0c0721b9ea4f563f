#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "process/unique_fd.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

namespace codeexec {
namespace {

constexpr const char* kDenied[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "lookup_dcookie",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "mknod",
    "mknodat",
    "fanotify_init",
    "iopl",
    "ioperm",
    "vhangup",
    "uselib",
    "nfsservctl",
};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,     CLONE_NEWUSER, CLONE_NEWPID,
                                        CLONE_NEWNET,    CLONE_NEWIPC,  CLONE_NEWUTS,
                                        CLONE_NEWCGROUP, CLONE_NEWTIME};

using Context = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

Result<void> Check(int rc, std::string_view what) {
  if (rc < 0) return MakeError(ErrorCode::kInternal, fmt::format("seccomp: {}: {}", what, rc));
  return {};
}

Result<void> AddRules(scmp_filter_ctx ctx) {
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not known to this libseccomp: nothing to deny
    if (auto ok = Check(seccomp_rule_add(ctx, eperm, nr, 0), name); !ok) return ok;
  }
  auto rule = [&](uint32_t action, const char* name, scmp_arg_cmp cmp) {
    return Check(seccomp_rule_add(ctx, action, seccomp_syscall_resolve_name(name), 1, cmp), name);
  };
  for (uint64_t flag : kNamespaceFlags) {
    if (auto ok = rule(eperm, "clone", SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)); !ok) return ok;
  }
  if (auto ok = Check(
          seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("clone3"), 0),
          "clone3");
      !ok) {
    return ok;
  }
  for (unsigned long request : {TIOCSTI, TIOCLINUX}) {
    if (auto ok = rule(eperm, "ioctl", SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request)); !ok) {
      return ok;
    }
  }
  return rule(eperm, "socket", SCMP_A0(SCMP_CMP_EQ, AF_VSOCK));
}

}  // namespace

Result<std::vector<sock_filter>> CompileSeccompPolicy() {
  Context ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
  if (!ctx) return MakeError(ErrorCode::kInternal, "seccomp_init failed");
  // Another ABI (32-bit x86 through int 0x80, x32) kills at once: its numbers would bypass
  // every rule above.
  if (auto ok = Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                      "bad-arch action");
      !ok) {
    return tl::unexpected(ok.error());
  }
  // The child sets no_new_privs itself, in its list of steps.
  if (auto ok = Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "nnp"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = AddRules(ctx.get()); !ok) return tl::unexpected(ok.error());

  UniqueFd fd(memfd_create("codeexec-seccomp", MFD_CLOEXEC));
  if (!fd.valid()) return ErrnoError("memfd_create", errno);
  int rc = seccomp_export_bpf(ctx.get(), fd.get());
  off_t size = lseek(fd.get(), 0, SEEK_END);
  std::vector<sock_filter> program;
  if (rc == 0 && size > 0 && size % sizeof(sock_filter) == 0) {
    program.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
    rc = pread(fd.get(), program.data(), static_cast<std::size_t>(size), 0) == size ? 0 : -1;
  } else {
    rc = -1;
  }
  if (rc != 0) return MakeError(ErrorCode::kInternal, "cannot export the seccomp program");
  return program;
}

}  // namespace codeexec
