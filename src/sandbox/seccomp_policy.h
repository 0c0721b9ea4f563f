// The sandbox's seccomp policy (see seccomp_filter.h), compiled by libseccomp into a BPF program
// for this machine's architecture. Runs at build time: codeexec-seccomp-compile writes the program
// that the library embeds, so no executor pays libseccomp's compilation (half a millisecond) and
// the libraries do not link libseccomp. The test compares the two.
#ifndef CODEEXEC_SRC_SANDBOX_SECCOMP_POLICY_H_
#define CODEEXEC_SRC_SANDBOX_SECCOMP_POLICY_H_

#include <linux/filter.h>

#include <vector>

#include "codeexec/error.h"

namespace codeexec {

Result<std::vector<sock_filter>> CompileSeccompPolicy();

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SECCOMP_POLICY_H_
