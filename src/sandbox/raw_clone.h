// RawClone3: clone3 with a stack of the caller's choosing, for a child that shares the caller's
// memory (CLONE_VM) and must not return into the caller's frames. glibc has no clone3 wrapper,
// and its clone() cannot pass CLONE_INTO_CGROUP (a 64-bit flag).
#ifndef CODEEXEC_SRC_SANDBOX_RAW_CLONE_H_
#define CODEEXEC_SRC_SANDBOX_RAW_CLONE_H_

#include <linux/sched.h>

#include <cstddef>

namespace codeexec {

// In the parent: the child's pid, or -errno. In the child (on args->stack): fn(arg), then exit
// with its result. args->stack and args->stack_size must be set (the top 16-byte aligned).
long RawClone3(clone_args* args, int (*fn)(void*), void* arg);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_RAW_CLONE_H_
