#include "sandbox/init_program.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "core/embedded_file.h"

// The program's bytes (CMake passes the path of the built program as CODEEXEC_SANDBOX_INIT_PATH).
CODEEXEC_EMBED_FILE(codeexec_sandbox_init, CODEEXEC_SANDBOX_INIT_PATH)

namespace codeexec {

Result<UniqueFd> SealedInitProgram() {
  UniqueFd fd(memfd_create("codeexec-sandbox-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("cannot create the sandbox's init program", errno);
  for (std::string_view left = codeexec_sandbox_init(); !left.empty();) {
    ssize_t n = write(fd.get(), left.data(), left.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write the sandbox's init program", errno);
    left.remove_prefix(static_cast<size_t>(n));
  }
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    return ErrnoError("cannot seal the sandbox's init program", errno);
  }
  return fd;
}

}  // namespace codeexec
