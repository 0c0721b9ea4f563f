// The Linux capabilities of a Docker executor's container.
//
// A container starts with none (CapDrop ALL) and gets back only kKeptCapabilities, what root in
// the container needs to install software (apt-get, pip) and what the runner needs to end a
// block, plus whatever the user adds (`cap_add`). Docker's defaults that code never needs are
// thereby gone: MKNOD (device nodes in the work folder, which the host would see), SETFCAP
// (programs carrying file capabilities), NET_RAW (raw sockets), SYS_CHROOT, SETPCAP, FSETID,
// AUDIT_WRITE and NET_BIND_SERVICE. docs/docker.md says why each kept one is kept.
#ifndef CODEEXEC_SRC_DOCKER_CAPABILITIES_H_
#define CODEEXEC_SRC_DOCKER_CAPABILITIES_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"

namespace codeexec::docker {

// Docker's names (no CAP_ prefix), as the Engine API takes them.
inline constexpr std::array<std::string_view, 6> kKeptCapabilities = {
    "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"};

// The capability's number in the kernel's sets (/proc/PID/status CapEff), or -1 when `name`
// (Docker's form) is not a Linux capability.
int CapabilityNumber(std::string_view name);

// `names` in Docker's form ("net_raw", "CAP_NET_RAW" -> "NET_RAW"), duplicates removed. A name
// that is not a Linux capability, and "ALL", are kInvalidArgument errors listing the valid ones.
Result<std::vector<std::string>> NormalizeCapabilities(const std::vector<std::string>& names);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_CAPABILITIES_H_
