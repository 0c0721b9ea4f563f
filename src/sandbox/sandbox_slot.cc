#include "sandbox/sandbox_slot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace codeexec {
namespace {

constexpr std::size_t kStackSize = 256 << 10;
constexpr std::size_t kGuardSize = 4096;

Result<void> BringUpLoopback() {
  UniqueFd socket_fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return ErrnoError("cannot open a socket in the sandbox's network", errno);
  ifreq request{};
  std::memcpy(request.ifr_name, "lo", 3);
  request.ifr_flags = IFF_UP | IFF_RUNNING;
  if (ioctl(socket_fd.get(), SIOCSIFFLAGS, &request) < 0) {
    return ErrnoError("cannot bring up the sandbox's loopback", errno);
  }
  return {};
}

// A network namespace with only a loopback, in which the sandboxes (root only in their own user
// namespace) may still bind any port, as they could in a namespace of their own.
Result<void> EnterEmptyNetwork() {
  if (unshare(CLONE_NEWNET) < 0) {
    return ErrnoError("cannot create the sandbox's network namespace", errno);
  }
  if (auto up = BringUpLoopback(); !up) return up;
  // /proc/sys/net shows the network namespace of the thread that opens it: this one.
  UniqueFd ports(open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC));
  if (!ports.valid() || write(ports.get(), "0", 1) != 1) {
    return ErrnoError("cannot open the low ports in the sandbox's network namespace", errno);
  }
  return {};
}

}  // namespace

SandboxSlot::SandboxSlot(const CgroupSystem& cgroups, Options options)
    : cgroups_(cgroups), options_(std::move(options)), thread_([this] { ThreadMain(); }) {}

Result<std::unique_ptr<SandboxSlot>> SandboxSlot::Create(const CgroupSystem& cgroups,
                                                         Options options,
                                                         const std::function<void()>& meanwhile) {
  std::unique_ptr<SandboxSlot> slot(new SandboxSlot(cgroups, std::move(options)));
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return ErrnoError("cannot map the sandbox's setup stack", errno);
  slot->stack_ = stack;
  if (mprotect(stack, kGuardSize, PROT_NONE) < 0) {
    return ErrnoError("cannot guard the sandbox's setup stack", errno);
  }
  Result<void> ready;
  slot->OnThread(
      [&] {
        if (slot->options_.own_network) ready = EnterEmptyNetwork();
        if (ready && !cgroups.v2()) {
          CgroupLimits limits = slot->options_.limits;
          if (limits.max_processes > 0) ++limits.max_processes;  // this thread is counted there too
          auto leaf = cgroups.CreateLeaf(slot->options_.name, limits);
          if (!leaf) {
            ready = tl::unexpected(leaf.error());
            return;
          }
          ready = leaf->AddCallingThread();
          slot->slot_cgroup_.emplace(std::move(*leaf));
        }
      },
      meanwhile);
  if (!ready) return tl::unexpected(ready.error());
  // Last: the view's namespace has none of the host's paths (/sys/fs/cgroup among them).
  if (slot->options_.mount_namespace >= 0) {
    if (auto entered = slot->EnterMountNamespace(slot->options_.mount_namespace); !entered) {
      return tl::unexpected(entered.error());
    }
  }
  return slot;
}

Result<void> SandboxSlot::EnterMountNamespace(int mount_namespace) {
  // A thread may change its mount namespace once it no longer shares its file system state.
  int error = 0;  // errno is the slot thread's
  OnThread([&] {
    if (unshare(CLONE_FS) != 0 || setns(mount_namespace, CLONE_NEWNS) != 0) error = errno;
  });
  if (error != 0) return ErrnoError("cannot enter the sandbox's mount namespace", error);
  return {};
}

SandboxSlot::~SandboxSlot() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (stack_ != nullptr) munmap(stack_, kStackSize);
  // The thread has left the cgroup by exiting; slot_cgroup_'s destructor removes it.
}

void SandboxSlot::ThreadMain() {
  // Signals meant for the process are handled by its other threads. (The sandboxes this thread
  // clones inherit the mask; the child unblocks everything before exec.)
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || task_ != nullptr; });
    if (task_ != nullptr) {
      (*task_)();
      task_ = nullptr;
      done_.notify_one();
    } else {
      return;
    }
  }
}

void SandboxSlot::OnThread(const std::function<void()>& task,
                           const std::function<void()>& meanwhile) {
  std::unique_lock lock(mutex_);
  task_ = &task;
  wake_.notify_one();
  if (meanwhile) {
    lock.unlock();
    try {
      meanwhile();
    } catch (...) {  // the task refers to the caller's frame: never leave before it ends
      lock.lock();
      done_.wait(lock, [this] { return task_ == nullptr; });
      throw;
    }
    lock.lock();
  }
  done_.wait(lock, [this] { return task_ == nullptr; });
}

Result<void> SandboxSlot::BeginRun() {
  if (!cgroups_.v2()) {
    slot_cgroup_->ResetUsage();
    return {};
  }
  auto leaf = cgroups_.CreateLeaf(fmt::format("{}-{}", options_.name, runs_++), options_.limits);
  if (!leaf) return tl::unexpected(leaf.error());
  auto fd = leaf->OpenDirectory();
  if (!fd) return tl::unexpected(fd.error());
  run_cgroup_.emplace(std::move(*leaf));
  run_cgroup_fd_ = std::move(*fd);
  return {};
}

long SandboxSlot::Clone(clone_args args, int (*fn)(void*), void* arg,
                        const std::function<void(long pid)>& after) {
  if (run_cgroup_fd_.valid()) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(run_cgroup_fd_.get());
  }
  args.stack = reinterpret_cast<uint64_t>(stack_) + kGuardSize;
  args.stack_size = kStackSize - kGuardSize;
  long pid = -1;
  OnThread([&] {
    pid = RawClone3(&args, fn, arg);
    if (pid > 0) after(pid);
  });
  return pid;
}

CgroupUsage SandboxSlot::EndRun() {
  if (cgroups_.v2()) {
    CgroupUsage usage = run_cgroup_ ? run_cgroup_->ReadUsage() : CgroupUsage{};
    run_cgroup_fd_.Reset();
    run_cgroup_.reset();  // kills anything left and removes the leaf
    return usage;
  }
  CgroupUsage usage = slot_cgroup_->ReadUsage();
  if (slot_cgroup_->HasOtherProcesses()) {
    // Not expected (the run's PID 1 takes its namespace down with it), but never carried over.
    reusable_ = false;
  }
  return usage;
}

}  // namespace codeexec
