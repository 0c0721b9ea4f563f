// The sandbox executor against its floor and against bubblewrap, in one run.
//
//   sandbox_bench [--quick]
//
// Floor: posix_spawn of the same program, output read to end of file, waitpid. Sandbox: the
// same program through the sandbox's runner (namespaces, mounts, cgroup, seccomp, PID 1), and a
// python block through the whole executor. bwrap: Debian's bubblewrap with comparable isolation
// (all namespaces, read-only /usr, fresh /proc, /dev and /tmp, the work folder bound). Targets
// (issue #6): sandboxed python <= 1.2x the bare spawn; >= 800 sandboxed /bin/true per second with
// 2 callers; faster than bwrap in both. Then the cost of each setup step.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "codeexec/sandbox_executor.h"
#include "process/environment.h"
#include "sandbox/cgroup.h"
#include "sandbox/init_program.h"
#include "sandbox/mount_plan.h"
#include "sandbox/sandbox_runner.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/step_times.h"

extern char** environ;

namespace {

using namespace codeexec::bench;  // Median, TimeMicros, BareSpawn, ...

using Clock = std::chrono::steady_clock;
using codeexec::CancellationToken;

// clone3 into the namespaces and exit at once: the kernel's share of a sandbox start.
void CloneNamespaces(uint64_t flags) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) _exit(0);
  int status;
  waitpid(static_cast<pid_t>(pid), &status, 0);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 30 : 200;
  const double seconds = quick ? 1.0 : 3.0;
  codeexec::SandboxExecutorOptions options;
  auto executor = codeexec::SandboxExecutor::Create(options);
  if (!executor) {
    fmt::print(stderr, "{}\n", executor.error().ToString());
    return 1;
  }
  std::string work = executor->work_dir().string();
  std::ofstream(executor->work_dir() / "floor.py") << "print(1)";

  // The runner alone, for /bin/true (what the executor adds around it is the local overhead).
  auto seccomp = codeexec::SeccompFilter::Build();
  auto init_program = codeexec::SealedInitProgram();
  auto work_files = codeexec::ConfinedFolder::Open(executor->work_dir());
  if (!seccomp || !init_program || !work_files) return 1;
  codeexec::SandboxRunner runner(std::move(*seccomp), std::move(*init_program), options.limits,
                                 false, options.host_uid, options.host_gid);
  codeexec::SandboxViewOptions view_options;
  view_options.work_dir = executor->work_dir();
  view_options.host_uid = options.host_uid;
  view_options.host_gid = options.host_gid;
  view_options.tmp_bytes = 1 << 24;
  if (auto built = runner.BuildView(view_options, &*work_files); !built) {
    fmt::print(stderr, "{}\n", built.error().ToString());
    return 1;
  }
  codeexec::Environment env = codeexec::Environment::FromOptions(options.env);
  auto sandboxed = [&](const std::vector<std::string>& args) {
    codeexec::Step step;
    step.argv = args;
    step.env = &env;
    step.working_folder = work;
    codeexec::RunLimits limits;
    limits.deadline = Clock::now() + std::chrono::seconds(30);
    codeexec::OutputCollector output(1 << 16);
    auto outcome = runner.Run(step, limits, CancellationToken(), output);
    if (!outcome || outcome->exit_code != 0) std::abort();
  };
  std::vector<std::string> bwrap = BwrapPrefix(work);
  auto with_bwrap = [&](std::vector<std::string> args) {
    std::vector<std::string> all = bwrap;
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };
  bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;

  fmt::print("codeexec sandbox benchmark (medians, {} rounds)\n\n", rounds);
  std::vector<double> bare_true, sandbox_true, bwrap_true;
  std::vector<double> bare_py, sandbox_py, bwrap_py;
  const std::vector<std::string> kTrue = {"/bin/true"};
  const std::vector<std::string> kPython = {"/usr/bin/python3", work + "/floor.py"};
  for (int i = 0; i < rounds + 5; ++i) {
    bool warm = i >= 5;
    double a = TimeMicros([&] { BareSpawn(kTrue); });
    double b = TimeMicros([&] { sandboxed(kTrue); });
    double c = have_bwrap ? TimeMicros([&] { BareSpawn(with_bwrap(kTrue)); }) : 0;
    double d = TimeMicros([&] { BareSpawn(kPython); });
    double e = TimeMicros([&] {
      auto result = executor->ExecuteCodeBlocks({{"python", "print(1)"}});
      if (!result || result->exit_code != 0) std::abort();
    });
    double f = have_bwrap ? TimeMicros([&] { BareSpawn(with_bwrap(kPython)); }) : 0;
    if (!warm) continue;
    bare_true.push_back(a), sandbox_true.push_back(b), bwrap_true.push_back(c);
    bare_py.push_back(d), sandbox_py.push_back(e), bwrap_py.push_back(f);
  }
  fmt::print("/bin/true         bare {:7.0f} us   sandbox {:7.0f} us   bwrap {:7.0f} us\n",
             Median(bare_true), Median(sandbox_true), Median(bwrap_true));
  fmt::print(
      "python print(1)   bare {:7.0f} us   sandbox {:7.0f} us ({:.3f}x, target <= 1.2x)"
      "   bwrap {:7.0f} us ({:.3f}x)\n",
      Median(bare_py), Median(sandbox_py), Median(sandbox_py) / Median(bare_py), Median(bwrap_py),
      Median(bwrap_py) / Median(bare_py));
  double sandbox_rate = PerSecond(
      2, [&] { sandboxed(kTrue); }, seconds);
  double bwrap_rate = have_bwrap ? PerSecond(
                                       2, [&] { BareSpawn(with_bwrap(kTrue)); }, seconds)
                                 : 0;
  double bare_rate = PerSecond(
      2, [&] { BareSpawn(kTrue); }, seconds);
  fmt::print(
      "/bin/true, 2 callers: sandbox {:.0f}/s (target >= 800)   bwrap {:.0f}/s   bare "
      "{:.0f}/s\n\n",
      sandbox_rate, bwrap_rate, bare_rate);

  // Where a sandboxed run's time goes: each step's end, recorded by the child and the runner.
  fmt::print("setup steps of a sandboxed run (medians of {} runs):\n", rounds);
  auto step_times = codeexec::StepTimes::Create();
  if (!step_times) return 1;
  runner.SetStepTimes(&*step_times);
  for (const auto& program : {kTrue, kPython}) {
    std::vector<std::string> names;
    std::map<std::string, std::vector<double>> costs;
    for (int i = 0; i < rounds; ++i) {
      sandboxed(program);
      for (const auto& [name, cost] : step_times->Last()) {
        if (costs.find(name) == costs.end()) names.push_back(name);
        costs[name].push_back(std::chrono::duration<double, std::micro>(cost).count());
      }
    }
    fmt::print("  {}:\n", program.back());
    for (const auto& name : names) {
      fmt::print("    {:<36} {:7.0f} us\n", name, Median(costs[name]));
    }
  }
  runner.SetStepTimes(nullptr);
  std::vector<double> ns_us, ns_no_net_us, fork_us;
  for (int i = 0; i < rounds; ++i) {
    fork_us.push_back(TimeMicros([&] { CloneNamespaces(0); }));
    ns_us.push_back(TimeMicros([&] {
      CloneNamespaces(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                      CLONE_NEWCGROUP | CLONE_NEWNET);
    }));
    ns_no_net_us.push_back(TimeMicros([&] {
      CloneNamespaces(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                      CLONE_NEWCGROUP);
    }));
  }
  fmt::print("the kernel's share (medians):\n");
  fmt::print("  clone3 + exit, no namespaces            {:6.0f} us\n", Median(fork_us));
  fmt::print("  clone3 + exit, the sandbox's namespaces {:6.0f} us\n", Median(ns_no_net_us));
  fmt::print("  ... and a new network namespace         {:6.0f} us (saved: the slot's is reused)\n",
             Median(ns_us) - Median(ns_no_net_us));
  return 0;
}
