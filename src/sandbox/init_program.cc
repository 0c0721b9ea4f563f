#include "sandbox/init_program.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

// The program's bytes, placed in the library's read-only data at build time (CMake passes the
// path of the built program as CODEEXEC_SANDBOX_INIT_PATH).
asm(R"(
  .section .rodata.codeexec_sandbox_init, "a", @progbits
  .balign 16
  .local codeexec_sandbox_init_begin
codeexec_sandbox_init_begin:
  .incbin ")" CODEEXEC_SANDBOX_INIT_PATH R"("
  .local codeexec_sandbox_init_end
codeexec_sandbox_init_end:
  .previous
)");
extern "C" const char codeexec_sandbox_init_begin[];
extern "C" const char codeexec_sandbox_init_end[];

namespace codeexec {

Result<UniqueFd> SealedInitProgram() {
  UniqueFd fd(memfd_create("codeexec-sandbox-init", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("cannot create the sandbox's init program", errno);
  const char* at = codeexec_sandbox_init_begin;
  while (at < codeexec_sandbox_init_end) {
    ssize_t n = write(fd.get(), at, static_cast<size_t>(codeexec_sandbox_init_end - at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write the sandbox's init program", errno);
    at += n;
  }
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    return ErrnoError("cannot seal the sandbox's init program", errno);
  }
  return fd;
}

}  // namespace codeexec
