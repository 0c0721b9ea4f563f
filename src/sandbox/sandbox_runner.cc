#include "sandbox/sandbox_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "process/unique_fd.h"
#include "sandbox/id_map.h"
#include "sandbox/report_message.h"
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

Result<Pipe> MakeReportSocket() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
    return ErrnoError("socketpair", errno);
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads the child's reports until the program's exec closes the socket: the upper layer's
// descriptor into `layer`, or a failed setup step.
std::optional<ChildFailure> ReadReports(int fd, UniqueFd* layer) {
  for (;;) {
    ReportMessage message;
    ssize_t n = recvmsg(fd, &message.header, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof(message.report)) return std::nullopt;  // end of file: the program was executed
    const ChildFailure& report = message.report;
    if (report.step == ChildStep::kUpperLayer && report.detail == kUpperLayerMessage) {
      layer->Reset(message.Attached());
      continue;
    }
    return report;
  }
}

tl::unexpected<Error> SetupError(const ChildFailure& failure, const SandboxView& view) {
  std::string step = ChildStepName(failure.step);
  if (failure.step == ChildStep::kMounts) {
    step += " (" + view.run_steps().Describe(failure.detail) + ")";
  }
  return ErrnoError("sandbox setup failed while " + step, failure.error);
}

rlimit Limit(uint64_t value) { return rlimit{value, value}; }

}  // namespace

SandboxRunner::SandboxRunner(SeccompFilter seccomp, UniqueFd init_program, SandboxLimits limits,
                             bool network, uid_t host_uid, gid_t host_gid)
    : seccomp_(std::move(seccomp)),
      init_program_(std::move(init_program)),
      limits_(limits),
      network_(network),
      host_uid_(host_uid),
      host_gid_(host_gid),
      allowance_(limits.work_dir_bytes, limits.work_dir_files),
      name_prefix_(fmt::format("{}-{:x}", getpid(), reinterpret_cast<uintptr_t>(this))) {}

Result<void> SandboxRunner::BuildView(const SandboxViewOptions& options,
                                      const ConfinedFolder* work) {
  Result<std::unique_ptr<SandboxSlot>> first =
      MakeError(ErrorCode::kInternal, "the first sandbox slot was not made");
  auto view = SandboxView::Build(options, [&](const std::function<void()>& view_work) {
    auto cgroups = CgroupSystem::Detect();
    if (!cgroups) {
      first = tl::unexpected(cgroups.error());
      return;
    }
    cgroups_.emplace(std::move(*cgroups));
    // The view's own side work while the slot's thread makes its namespace and cgroup.
    first = NewSlot(-1, view_work);
  });
  if (!view) return tl::unexpected(view.error());
  if (!first) return tl::unexpected(first.error());
  if (auto entered = (*first)->EnterMountNamespace(view->namespace_fd()); !entered) {
    return entered;
  }
  view_.emplace(std::move(*view));
  work_ = work;
  ReturnSlot(std::move(*first));
  return {};
}

SandboxRunner::~SandboxRunner() = default;

Result<std::unique_ptr<SandboxSlot>> SandboxRunner::TakeSlot() {
  {
    std::lock_guard lock(slots_mutex_);
    if (!slots_.empty()) {
      auto slot = std::move(slots_.back());
      slots_.pop_back();
      return slot;
    }
  }
  return NewSlot(view_->namespace_fd());
}

Result<std::unique_ptr<SandboxSlot>> SandboxRunner::NewSlot(
    int mount_namespace, const std::function<void()>& meanwhile) {
  uint64_t number;
  {
    std::lock_guard lock(slots_mutex_);
    number = slots_made_++;
  }
  return SandboxSlot::Create(*cgroups_,
                             {fmt::format("{}-{}", name_prefix_, number),
                              {limits_.memory_bytes, limits_.max_processes},
                              !network_,
                              mount_namespace},
                             meanwhile);
}

void SandboxRunner::ReturnSlot(std::unique_ptr<SandboxSlot> slot) {
  if (!slot->reusable()) return;
  std::lock_guard lock(slots_mutex_);
  slots_.push_back(std::move(slot));
}

Result<RunOutcome> SandboxRunner::Run(const Step& step, const RunLimits& limits,
                                      const CancellationToken& cancel, OutputCollector& output) {
  if (cancel.IsCancelled()) {
    RunOutcome outcome;
    outcome.cancelled = true;
    return outcome;
  }
  auto slot = TakeSlot();
  if (!slot) return tl::unexpected(slot.error());
  if (auto begun = (*slot)->BeginRun(); !begun) return tl::unexpected(begun.error());
  UniqueFd layer;
  auto outcome = RunInSlot(**slot, step, limits, cancel, output, &layer);
  // The run's processes are all gone (RunInSlot reaps PID 1, whose exit took the rest).
  CgroupUsage usage = (*slot)->EndRun();
  ReturnSlot(std::move(*slot));
  if (!outcome) return outcome;
  auto settled = SettleWorkFolder(std::move(layer));
  if (!settled) {
    outcome->note = "\ncodeexec could not carry the block's files into the work folder: " +
                    settled.error().message();
    if (outcome->exit_code == 0) outcome->exit_code = 1;
  } else {
    outcome->note = std::move(*settled);
  }
  if (outcome->signal == SIGXCPU && limits_.cpu_time.count() > 0) {
    outcome->note +=
        fmt::format("\nCPU time limit exceeded: a process used its {} s of CPU time (cpu_time)",
                    limits_.cpu_time.count());
  }
  outcome->memory_limit_exceeded = usage.oom_kills > 0;
  outcome->process_limit_reached = usage.fork_failures > 0;
  outcome->peak_memory_bytes = usage.peak_memory_bytes;
  outcome->cpu_time = usage.cpu_time;
  return outcome;
}

