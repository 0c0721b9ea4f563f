// SandboxView: the file system the sandbox's code sees, mounted once per executor.
//
// Build() makes a mount namespace of its own on a short-lived thread and mounts in it, as the
// host's root, everything that is the same for every run:
//   - a tmpfs root, read-only in the end, with /bin, /sbin and /lib* as the host has them (links,
//     or folders bound read-only) and /usr bound read-only;
//   - /etc: the allowlisted files (passwd, hosts, ld.so.cache, ...) and folders (alternatives,
//     ssl/certs, python3, ...) bound read-only, nothing copied; nothing else of the host's /etc,
//     so no shadow file and no private key;
//   - /dev: null, zero, full, random and urandom bound read-only from the host (the nodes still
//     work, but nothing can change their modes or owners), the fd and std* links, ptmx (a link
//     into pts, where each run mounts its own devpts), on the read-only root (nothing can be
//     created in /dev);
//   - the host's /proc, only so that the kernel lets each sandbox mount a /proc of its own over
//     it (a fresh proc needs a fully visible one in the namespace);
//   - the extra read-only paths (Build() refuses, saying why, those the code could never see or
//     could write anyway: see SandboxExecutorOptions::read_only_paths);
//   - the work folder, as an idmapped mount where each run's /dev/shm will hide it: its owner on
//     disk appears as the sandbox's root, whose processes are an unprivileged id on the host
//     (`host_uid`/`host_gid`).
// Then the namespace is pivoted into that root and keeps nothing of the host's tree.
//
// Slots (sandbox_slot.h) enter the namespace once; every sandbox starts in a copy of it, where
// the kernel locks each of these mounts (code can neither unmount nor remount them), and applies
// run_steps() itself:
//   - a fresh /proc of its PID namespace, with /proc/sys, /proc/sysrq-trigger, /proc/irq,
//     /proc/bus and /proc/fs read-only and /proc/kcore, /proc/keys, /proc/timer_list, ... masked,
//     as container runtimes do;
//   - private tmpfs /tmp and /dev/shm, and a private devpts instance at /dev/pts;
//   - the read-only paths under /tmp again, which the run's /tmp covers: bound from the view's
//     /tmp, kept open (RunMountState::kept[2]) before anything covers it, read-only as there;
//   - the work folder at its host path: with `upper_layer`, an overlay whose writes go to a tmpfs
//     of the run's own (mounted by the kUpper step with the run's size and file limits where /tmp
//     then covers it, and handed to the runner as RunMountState::kept[1], which applies what the
//     run wrote to the host folder after it ends, see upper_layer.h); without, the idmapped
//     folder itself, bound read-write.
#ifndef CODEEXEC_SRC_SANDBOX_SANDBOX_VIEW_H_
#define CODEEXEC_SRC_SANDBOX_SANDBOX_VIEW_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "codeexec/error.h"
#include "process/unique_fd.h"
#include "sandbox/mount_plan.h"

namespace codeexec {

struct SandboxViewOptions {
  std::filesystem::path work_dir;  // canonical
  uid_t host_uid = 0;              // the sandbox's root, on the host
  gid_t host_gid = 0;
  std::vector<std::filesystem::path> read_only_paths;  // absolute, existing
  uint64_t tmp_bytes = 256ull << 20;                   // /tmp and /dev/shm, each
  bool upper_layer = true;  // the work folder through a per-run upper layer
};

class SandboxView {
 public:
  // Mounts the view on a thread of its own. `meanwhile`, when given, runs on the calling thread
  // in the meantime (work that does not need the view, done in parallel with it). It receives the
  // view's own side work for this thread (making the work folder's id mapping, which takes a
  // short-lived process), to run when it would otherwise wait; Build runs it after `meanwhile`
  // if it did not.
  using SideWork = std::function<void()>;
  static Result<SandboxView> Build(const SandboxViewOptions& options,
                                   const std::function<void(const SideWork&)>& meanwhile = {});

  SandboxView(SandboxView&&) = default;
  SandboxView& operator=(SandboxView&&) = default;

  // The mount namespace to enter (setns) before cloning sandboxes.
  int namespace_fd() const { return namespace_.get(); }
  const MountSteps& run_steps() const { return run_steps_; }
  bool upper_layer() const { return upper_layer_; }
  // The work folder's owner on disk (what code's files belong to once they reach the host).
  uid_t work_owner() const { return work_owner_; }
  gid_t work_group() const { return work_group_; }

 private:
  SandboxView() = default;

  UniqueFd namespace_;
  MountSteps run_steps_;
  bool upper_layer_ = true;
  uid_t work_owner_ = 0;
  gid_t work_group_ = 0;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_SANDBOX_VIEW_H_
