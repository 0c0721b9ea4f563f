// codeexec-sandbox-init: PID 1 of every sandbox. Starts the program (a vfork), reaps every process
// the namespace hands it until the program itself exits, reports the program's wait status and
// exits, which kills whatever is left in the PID namespace. Statically linked and embedded in
// the library (init_program.cc); the setup child executes it from a sealed memory file, so PID 1
// is a small process of its own rather than a copy of the host process.
//
// Freestanding, without a C library: a C library's start-up asks the CPU for its features
// (CPUID), which virtual machines trap, and costs about half a millisecond per exec there. So:
// its own entry point and raw system calls, on x86-64 and AArch64.
//
// Protocol: see child_protocol.h (descriptors 3, 4 and optionally 5; argv[1] is the program,
// argv[2...] its argv; the environment is the program's).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>

#include "sandbox/child_protocol.h"

namespace {

using codeexec::ChildFailure;
using codeexec::ChildStep;

long Call(long number, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
#if defined(__x86_64__)
  long result;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
               : "rcx", "r11", "memory");
  return result;
#elif defined(__aarch64__)
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  register long x4 asm("x4") = e;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
#else
#error "codeexec-sandbox-init has no system calls for this CPU architecture"
#endif
}

[[noreturn]] void Exit(int code) {
  for (;;) Call(SYS_exit_group, code);
}

int64_t* step_end_ns = nullptr;

