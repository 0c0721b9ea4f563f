// NewSandboxRunner: what every sandbox needs from this host, checked in one place for each user
// of the sandbox (the sandbox executor, the Jupyter executor's sandboxed kernel): root, the
// seccomp program, the init program, and an unprivileged id for the sandbox's root (the cgroup
// hierarchy is found by SandboxRunner::BuildView, while the view is mounted). Errors say what is
// missing and what to do.
#ifndef CODEEXEC_SRC_SANDBOX_NEW_SANDBOX_RUNNER_H_
#define CODEEXEC_SRC_SANDBOX_NEW_SANDBOX_RUNNER_H_

#include <unistd.h>

#include <memory>
#include <string_view>

#include "codeexec/sandbox_executor.h"
#include "sandbox/init_program.h"
#include "sandbox/sandbox_runner.h"

namespace codeexec {

// `who` names the user in the error without root ("the sandbox executor").
inline Result<std::unique_ptr<SandboxRunner>> NewSandboxRunner(const SandboxLimits& limits,
                                                               bool network, uint32_t host_uid,
                                                               uint32_t host_gid,
                                                               std::string_view who) {
  if (geteuid() != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     std::string(who) +
                         " needs root (it creates cgroups and maps user ids); run as root, or use "
                         "the docker executor");
  }
  if (host_uid == 0 || host_gid == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "host_uid and host_gid must not be 0: the sandbox's root must not be the "
                     "host's");
  }
  auto seccomp = SeccompFilter::Build();
  if (!seccomp) return tl::unexpected(seccomp.error());
  auto init_program = SealedInitProgram();
  if (!init_program) return tl::unexpected(init_program.error());
  return std::make_unique<SandboxRunner>(std::move(*seccomp), std::move(*init_program), limits,
                                         network, host_uid, host_gid);
}

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_NEW_SANDBOX_RUNNER_H_
