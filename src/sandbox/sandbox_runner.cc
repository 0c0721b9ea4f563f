#include "sandbox/sandbox_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "process/unique_fd.h"
#include "sandbox/sandbox_child.h"

namespace codeexec {
namespace {

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<void> WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = fmt::format("/proc/{}/{}", pid, name);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open " + path, errno);
  ssize_t n = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return ErrnoError("cannot write " + path, saved);
  return {};
}

// The child is root in its user namespace and the caller's user outside: files it creates in the
// work folder belong to the caller.
Result<void> WriteIdMaps(pid_t pid) {
  if (auto ok = WriteProcFile(pid, "setgroups", "deny"); !ok) return ok;
  if (auto ok = WriteProcFile(pid, "uid_map", fmt::format("0 {} 1", getuid())); !ok) return ok;
  return WriteProcFile(pid, "gid_map", fmt::format("0 {} 1", getgid()));
}

// Reads the child's report of a failed setup step; nullopt once exec closed the pipe.
std::optional<ChildFailure> ReadFailure(int fd) {
  ChildFailure failure;
  ssize_t n;
  do {
    n = read(fd, &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n != sizeof(failure)) return std::nullopt;
  return failure;
}

tl::unexpected<Error> SetupError(const ChildFailure& failure, const MountPlan& mounts) {
  std::string step = ChildStepName(failure.step);
  if (failure.step == ChildStep::kMounts) step += " (" + mounts.Describe(failure.detail) + ")";
  return ErrnoError("sandbox setup failed while " + step, failure.error);
}

rlimit Limit(uint64_t value) { return rlimit{value, value}; }

// The parent's events in a run, recorded after the child's steps in the step-time array.
enum ParentEvent { kRunStart, kCloned, kIdMapsWritten, kExecSeen, kExited, kParentEventCount };
constexpr const char* kParentEventNames[] = {
    "start", "clone3 from the slot's thread", "id maps written by the parent",
    "exec seen by the parent", "PID 1 exited: namespaces torn down"};
constexpr int kStepTimeCount = kChildStepCount + kParentEventCount;

void MarkEvent(int64_t* step_end_ns, ParentEvent event) {
  if (step_end_ns == nullptr) return;
  step_end_ns[kChildStepCount + event] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now().time_since_epoch())
                                             .count();
}

// Fields 48-51 of /proc/self/stat: where this process's argv and environment strings live.
void FindHostStrings(uintptr_t ranges[2][2]) {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::size_t after_name = text.rfind(')');
  if (after_name == std::string::npos) return;
  std::istringstream fields(text.substr(after_name + 2));  // from field 3 on
  std::string skip;
  for (int field = 3; field < 48 && fields >> skip; ++field) {
  }
  fields >> ranges[0][0] >> ranges[0][1] >> ranges[1][0] >> ranges[1][1];
}

}  // namespace

SandboxRunner::SandboxRunner(CgroupSystem cgroups, SeccompFilter seccomp, SandboxLimits limits,
                             bool network)
    : cgroups_(std::move(cgroups)),
      seccomp_(std::move(seccomp)),
      limits_(limits),
      network_(network),
      name_prefix_(fmt::format("{}-{:x}", getpid(), reinterpret_cast<uintptr_t>(this))) {
  FindHostStrings(host_strings_);
}

SandboxRunner::~SandboxRunner() {
  if (step_end_ns_ != nullptr) munmap(step_end_ns_, kStepTimeCount * sizeof(int64_t));
}

