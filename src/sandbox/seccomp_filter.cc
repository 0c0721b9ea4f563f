#include "sandbox/seccomp_filter.h"

#include <cstring>

#include "core/embedded_file.h"

// The program codeexec-seccomp-compile wrote at build time (CMake passes its path as
// CODEEXEC_SECCOMP_PROGRAM_PATH).
CODEEXEC_EMBED_FILE(codeexec_seccomp_program, CODEEXEC_SECCOMP_PROGRAM_PATH)

namespace codeexec {

Result<SeccompFilter> SeccompFilter::Build() {
  std::string_view bytes = codeexec_seccomp_program();
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0 ||
      bytes.size() / sizeof(sock_filter) > BPF_MAXINSNS) {
    return MakeError(ErrorCode::kInternal, "the embedded seccomp program is malformed");
  }
  SeccompFilter filter;
  filter.instructions_.resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(filter.instructions_.data(), bytes.data(), bytes.size());
  filter.program_.len = static_cast<unsigned short>(filter.instructions_.size());
  filter.program_.filter = filter.instructions_.data();
  return filter;
}

SeccompFilter::SeccompFilter(SeccompFilter&& other) noexcept
    : instructions_(std::move(other.instructions_)) {
  program_.len = static_cast<unsigned short>(instructions_.size());
  program_.filter = instructions_.data();
}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  instructions_ = std::move(other.instructions_);
  program_.len = static_cast<unsigned short>(instructions_.size());
  program_.filter = instructions_.data();
  return *this;
}

}  // namespace codeexec
