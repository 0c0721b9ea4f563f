// codeexec-sandbox-init: PID 1 of every sandbox. Forks the program, reaps every process the
// namespace hands it until the program itself exits, reports the program's wait status and
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

// As the local executor's children: no signal blocked, the standard ones at their defaults (only
// ignored ones survive exec). A zeroed kernel sigaction is SIG_DFL on both architectures.
long ResetSignals() {
  unsigned long none = 0;
  long rc = Call(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof(none));
  unsigned long action[4] = {};
  for (int number = 1; rc >= 0 && number < 32; ++number) {
    if (number == SIGKILL || number == SIGSTOP) continue;
    rc = Call(SYS_rt_sigaction, number, reinterpret_cast<long>(action), 0, sizeof(none));
  }
  return rc;
}

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
  long program = Call(SYS_clone, SIGCHLD);
  if (program < 0) Fail(ChildStep::kFork, program);
  if (program == 0) {
    if (long rc = ResetSignals(); rc < 0) Fail(ChildStep::kSignals, rc);
    Mark(ChildStep::kSignals);
    Fail(ChildStep::kExec, Call(SYS_execve, reinterpret_cast<long>(argv[1]),
                                reinterpret_cast<long>(argv + 2), reinterpret_cast<long>(envp)));
  }
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
)");
#endif