Result<void> SandboxRunner::EnableStepTimes() {
  if (step_end_ns_ != nullptr) return {};
  void* shared = mmap(nullptr, kStepTimeCount * sizeof(int64_t), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return ErrnoError("cannot map the step times", errno);
  step_end_ns_ = static_cast<int64_t*>(shared);
  return {};
}

std::vector<std::pair<std::string, std::chrono::nanoseconds>> SandboxRunner::LastStepTimes() const {
  std::vector<std::pair<int64_t, std::string>> ends;
  for (int i = 0; step_end_ns_ != nullptr && i < kStepTimeCount; ++i) {
    if (step_end_ns_[i] == 0) continue;
    ends.emplace_back(step_end_ns_[i], i < kChildStepCount
                                           ? ChildStepName(static_cast<ChildStep>(i))
                                           : kParentEventNames[i - kChildStepCount]);
  }
  std::sort(ends.begin(), ends.end());
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> steps;
  for (std::size_t i = 1; i < ends.size(); ++i) {
    steps.emplace_back(ends[i].second, std::chrono::nanoseconds(ends[i].first - ends[i - 1].first));
  }
  return steps;
}

Result<std::unique_ptr<SandboxSlot>> SandboxRunner::TakeSlot() {
  uint64_t number;
  {
    std::lock_guard lock(slots_mutex_);
    if (!slots_.empty()) {
      auto slot = std::move(slots_.back());
      slots_.pop_back();
      return slot;
    }
    number = slots_made_++;
  }
  return SandboxSlot::Create(cgroups_, {fmt::format("{}-{}", name_prefix_, number),
                                        {limits_.memory_bytes, limits_.max_processes},
                                        !network_});
}

void SandboxRunner::ReturnSlot(std::unique_ptr<SandboxSlot> slot) {
  if (!slot->reusable()) return;
  std::lock_guard lock(slots_mutex_);
  slots_.push_back(std::move(slot));
}

Result<RunOutcome> SandboxRunner::Run(const SpawnSpec& spec, const RunLimits& limits,
                                      const CancellationToken& cancel, OutputCollector& output) {
  if (cancel.IsCancelled()) {
    RunOutcome outcome;
    outcome.cancelled = true;
    return outcome;
  }
  auto slot = TakeSlot();
  if (!slot) return tl::unexpected(slot.error());
  if (auto begun = (*slot)->BeginRun(); !begun) return tl::unexpected(begun.error());
  auto outcome = RunInSlot(**slot, spec, limits, cancel, output);
  // The run's processes are all gone (RunInSlot reaps PID 1, whose exit took the rest).
  CgroupUsage usage = (*slot)->EndRun();
  ReturnSlot(std::move(*slot));
  if (!outcome) return outcome;
  outcome->memory_limit_exceeded = usage.oom_kills > 0;
  outcome->process_limit_reached = usage.fork_failures > 0;
  outcome->peak_memory_bytes = usage.peak_memory_bytes;
  outcome->cpu_time = usage.cpu_time;
  return outcome;
}

Result<RunOutcome> SandboxRunner::RunInSlot(SandboxSlot& slot, const SpawnSpec& spec,
                                            const RunLimits& limits,
                                            const CancellationToken& cancel,
                                            OutputCollector& output) {
  Result<Pipe> out = MakePipe(), err = MakePipe(), sync = MakePipe(), failure = MakePipe(),
               status = MakePipe();
  for (auto* pipe : {&out, &err, &sync, &failure, &status}) {
    if (!*pipe) return tl::unexpected(pipe->error());
  }
  std::vector<char*> argv;
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  ChildConfig config;
  config.mounts = &*mounts_;
  config.seccomp = &seccomp_;
  config.file_size = Limit(limits_.file_size_bytes);
  config.open_files = Limit(limits_.open_files);
  config.limit_cpu_time = limits_.cpu_time.count() > 0;
  config.cpu_time = Limit(static_cast<uint64_t>(limits_.cpu_time.count()));
  std::memcpy(config.host_strings, host_strings_, sizeof(host_strings_));
  config.program = spec.program.c_str();
  config.argv = argv.data();
  config.envp = spec.envp;
  config.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  config.sync_fd = sync->read.get();
  config.error_fd = failure->write.get();
  config.status_fd = status->write.get();
  config.stdout_fd = out->write.get();
  config.stderr_fd = err->write.get();
  config.step_end_ns = step_end_ns_;
  if (step_end_ns_ != nullptr) std::fill(step_end_ns_, step_end_ns_ + kStepTimeCount, 0);
  MarkEvent(step_end_ns_, kRunStart);

  // The network namespace is the slot's (see SandboxSlot).
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
               CLONE_NEWCGROUP | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = slot.Clone(args, [&config] { RunSandboxChild(config); });
  MarkEvent(step_end_ns_, kCloned);
  if (pid < 0) {
    return ErrnoError(
        "cannot create the sandbox's namespaces (clone3; user namespaces must be "
        "enabled)",
        static_cast<int>(-pid));
  }
  for (auto* end : {&out->write, &err->write, &sync->read, &failure->write, &status->write}) {
    end->Reset();
  }
  // From here the child is owned: any early return kills and reaps it.
  ChildProcess child = ChildProcess::Adopt(static_cast<pid_t>(pid), UniqueFd(pidfd),
                                           std::move(out->read), std::move(err->read));
  if (auto maps = WriteIdMaps(child.pid()); !maps) return tl::unexpected(maps.error());
  MarkEvent(step_end_ns_, kIdMapsWritten);
  if (write(sync->write.get(), "1", 1) != 1) return ErrnoError("cannot start the sandbox", errno);
  sync->write.Reset();
  if (auto failed = ReadFailure(failure->read.get())) return SetupError(*failed, *mounts_);
  MarkEvent(step_end_ns_, kExecSeen);

  // PID 1 of a namespace ignores SIGTERM from outside; only SIGKILL stops it, so skip the grace.
  RunLimits sandbox_limits = limits;
  sandbox_limits.kill_grace = std::chrono::milliseconds(0);
  auto outcome = Supervise(child, sandbox_limits, cancel, output);
  if (!outcome) return outcome;
  MarkEvent(step_end_ns_, kExited);

  int wait_status = 0;
  fcntl(status->read.get(), F_SETFL, O_NONBLOCK);
  if (read(status->read.get(), &wait_status, sizeof(wait_status)) == sizeof(wait_status)) {
    outcome->signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    outcome->exit_code =
        WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    outcome->policy_violation = outcome->signal == SIGSYS;
  }
  return outcome;
}

}  // namespace codeexec
