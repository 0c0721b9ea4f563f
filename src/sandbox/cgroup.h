// Cgroups for sandboxed runs: one leaf per run, limiting memory and processes and measuring peak
// memory, CPU time, OOM kills and fork failures at the limit.
//
// Works with cgroup v1 (memory, pids and cpuacct hierarchies mounted apart, as on this machine
// family) and with cgroup v2 (one hierarchy with the memory and pids controllers). Needs root.
#ifndef CODEEXEC_SRC_SANDBOX_CGROUP_H_
#define CODEEXEC_SRC_SANDBOX_CGROUP_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

struct CgroupLimits {
  uint64_t memory_bytes = 0;   // 0: no limit
  uint32_t max_processes = 0;  // 0: no limit
};

struct CgroupUsage {
  uint64_t peak_memory_bytes = 0;
  std::chrono::nanoseconds cpu_time{0};
  uint64_t oom_kills = 0;      // processes the OOM killer killed at the memory limit
  uint64_t fork_failures = 0;  // forks refused at the process limit
};

// A leaf cgroup (a folder per v1 hierarchy, or one v2 folder). Move-only; destruction kills
// every process in it but this one and removes the folders.
class CgroupLeaf {
 public:
  CgroupLeaf(CgroupLeaf&& other) noexcept;
  CgroupLeaf& operator=(CgroupLeaf&&) = delete;
  CgroupLeaf(const CgroupLeaf&) = delete;
  ~CgroupLeaf();

  // v1 only: moves the calling thread into the cgroup, so that the processes it clones start
  // inside. The thread names itself ("0"), which spares the kernel's global
  // cgroup_threadgroup_rwsem: a migration that takes it for writing (any other thread or
  // process, or a whole process) waits for an RCU grace period when no other migration ran
  // lately, 10-20 ms on an idle machine, where this one takes about 0.1 ms. The thread counts
  // against the process limit and its CPU time is measured; its memory is charged where the
  // process's is.
  Result<void> AddCallingThread() const;
  // v2: the folder, for clone3's CLONE_INTO_CGROUP (placement at fork, without a migration).
  Result<UniqueFd> OpenDirectory() const;

  // Starts a new accounting period: ReadUsage then reports what was used since. Peak memory is
  // the highest charge above the charge at the reset (v1 resets its high-water mark; v2 cannot
  // before Linux 6.12, so use a fresh leaf per run there).
  void ResetUsage();
  CgroupUsage ReadUsage() const;
  // Whether a process other than this one is in the cgroup (a sandbox is over only when none is).
  bool HasOtherProcesses() const;

 private:
  friend class CgroupSystem;
  CgroupLeaf(bool v2, std::vector<std::string> dirs) : v2_(v2), dirs_(std::move(dirs)) {}
  const std::string& pids_dir() const { return v2_ ? dirs_[0] : dirs_[1]; }
  CgroupUsage ReadTotals() const;  // since creation (peak: the current high-water mark)
  void KillAll() const;

  bool v2_;
  std::vector<std::string> dirs_;  // v1: memory, pids, cpuacct (if mounted); v2: one
  CgroupUsage baseline_;           // the totals at the last ResetUsage (peak: the charge then)
};

// The cgroup hierarchies of this host, found once from /proc/self/mountinfo.
class CgroupSystem {
 public:
  // Fails with a message naming what is missing when neither a v1 memory+pids pair nor a v2
  // hierarchy with those controllers is available, or when we may not create cgroups there.
  // Removes the empty cgroups of processes that died before they could (their names start with
  // their pid).
  static Result<CgroupSystem> Detect();

  // A new leaf named `name` under a "codeexec" folder, with `limits` applied.
  Result<CgroupLeaf> CreateLeaf(const std::string& name, const CgroupLimits& limits) const;

  bool v2() const { return v2_; }

 private:
  bool v2_ = false;
  std::vector<std::string> parents_;  // the "codeexec" folders, in CgroupLeaf::dirs_ order
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_CGROUP_H_
