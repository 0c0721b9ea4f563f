// SandboxRunner: the ProcessRunner that starts each step of a block inside fresh namespaces and a
// cgroup, and reports the limits it hit. The sandboxes are cloned from slots (SandboxSlot): one
// per concurrent caller, kept for the next run.
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_RUNNER_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_RUNNER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codeexec/sandbox_executor.h"
#include "command_line/block_loop.h"
#include "core/confined_folder.h"
#include "sandbox/cgroup.h"
#include "sandbox/sandbox_slot.h"
#include "sandbox/sandbox_view.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/step_times.h"
#include "sandbox/upper_layer.h"

namespace codeexec {

class SandboxRunner final : public StepRunner {
 public:
  // `init_program`: SealedInitProgram(). `host_uid`/`host_gid`: the sandbox's root on the host.
  SandboxRunner(SeccompFilter seccomp, UniqueFd init_program, SandboxLimits limits, bool network,
                uid_t host_uid, gid_t host_gid);
  ~SandboxRunner() override;

  // Builds the file system view over the work folder (which must outlive the runner); once,
  // before the first Run (the work folder is known only after the core has created it). The
  // cgroup hierarchy is found and the first slot made while the view is mounted, on another
  // thread, and the view's id mapping is made while the slot's thread sets up: a one-shot run
  // waits for the longest of them, not for their sum. After each run the upper
  // layer is applied to `work` (with the view's upper_layer) or `work` is scrubbed of special files
  // and setuid/setgid bits (without).
  Result<void> BuildView(const SandboxViewOptions& options, const ConfinedFolder* work);

  Result<RunOutcome> Run(const Step& step, const RunLimits& limits, const CancellationToken& cancel,
                         OutputCollector& output) override;

  // For the benchmark: records when each setup step of the following runs ends (one run at a
  // time; `times` outlives the runner or is reset with nullptr). Runs record nothing without.
  void SetStepTimes(StepTimes* times) { step_times_ = times; }

 private:
  // A free slot, or a new one.
  Result<std::unique_ptr<SandboxSlot>> TakeSlot();
  // A new slot, in the mount namespace `mount_namespace` (-1: not yet in any).
  Result<std::unique_ptr<SandboxSlot>> NewSlot(int mount_namespace,
                                               const std::function<void()>& meanwhile = {});
  void ReturnSlot(std::unique_ptr<SandboxSlot> slot);
  // One run, from the clone to PID 1 reaped.
  // `layer` receives the run's upper layer, when the view has one.
  Result<RunOutcome> RunInSlot(SandboxSlot& slot, const Step& step, const RunLimits& limits,
                               const CancellationToken& cancel, OutputCollector& output,
                               UniqueFd* layer);

  // What the run left in the work folder: its upper layer applied (or the folder scrubbed); a
  // note for the result when the code hit the work folder's limit.
  Result<std::string> SettleWorkFolder(UniqueFd layer);

  std::optional<CgroupSystem> cgroups_;  // found by BuildView
  SeccompFilter seccomp_;
  UniqueFd init_program_;
  SandboxLimits limits_;
  bool network_;
  uid_t host_uid_;
  gid_t host_gid_;
  std::optional<SandboxView> view_;
  const ConfinedFolder* work_ = nullptr;
  WorkFolderAllowance allowance_;
  std::string name_prefix_;
  StepTimes* step_times_ = nullptr;  // SetStepTimes
  std::mutex slots_mutex_;
  uint64_t slots_made_ = 0;                          // guarded by slots_mutex_
  std::vector<std::unique_ptr<SandboxSlot>> slots_;  // free; guarded by slots_mutex_
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_RUNNER_H_