void Mark(ChildStep step) {
  if (step_end_ns == nullptr) return;
  timespec now{};
  Call(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<long>(&now));
  step_end_ns[static_cast<int>(step)] = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

[[noreturn]] void Fail(ChildStep step, long error) {
  ChildFailure failure{step, 0, static_cast<int32_t>(-error)};
  Call(SYS_write, codeexec::kInitErrorFd, reinterpret_cast<long>(&failure), sizeof(failure));
  Exit(127);
}

// The signals this process ignores (bit n-1 for signal n), from /proc/self/status (the sandbox's
// own /proc): only ignored dispositions survive exec. All of the 31 standard ones when it cannot
// be read.
unsigned long IgnoredSignals() {
  constexpr unsigned long kStandard = 0x7fffffffUL;
  long fd =
      Call(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/status"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kStandard;
  static char text[4096];
  long length = 0;
  for (long n; length < static_cast<long>(sizeof(text)) - 1; length += n) {
    n = Call(SYS_read, fd, reinterpret_cast<long>(text + length), sizeof(text) - 1 - length);
    if (n == -EINTR) {
      n = 0;
      continue;
    }
    if (n <= 0) break;
  }
  Call(SYS_close, fd);
  text[length] = 0;
  constexpr char kKey[] = "\nSigIgn:\t";
  for (long i = 0; i + static_cast<long>(sizeof(kKey)) - 1 + 16 <= length; ++i) {
    long k = 0;
    while (kKey[k] != 0 && text[i + k] == kKey[k]) ++k;
    if (kKey[k] != 0) continue;
    unsigned long mask = 0;
    for (const char* digit = text + i + k; digit < text + i + k + 16; ++digit) {
      int value = *digit >= '0' && *digit <= '9'   ? *digit - '0'
                  : *digit >= 'a' && *digit <= 'f' ? *digit - 'a' + 10
                                                   : -1;
      if (value < 0) return kStandard;
      mask = mask << 4 | static_cast<unsigned long>(value);
    }
    return mask;
  }
  return kStandard;
}

// As the local executor's children: no signal blocked, and none ignored (a zeroed kernel
// sigaction is SIG_DFL on both architectures). Handlers do not survive exec; ignored signals do,
// so only those are reset, and only among the 31 standard ones (the C libraries keep the first
// real-time signals for themselves).
long ResetSignals(unsigned long ignored) {
  unsigned long none = 0;
  long rc = Call(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof(none));
  unsigned long action[4] = {};
  for (int number = 1; rc >= 0 && number < 32; ++number) {
    if (number == SIGKILL || number == SIGSTOP || (ignored & (1UL << (number - 1))) == 0) continue;
    rc = Call(SYS_rt_sigaction, number, reinterpret_cast<long>(action), 0, sizeof(none));
  }
  return rc;
}

// What the program's process does until exec replaces it. It shares PID 1's memory (a vfork):
// PID 1 is suspended meanwhile, and the child writes only its own stack (and, when measured, the
// shared step times).
struct ProgramStart {
  char** argv;
  char** envp;
  unsigned long ignored;
};

[[noreturn]] void StartProgram(void* arg) {
  const auto& start = *static_cast<const ProgramStart*>(arg);
  if (long rc = ResetSignals(start.ignored); rc < 0) Fail(ChildStep::kSignals, rc);
  Mark(ChildStep::kSignals);
  Fail(ChildStep::kExec,
       Call(SYS_execve, reinterpret_cast<long>(start.argv[1]),
            reinterpret_cast<long>(start.argv + 2), reinterpret_cast<long>(start.envp)));
}

// clone(flags) with the child on `stack_top`, running fn(arg) (which must not return). Returns
// the child's pid, or -errno. In assembly: after a clone onto another stack, the child cannot
// return into C.
extern "C" long CloneOnStack(long flags, void* stack_top, void (*fn)(void*), void* arg);

[[noreturn]] void Init(long* stack) {
  long argc = stack[0];
  auto** argv = reinterpret_cast<char**>(stack + 1);
  char** envp = argv + argc + 1;
  if (argc < 3) Exit(126);
  long times = Call(SYS_mmap, 0, codeexec::kChildStepCount * sizeof(int64_t),
                    PROT_READ | PROT_WRITE, MAP_SHARED, codeexec::kInitStepTimesFd);
  if (times > 0 || times < -4095) step_end_ns = reinterpret_cast<int64_t*>(times);
  Mark(ChildStep::kExecInit);
  // Its memory and environment stay private to it (the program is dumpable again after exec).
  Call(SYS_prctl, PR_SET_DUMPABLE, 0);
  const int ours[] = {codeexec::kInitStatusFd, codeexec::kInitErrorFd, codeexec::kInitStepTimesFd};
  for (int fd : ours) Call(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
  // A vfork onto a stack of its own: no copy of PID 1's memory to make, and none to drop at exec
  // (a fork costs a third of a millisecond in a virtual machine).
  ProgramStart start{argv, envp, IgnoredSignals()};
  static char program_stack[16 << 10] __attribute__((aligned(16)));
  long program = CloneOnStack(CLONE_VM | CLONE_VFORK | SIGCHLD,
                              program_stack + sizeof(program_stack), StartProgram, &start);
  if (program < 0) Fail(ChildStep::kFork, program);
  Mark(ChildStep::kFork);
  // The runner sees end of file on its pipes once the program and what it started are done.
  const int done[] = {codeexec::kInitErrorFd, 1, 2};
  for (int fd : done) Call(SYS_close, fd);
  for (;;) {
    int status = 0;
    long pid = Call(SYS_wait4, -1, reinterpret_cast<long>(&status), 0, 0);
    if (pid == -EINTR) continue;
    if (pid < 0) Exit(126);
    if (pid != program) continue;
    Mark(ChildStep::kProgramExit);
    Call(SYS_write, codeexec::kInitStatusFd, reinterpret_cast<long>(&status), sizeof(status));
    Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace

// The entry point: the kernel leaves argc, argv and the environment on the stack.
extern "C" [[noreturn]] void InitEntry(long* stack) { Init(stack); }

#if defined(__x86_64__)
asm(R"(
  .text
  .globl _start
_start:
  xor %ebp, %ebp
  mov %rsp, %rdi
  and $-16, %rsp
  call InitEntry
  hlt

  .globl CloneOnStack
CloneOnStack:
  and $-16, %rsi
  sub $16, %rsi
  mov %rdx, 0(%rsi)
  mov %rcx, 8(%rsi)
  mov $56, %eax
  xor %edx, %edx
  xor %r10d, %r10d
  xor %r8d, %r8d
  syscall
  test %rax, %rax
  jnz 1f
  xor %ebp, %ebp
  pop %rax
  pop %rdi
  call *%rax
  hlt
1:
  ret
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .globl _start
_start:
  mov x29, xzr
  mov x0, sp
  bl InitEntry
  brk #0

  .globl CloneOnStack
CloneOnStack:
  and x1, x1, #-16
  stp x2, x3, [x1, #-16]!
  mov x2, xzr
  mov x3, xzr
  mov x4, xzr
  mov x8, #220
  svc 0
  cbnz x0, 1f
  mov x29, xzr
  ldp x2, x0, [sp], #16
  blr x2
  brk #0
1:
  ret
)");
#endif
