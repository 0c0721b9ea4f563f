#include "hostile_cases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/random.h>
#include <unistd.h>

#include <filesystem>

namespace codeexec::hostile {
namespace {

using ::testing::AnyOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

std::string RandomHex() {
  unsigned char bytes[12] = {};
  (void)getrandom(bytes, sizeof(bytes), 0);
  std::string hex;
  for (unsigned char byte : bytes) hex += "0123456789abcdef"[byte % 16];
  return hex;
}

Expect OutputHas(std::string text) {
  return [text](const CodeResult& r) { EXPECT_THAT(r.output, HasSubstr(text)); };
}
Expect StatusIs(ExecutionStatus status) {
  return [status](const CodeResult& r) { EXPECT_EQ(r.status, status) << r.output; };
}
Expect NoHostSecret() {
  return [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr(HostSecret()))); };
}
// Both expectations.
Expect And(Expect a, Expect b) {
  return [a, b](const CodeResult& r) {
    a(r);
    b(r);
  };
}
// The case runs; only the checks after every case apply.
Expect HostUnchanged() {
  return [](const CodeResult&) {};
}
Expect TimedOut() { return StatusIs(ExecutionStatus::kTimeout); }
Expect Truncated() {
  return [](const CodeResult& r) {
    EXPECT_TRUE(r.truncated);
    EXPECT_LT(r.output.size(), 70000u);
  };
}
Expect Refused() { return OutputHas("-1 Operation not permitted"); }

Expect StoppedAtTheFileSizeLimit() {
  return [](const CodeResult& r) {
    EXPECT_THAT(r.output, HasSubstr("rc=153\n"));  // 128 + SIGXFSZ
    EXPECT_THAT(r.stdout_text, HasSubstr("\n16777216\n"));
  };
}

// The seccomp filter kills the process (SIGSYS, policy violation); a kernel whose 32-bit ABI is
// disabled faults the instruction itself (SIGSEGV) before any filter sees it. Either way the
// call never ran.
Expect KilledBeforeThe32BitCallRan() {
  return [](const CodeResult& r) {
    EXPECT_THAT(r.output, Not(HasSubstr("returned")));
    EXPECT_TRUE(r.status == ExecutionStatus::kPolicyViolation || r.exit_code == 128 + 11)
        << r.exit_code << " " << r.output;
  };
}

Expect NothingWrittenThroughTheTrap() {
  return [](const CodeResult& r) {
    EXPECT_THAT(r.output, HasSubstr("planted"));
    EXPECT_FALSE(std::filesystem::exists(HostVictimFile())) << r.output;
  };
}

// Python calling `call` through libc and printing its result and errno's text.
std::vector<CodeBlock> PythonErrno(const std::string& call) {
  return {{"python", "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = " + call +
                         "\nprint(rc, os.strerror(ctypes.get_errno()))"}};
}
std::vector<CodeBlock> Sh(std::string code) { return {{"sh", std::move(code)}}; }
std::vector<CodeBlock> Python(std::string code) { return {{"python", std::move(code)}}; }

// A shell that sleeps with the marker in its command line (and is no exec of sleep).
std::string MarkedSleeper() {
  return std::string("['sh', '-c', 'sleep 1000; :', '") + kMarker + "']";
}

}  // namespace

const std::string& HostSecret() {
  static const std::string secret = "hostile-secret-" + RandomHex();
  return secret;
}
const std::string& HostSecretFile() {
  static const std::string path = "/root/.codeexec-hostile-" + std::to_string(getpid());
  return path;
}
const std::string& HostVictimFile() {
  static const std::string path = "/tmp/codeexec-hostile-victim-" + std::to_string(getpid());
  return path;
}

