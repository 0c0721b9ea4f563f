#include "docker/capabilities.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace codeexec::docker {
namespace {

// In the kernel's order (linux/capability.h): a capability's index is its number.
constexpr std::array<std::string_view, 41> kCapabilities = {"CHOWN",
                                                            "DAC_OVERRIDE",
                                                            "DAC_READ_SEARCH",
                                                            "FOWNER",
                                                            "FSETID",
                                                            "KILL",
                                                            "SETGID",
                                                            "SETUID",
                                                            "SETPCAP",
                                                            "LINUX_IMMUTABLE",
                                                            "NET_BIND_SERVICE",
                                                            "NET_BROADCAST",
                                                            "NET_ADMIN",
                                                            "NET_RAW",
                                                            "IPC_LOCK",
                                                            "IPC_OWNER",
                                                            "SYS_MODULE",
                                                            "SYS_RAWIO",
                                                            "SYS_CHROOT",
                                                            "SYS_PTRACE",
                                                            "SYS_PACCT",
                                                            "SYS_ADMIN",
                                                            "SYS_BOOT",
                                                            "SYS_NICE",
                                                            "SYS_RESOURCE",
                                                            "SYS_TIME",
                                                            "SYS_TTY_CONFIG",
                                                            "MKNOD",
                                                            "LEASE",
                                                            "AUDIT_WRITE",
                                                            "AUDIT_CONTROL",
                                                            "SETFCAP",
                                                            "MAC_OVERRIDE",
                                                            "MAC_ADMIN",
                                                            "SYSLOG",
                                                            "WAKE_ALARM",
                                                            "BLOCK_SUSPEND",
                                                            "AUDIT_READ",
                                                            "PERFMON",
                                                            "BPF",
                                                            "CHECKPOINT_RESTORE"};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  return out;
}

}  // namespace

int CapabilityNumber(std::string_view name) {
  auto found = std::find(kCapabilities.begin(), kCapabilities.end(), name);
  return found == kCapabilities.end() ? -1 : static_cast<int>(found - kCapabilities.begin());
}

Result<std::vector<std::string>> NormalizeCapabilities(const std::vector<std::string>& names) {
  std::vector<std::string> normalized;
  for (const std::string& given : names) {
    std::string name = Upper(given);
    if (name.starts_with("CAP_")) name.erase(0, 4);
    if (CapabilityNumber(name) < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("cap_add: '{}' is not a Linux capability{} (known: {})", given,
                                   name == "ALL" ? " codeexec adds (name each one)" : "",
                                   fmt::join(kCapabilities, ", ")));
    }
    if (std::find(normalized.begin(), normalized.end(), name) == normalized.end()) {
      normalized.push_back(std::move(name));
    }
  }
  return normalized;
}

}  // namespace codeexec::docker
