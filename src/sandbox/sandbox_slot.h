// SandboxSlot: where sandboxes are cloned from. A thread of this process that lives in a cgroup
// and an empty network namespace of its own; every sandbox it clones starts inside both, so a run
// pays neither a cgroup migration (see CgroupLeaf::AddCallingThread) nor the creation of a
// network namespace (~300 us). Runs in one slot follow each other; SandboxRunner keeps one slot
// per concurrent caller.
//
// Accounting per run: on cgroup v1 the slot's cgroup is reused and its counters are read as
// differences from the start of the run (the thread itself counts as one process there and its
// clone3 as CPU time); on cgroup v2 each run gets a fresh leaf the clone is placed into by
// CLONE_INTO_CGROUP. The network namespace is shared by the slot's runs, never by two runs at
// once; the sandboxes cannot reconfigure it (it belongs to the host's user namespace), and
// nothing in it outlives a run (a run's processes all die with its PID 1).
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_SLOT_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_SLOT_H_

#include <linux/sched.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "codeexec/error.h"
#include "process/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/raw_clone.h"

namespace codeexec {

class SandboxSlot {
 public:
  struct Options {
    std::string name;  // unique among live slots: the cgroup's name
    CgroupLimits limits;
    bool own_network = true;  // false: the sandboxes share the host's network
    // SandboxView's: entered by the thread, copied by each sandbox. -1: entered later, with
    // EnterMountNamespace (a slot may be made while the view is still being mounted).
    int mount_namespace = -1;
  };

  // Starts the thread, moves it into a new network namespace with loopback up (when
  // own_network), on cgroup v1 into the slot's cgroup, and into the view's mount namespace.
  // `meanwhile`, when given, runs on the calling thread while the slot's thread does that.
  static Result<std::unique_ptr<SandboxSlot>> Create(const CgroupSystem& cgroups, Options options,
                                                     const std::function<void()>& meanwhile = {});
  // Moves the thread into the view's mount namespace, once; no Clone before.
  Result<void> EnterMountNamespace(int mount_namespace);
  SandboxSlot(const SandboxSlot&) = delete;
  SandboxSlot& operator=(const SandboxSlot&) = delete;
  // Stops the thread (a sandbox still running dies with it: its parent-death signal) and removes
  // the cgroup.
  ~SandboxSlot();

  // Starts a run's accounting.
  Result<void> BeginRun();
  // clone3 with `args` on the slot's thread, on the slot's stack (on v2 placed into the run's
  // cgroup): the child runs fn(arg) and exits with its result. Then, still on the slot's thread,
  // `after(pid)` runs when the clone succeeded (to write the child's id maps from the host's
  // namespaces). Returns the child's pid or -errno. The child may use the stack until it executes
  // a program or exits: the next Clone must wait for that (a run reaps its child before the slot
  // is used again).
  long Clone(clone_args args, int (*fn)(void*), void* arg,
             const std::function<void(long pid)>& after);
  // The run's usage. Afterwards nothing of the run is left in the cgroup (anything left is
  // killed, and the slot then reports itself not reusable).
  CgroupUsage EndRun();
  bool reusable() const { return reusable_; }

 private:
  SandboxSlot(const CgroupSystem& cgroups, Options options);
  // Runs `task` on the slot's thread and waits for it, running `meanwhile` (if any) here first.
  void OnThread(const std::function<void()>& task, const std::function<void()>& meanwhile = {});
  void ThreadMain();

  const CgroupSystem& cgroups_;
  Options options_;
  std::optional<CgroupLeaf> slot_cgroup_;  // v1
  std::optional<CgroupLeaf> run_cgroup_;   // v2, during a run
  UniqueFd run_cgroup_fd_;
  void* stack_ = nullptr;  // the setup child's (kStackSize, with a guard page below)
  uint64_t runs_ = 0;
  bool reusable_ = true;

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()>* task_ = nullptr;  // guarded by mutex_
  bool stop_ = false;                            // guarded by mutex_
  std::thread thread_;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_SLOT_H_
