// User and group id maps: who the sandbox's processes are on the host.
//
// A sandbox's root (uid and gid 0 inside its user namespace) is an unprivileged id on the host,
// never the host's root: whatever the code manages to reach, it reaches as nobody in particular.
// The runner writes each sandbox's maps from the host's user namespace (a process may map only
// its own id into a namespace it creates), and the work folder is shown to the sandbox through
// an idmapped mount made with MakeUserNamespace.
#ifndef CODEEXEC_SRC_SANDBOX_ID_MAP_H_
#define CODEEXEC_SRC_SANDBOX_ID_MAP_H_

#include <sys/types.h>

#include <functional>

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

// Makes a user namespace mapping one uid and one gid, `inside_uid` -> `host_uid` and the same for
// the group (mount idmappings are given by such a namespace), and hands `deliver` its descriptor
// (/proc/PID/ns/user of a helper process), or the error, as soon as it is open. Returns once the
// helper is reaped, after `deliver` returned: a thread waiting for the namespace goes on while
// the helper ends (a cross-CPU wake-up and an exit, some 0.1-0.5 ms).
void MakeUserNamespace(uid_t inside_uid, uid_t host_uid, gid_t inside_gid, gid_t host_gid,
                       const std::function<void(Result<UniqueFd>)>& deliver);

// Maps uid and gid 0 of the user namespace of `pid` (a child just cloned into a new one) to
// `host_uid` and `host_gid`. Needs CAP_SETUID and CAP_SETGID here. Allocates nothing the child
// shares; safe to call on the thread that cloned it.
Result<void> WriteRootIdMaps(pid_t pid, uid_t host_uid, gid_t host_gid);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_ID_MAP_H_
