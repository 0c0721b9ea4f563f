// The codeexec-sandbox-init program (init/sandbox_init.cc), built with the library and embedded
// in it, as a sealed memory file the sandbox's setup child executes as PID 1.
#ifndef CODEEXEC_SRC_SANDBOX_INIT_PROGRAM_H_
#define CODEEXEC_SRC_SANDBOX_INIT_PROGRAM_H_

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

// A new memory file holding the program, sealed against every change (close-on-exec; executable
// with execveat(fd, "", ..., AT_EMPTY_PATH) even where no file system shows it).
Result<UniqueFd> SealedInitProgram();

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_INIT_PROGRAM_H_
