#include "sandbox/raw_clone.h"

#include <sys/syscall.h>

// codeexec_raw_clone3(args, size, fn, arg). The system call preserves the registers that hold fn
// and arg in both parent and child; the child starts on the new stack, calls fn(arg) and exits
// with its result without ever returning.
#if defined(__x86_64__)
asm(R"(
  .text
  .globl codeexec_raw_clone3
  .hidden codeexec_raw_clone3
  .type codeexec_raw_clone3, @function
codeexec_raw_clone3:
  mov %rdx, %r8
  mov %rcx, %r9
  mov $435, %eax
  syscall
  test %rax, %rax
  jnz 1f
  xor %ebp, %ebp
  mov %r9, %rdi
  call *%r8
  mov %eax, %edi
  mov $60, %eax
  syscall
  hlt
1:
  ret
  .size codeexec_raw_clone3, .-codeexec_raw_clone3
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .globl codeexec_raw_clone3
  .hidden codeexec_raw_clone3
  .type codeexec_raw_clone3, %function
codeexec_raw_clone3:
  mov x9, x2
  mov x10, x3
  mov x8, #435
  svc #0
  cbnz x0, 1f
  mov x29, xzr
  mov x0, x10
  blr x9
  mov x8, #93
  svc #0
  brk #0
1:
  ret
  .size codeexec_raw_clone3, .-codeexec_raw_clone3
)");
#else
#error "RawClone3 has no implementation for this CPU architecture"
#endif

extern "C" long codeexec_raw_clone3(clone_args* args, size_t size, int (*fn)(void*), void* arg);

namespace codeexec {

long RawClone3(clone_args* args, int (*fn)(void*), void* arg) {
  return codeexec_raw_clone3(args, sizeof(*args), fn, arg);
}

}  // namespace codeexec