std::vector<HostileCase> Cases() {
  return {
      // Resources. The local executor has only the time and output limits.
      {.name = "ForkBomb",
       .blocks = {{"bash", ":(){ :|:& };:"}},
       .sandbox =
           [](const CodeResult& r) {
             EXPECT_THAT(r.status, AnyOf(ExecutionStatus::kTimeout, ExecutionStatus::kProcessLimit,
                                         ExecutionStatus::kOk, ExecutionStatus::kError));
           },
       .docker = HostUnchanged()},
      {.name = "ThreadBomb",
       .blocks = Python("import threading, time\nthreads = []\ntry:\n    while True:\n"
                        "        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)\n"
                        "        t.start(); threads.append(t)\nexcept RuntimeError as e:\n"
                        "    print('stopped at', len(threads) < 1000)\n    raise SystemExit(3)"),
       .sandbox = And(OutputHas("stopped at True"), StatusIs(ExecutionStatus::kProcessLimit)),
       .docker = OutputHas("stopped at True")},
      {.name = "MemoryBomb",
       .blocks = Python("blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 24))"),
       .sandbox = StatusIs(ExecutionStatus::kMemoryLimit),
       .docker = StatusIs(ExecutionStatus::kMemoryLimit)},
      {.name = "CpuSpin",
       .blocks = Python("while True:\n    pass"),
       .sandbox = TimedOut(),
       .docker = TimedOut(),
       .local = TimedOut()},
      {.name = "SleepForever",
       .blocks = Sh("sleep 100000"),
       .sandbox = TimedOut(),
       .docker = TimedOut(),
       .local = TimedOut()},
      {.name = "TimeoutKillsTheWholeTree",
       .blocks = Python("import subprocess, time\nfor _ in range(3):\n    subprocess.Popen(" +
                        MarkedSleeper() + ")\nprint('started', flush=True)\ntime.sleep(1000)"),
       .sandbox = And(TimedOut(), OutputHas("started")),
       .docker = And(TimedOut(), OutputHas("started")),
       .local = And(TimedOut(), OutputHas("started"))},
      {.name = "OutputFlood",
       .blocks = Sh("yes flood"),
       .sandbox = Truncated(),
       .docker = Truncated(),
       .local = Truncated()},
      // Disk and descriptors (Docker: with its tmpfs and ulimits options).
      {.name = "FileBeyondTheSizeLimit",
       .blocks = Sh("head -c 20000000 /dev/zero > big.bin; echo rc=$?; "
                    "ls -l big.bin | awk '{print $5}'"),
       .sandbox = StoppedAtTheFileSizeLimit(),
       .docker = StoppedAtTheFileSizeLimit()},
      {.name = "FillTmp",
       .blocks = Sh("for i in 1 2 3 4 5 6; do head -c 10000000 /dev/zero > /tmp/fill$i || break; "
                    "done"),
       .sandbox = OutputHas("No space left on device"),
       .docker = OutputHas("No space left on device")},
      {.name = "MillionsOfFiles",
       .blocks =
           Python("import os\ncount = 0\ntry:\n    for i in range(1000000):\n"
                  "        open(f'/tmp/f{i}', 'w').close(); count += 1\nexcept OSError as e:\n"
                  "    print('stopped', e.strerror)"),
       .sandbox = OutputHas("stopped No space left on device"),
       .docker = OutputHas("stopped No space left on device")},
      {.name = "DescriptorExhaustion",
       .blocks =
           Python("files = []\ntry:\n    while True:\n        files.append(open('/dev/null'))\n"
                  "except OSError as e:\n    print(e.strerror, len(files) < 200)"),
       .sandbox = OutputHas("Too many open files True"),
       .docker = OutputHas("Too many open files True")},
      // The host's secrets. Docker's container has files of its own by those names (its image's).
      {.name = "ReadHostSecrets",
       .blocks = Sh("cat /etc/shadow /etc/gshadow " + HostSecretFile() + "; ls /root /home"),
       .sandbox = And(NoHostSecret(),
                      [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("root:"))); }),
       .docker = NoHostSecret()},
      {.name = "OtherProcessesEnviron",
       .blocks = Sh("ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; cat /proc/[0-9]*/environ; echo"),
       .sandbox = And(NoHostSecret(),
                      [](const CodeResult& r) {
                        EXPECT_THAT(r.stdout_text, HasSubstr("1 2 "));
                        EXPECT_THAT(r.output, HasSubstr("Permission denied"));
                      }),
       .docker = NoHostSecret()},
      {.name = "EnvironmentSecrets",
       .blocks = Sh("env | sort | cut -d= -f1 | tr '\\n' ' '; env"),
       .sandbox = And(NoHostSecret(),
                      [](const CodeResult& r) {
                        EXPECT_THAT(r.stdout_text,
                                    ::testing::StartsWith("HOME LANG PATH PWD TMPDIR "));
                      }),
       .docker = NoHostSecret()},
      // Writing where it may not. Docker: the container's own files may change; the host's not.
      {.name = "WriteOutsideWorkDir",
       .blocks = Sh("for f in /usr/x /etc/x /x /bin/x /proc/x; do touch $f 2>/dev/null && "
                    "echo wrote $f; done; echo done"),
       .sandbox = [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "done\n"); },
       .docker = HostUnchanged()},
      {.name = "SymlinkToAHostFile",
       .blocks = Sh("ln -s " + HostSecretFile() + " link && cat link; echo rc=$?"),
       .sandbox = And(NoHostSecret(), OutputHas("No such file or directory")),
       .docker = NoHostSecret()},
      // The executor writes the next block's file in the work folder on the host: it must not
      // follow a link the code left there.
      {.name = "SymlinkTrapForTheNextBlock",
       .blocks = {{"sh", "ln -s " + HostVictimFile() + " trap.py; echo planted"},
                  {"python", "# filename: trap.py\nprint('written through')"}},
       .sandbox = NothingWrittenThroughTheTrap(),
       .docker = NothingWrittenThroughTheTrap(),
       .local = NothingWrittenThroughTheTrap()},
      // The network: none (Docker's network mode "none").
      {.name = "NetworkEgress",
       .blocks = Python("import socket\ntry:\n    socket.create_connection(('8.8.8.8', 53), "
                        "timeout=2)\nexcept OSError as e:\n    print('blocked', e.errno)"),
       .sandbox = OutputHas("blocked 101"),
       .docker = OutputHas("blocked 101")},
      // The kernel's attack surface. Docker: its default seccomp profile and capabilities.
      {.name = "Ptrace",
       .blocks = PythonErrno("libc.ptrace(16, 1, 0, 0)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "NestedNamespaces",
       .blocks = PythonErrno("libc.unshare(0x10000000)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "Mount",
       .blocks = PythonErrno("libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "SetuidBinariesGrantNothing",
       .blocks = Sh("grep -E '^(NoNewPrivs|CapEff|CapBnd)' /proc/self/status | tr '\\t' ' '"),
       .sandbox =
           [](const CodeResult& r) {
             EXPECT_THAT(r.output, HasSubstr("NoNewPrivs: 1\n"));
             EXPECT_THAT(r.output, HasSubstr("CapEff: 0000000000000000\n"));
             EXPECT_THAT(r.output, HasSubstr("CapBnd: 0000000000000000\n"));
           },
       // Root in the container keeps Docker's default capabilities, never CAP_SYS_ADMIN (21).
       .docker =
           [](const CodeResult& r) {
             auto at = r.output.find("CapBnd: ");
             ASSERT_NE(at, std::string::npos) << r.output;
             uint64_t bounding = std::stoull(r.output.substr(at + 8, 16), nullptr, 16);
             EXPECT_EQ(bounding & (1ull << 21), 0u) << r.output;
           }},
      {.name = "Tiocsti",
       .blocks = PythonErrno("libc.ioctl(1, 0x5412, ctypes.c_char_p(b'x'))"),
       .sandbox = Refused(),
       // No terminal in the container: refused as not a terminal.
       .docker = OutputHas("-1 ")},
      {.name = "Keyctl",
       .blocks = PythonErrno("libc.syscall(250, 0, 0, 0, 0)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "Bpf",
       .blocks = PythonErrno("libc.syscall(321, 0, 0, 0)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "PerfEvents",
       .blocks = PythonErrno("libc.syscall(298, 0, 0, -1, -1, 0)"),
       .sandbox = Refused(),
       .docker = Refused()},
      // Docker 20.10's default profile allows io_uring (Docker 25 blocks it): sandbox only.
      {.name = "IoUring", .blocks = PythonErrno("libc.syscall(425, 8, 0)"), .sandbox = Refused()},
      {.name = "KernelModules",
       .blocks = PythonErrno("libc.syscall(313, -1, b'', 0)"),
       .sandbox = Refused(),
       .docker = Refused()},
      {.name = "Reboot",
       .blocks = PythonErrno("libc.reboot(0x1234567)"),
       .sandbox = Refused(),
       .docker = Refused()},
      // The 32-bit system call ABI, from machine code (no compiler needed): getpid via int 0x80.
      // Docker's default profile allows that ABI, so there only the host checks apply.
      {.name = "ThirtyTwoBitSyscall",
       .blocks = Python("import ctypes, mmap\n"
                        "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | "
                        "mmap.PROT_EXEC)\n"
                        "m.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))\n"
                        "call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof("
                        "ctypes.c_char.from_buffer(m)))\nprint('returned', call() > 0)"),
       .sandbox = KilledBeforeThe32BitCallRan(),
       .docker = HostUnchanged()},
      {.name = "OverwriteProcSelfExe",
       .blocks = Sh("cp /bin/true /proc/self/exe 2>&1; echo rc=$?"),
       .sandbox = [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("rc=0"))); },
       .docker = [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("rc=0"))); }},
      // What the code inherits.
      {.name = "InheritedDescriptors",
       .blocks = Sh("exec ls /proc/self/fd | tr '\\n' ' '"),
       .sandbox = [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "0 1 2 3 "); },
       .docker = [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "0 1 2 3 "); },
       .local = [](const CodeResult& r) { EXPECT_EQ(r.stdout_text, "0 1 2 3 "); }},
      {.name = "HugeArguments",
       .blocks = Python("import os\ntry:\n    os.execv('/bin/true', ['true'] + ['x' * 100000] * "
                        "100)\nexcept OSError as e:\n    print(e.strerror)"),
       .sandbox = OutputHas("Argument list too long"),
       .docker = OutputHas("Argument list too long"),
       .local = OutputHas("Argument list too long")},
      // Outliving the run.
      {.name = "DaemonisedGrandchild",
       .blocks =
           Python("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                  "        os.execvp('sh', " +
                  MarkedSleeper() +
                  ")\n    os._exit(0)\ntime.sleep(0.5)\n"
                  "running = [p for p in os.listdir('/proc') if p.isdigit() and b'" +
                  kMarker +
                  "' in open(f'/proc/{p}/cmdline', 'rb').read()]\n"
                  "print('daemon running' if running else 'no daemon')"),
       .sandbox = OutputHas("daemon running"),
       .docker = OutputHas("daemon running")},
      {.name = "KillTheSupervisor",
       .blocks = Sh("kill -9 1; kill -9 0 2>/dev/null; echo still here"),
       .sandbox = HostUnchanged(),
       .docker = HostUnchanged()},
      // The machine's identity.
      {.name = "ChangeHostname",
       .blocks = Sh("hostname evil 2>&1; hostname"),
       .sandbox = OutputHas("codeexec"),
       .docker = [](const CodeResult& r) { EXPECT_THAT(r.output, Not(EndsWith("evil\n"))); }},
      {.name = "WriteSys",
       .blocks = Sh("ls /sys 2>&1 | head -1; echo 1 > /sys/kernel/mm/ksm/run; echo rc=$?"),
       .sandbox = And(OutputHas("No such file or directory"),
                      [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("rc=0"))); }),
       .docker = [](const CodeResult& r) { EXPECT_THAT(r.output, Not(HasSubstr("rc=0"))); }},
  };
}

}  // namespace codeexec::hostile