Result<std::string> SandboxRunner::SettleWorkFolder(UniqueFd layer) {
  if (!view_->upper_layer()) {
    auto scrubbed = ScrubSpecialFiles(*work_);
    if (!scrubbed) return tl::unexpected(scrubbed.error());
    return std::string();
  }
  if (!layer.valid()) return std::string();  // the setup failed before the code ran
  auto report = ApplyUpperLayer(layer.get(), *work_, view_->work_owner(), view_->work_group(),
                                allowance_.Budget());
  if (!report) return tl::unexpected(report.error());
  allowance_.Record(*report);
  if (!report->full && report->dropped == 0) return std::string();
  return fmt::format(
      "\nThe work folder's limit was reached ({} more than it held at the start): writing more "
      "fails with \"No space left on device\"{}. Delete files, or raise work_dir_size_limit and "
      "work_dir_file_limit.",
      allowance_.Describe(),
      report->dropped == 0 ? ""
                           : fmt::format(", and {} new entries were not kept", report->dropped));
}

Result<RunOutcome> SandboxRunner::RunInSlot(SandboxSlot& slot, const Step& step,
                                            const RunLimits& limits,
                                            const CancellationToken& cancel,
                                            OutputCollector& output, UniqueFd* layer) {
  Result<Pipe> out = MakePipe(), err = MakePipe(), report = MakeReportSocket(), status = MakePipe();
  for (auto* pipe : {&out, &err, &report, &status}) {
    if (!*pipe) return tl::unexpected(pipe->error());
  }
  std::optional<StdinPipe> in;
  if (step.standard_input != nullptr) {
    auto pipe = MakeStdinPipe(*step.standard_input);
    if (!pipe) return tl::unexpected(pipe.error());
    in.emplace(std::move(*pipe));
  }
  std::vector<char*> init_argv = {const_cast<char*>("codeexec-sandbox-init"),
                                  const_cast<char*>(step.argv.front().c_str())};
  for (const auto& arg : step.argv) init_argv.push_back(const_cast<char*>(arg.c_str()));
  init_argv.push_back(nullptr);

  std::string upper_options = allowance_.LayerOptions();
  int maps_state = 0;
  ChildConfig config;
  config.view = &*view_;
  config.seccomp = &seccomp_;
  config.maps_state = &maps_state;
  config.upper_options = upper_options.c_str();
  config.file_size = Limit(limits_.file_size_bytes);
  config.open_files = Limit(limits_.open_files);
  config.limit_cpu_time = limits_.cpu_time.count() > 0;
  // SIGXCPU at the limit (the run says so), SIGKILL a second later for a process that ignores
  // it: with both limits equal the kernel would only ever send SIGKILL, and say nothing why.
  auto cpu_seconds = static_cast<uint64_t>(limits_.cpu_time.count());
  config.cpu_time = rlimit{cpu_seconds, cpu_seconds + 1};
  config.init_fd = init_program_.get();
  config.init_argv = init_argv.data();
  config.envp = step.env->envp();
  config.cwd = step.working_folder.empty() ? nullptr : step.working_folder.c_str();
  config.stdin_fd = in ? in->child_end.get() : -1;
  config.report_fd = report->write.get();
  config.status_fd = status->write.get();
  config.stdout_fd = out->write.get();
  config.stderr_fd = err->write.get();
  if (step_times_ != nullptr) {
    config.step_times_fd = step_times_->fd();
    config.step_end_ns = step_times_->child_step_ends();
    step_times_->Start();
  }
  auto mark = [this](StepTimes::Event event) {
    if (step_times_ != nullptr) step_times_->Mark(event);
  };

  // The network namespace is the slot's (see SandboxSlot). The child shares this memory (config,
  // init_argv and maps_state stay alive until the report socket has spoken) until it executes
  // the init program. Its id maps are written from the slot's thread as soon as it exists.
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_VM | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
               CLONE_NEWCGROUP | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = slot.Clone(args, RunSandboxChild, &config, [&](long child) {
    bool mapped =
        static_cast<bool>(WriteRootIdMaps(static_cast<pid_t>(child), host_uid_, host_gid_));
    __atomic_store_n(&maps_state, mapped ? 1 : -1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &maps_state, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  });
  mark(StepTimes::kCloned);
  if (pid < 0) {
    return ErrnoError(
        "cannot create the sandbox's namespaces (clone3; user namespaces must be "
        "enabled)",
        static_cast<int>(-pid));
  }
  for (auto* end : {&out->write, &err->write, &report->write, &status->write}) end->Reset();
  if (in) in->child_end.Reset();
  // From here the child is owned: any early return kills and reaps it.
  ChildProcess child = ChildProcess::Adopt(static_cast<pid_t>(pid), UniqueFd(pidfd),
                                           std::move(out->read), std::move(err->read));
  if (auto failed = ReadReports(report->read.get(), layer)) return SetupError(*failed, *view_);
  mark(StepTimes::kExecSeen);

  // PID 1 of a namespace ignores SIGTERM from outside; only SIGKILL stops it, so skip the grace.
  RunLimits sandbox_limits = limits;
  sandbox_limits.kill_grace = std::chrono::milliseconds(0);
  auto outcome = Supervise(child, sandbox_limits, cancel, output, in ? &in->feed : nullptr);
  if (!outcome) return outcome;
  mark(StepTimes::kExited);

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
