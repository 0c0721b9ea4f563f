#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace codeexec {
namespace {

Result<void> WriteFile(const std::string& path, std::string_view value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open " + path, errno);
  ssize_t n = write(fd, value.data(), value.size());
  int saved = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return ErrnoError(fmt::format("cannot write '{}' to {}", value, path), saved);
  }
  return {};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The number after `key` in a "key value" file (memory.events, memory.oom_control, ...).
uint64_t KeyedValue(const std::string& text, std::string_view key) {
  std::istringstream lines(text);
  std::string name;
  uint64_t value;
  while (lines >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

uint64_t NumberIn(const std::string& path) {
  std::ifstream in(path);
  uint64_t value = 0;
  in >> value;
  return value;
}

struct Mounts {
  std::string memory, pids, cpuacct;  // v1 mount points
  std::string unified;                // the cgroup2 mount point
};

Mounts FindMounts() {
  Mounts mounts;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options, field;
    fields >> id >> parent >> dev >> root >> point >> options;
    while (fields >> field && field != "-") {
    }
    std::string type, source, super;
    fields >> type >> source >> super;
    if (type == "cgroup2") mounts.unified = point;
    if (type != "cgroup") continue;
    std::istringstream opts(super);
    for (std::string opt; std::getline(opts, opt, ',');) {
      if (opt == "memory") mounts.memory = point;
      if (opt == "pids") mounts.pids = point;
      if (opt == "cpuacct") mounts.cpuacct = point;
    }
  }
  return mounts;
}

Result<void> MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) {
    return ErrnoError("cannot create the cgroup " + path + " (the sandbox needs root)", errno);
  }
  return {};
}

// Removes the cgroups under `parent` that a process which no longer exists left behind (killed
// before its executors could remove them): their names start with the owner's pid. A cgroup
// still holding a process is busy and stays.
void RemoveOrphans(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    pid_t owner = static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10));
    if (owner <= 0 || name.find('-') == std::string::npos) continue;
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    rmdir(entry.path().c_str());
  }
}

}  // namespace

Result<CgroupSystem> CgroupSystem::Detect() {
  Mounts mounts = FindMounts();
  CgroupSystem system;
  if (!mounts.memory.empty() && !mounts.pids.empty()) {
    system.parents_ = {mounts.memory + "/codeexec", mounts.pids + "/codeexec"};
    if (!mounts.cpuacct.empty()) system.parents_.push_back(mounts.cpuacct + "/codeexec");
  } else if (!mounts.unified.empty()) {
    std::string controllers = ReadFile(mounts.unified + "/cgroup.controllers");
    if (controllers.find("memory") == std::string::npos ||
        controllers.find("pids") == std::string::npos) {
      return MakeError(ErrorCode::kUnavailable,
                       "the sandbox needs the cgroup memory and pids controllers, and " +
                           mounts.unified + " offers only: " + controllers);
    }
    system.v2_ = true;
    // Controllers must be enabled for the children of the root and of our folder.
    if (auto enabled = WriteFile(mounts.unified + "/cgroup.subtree_control", "+memory +pids");
        !enabled) {
      return tl::unexpected(enabled.error());
    }
    system.parents_ = {mounts.unified + "/codeexec"};
  } else {
    return MakeError(ErrorCode::kUnavailable,
                     "no cgroup hierarchy with the memory and pids controllers is mounted; the "
                     "sandbox needs one to enforce limits");
  }
  for (const auto& parent : system.parents_) {
    if (auto made = MakeDir(parent); !made) return tl::unexpected(made.error());
    RemoveOrphans(parent);
  }
  if (system.v2_) {
    auto enabled = WriteFile(system.parents_[0] + "/cgroup.subtree_control", "+memory +pids");
    if (!enabled) return tl::unexpected(enabled.error());
  }
  return system;
}

Result<CgroupLeaf> CgroupSystem::CreateLeaf(const std::string& name,
                                            const CgroupLimits& limits) const {
  std::vector<std::string> dirs;
  for (const auto& parent : parents_) {
    std::string dir = parent + "/" + name;
    if (auto made = MakeDir(dir); !made) {
      CgroupLeaf cleanup(v2_, std::move(dirs));
      return tl::unexpected(made.error());
    }
    dirs.push_back(dir);
  }
  CgroupLeaf leaf(v2_, std::move(dirs));
  const std::string& memory = leaf.dirs_[0];
  const std::string& pids = v2_ ? leaf.dirs_[0] : leaf.dirs_[1];
  Result<void> applied;
  if (limits.memory_bytes > 0) {
    std::string bytes = std::to_string(limits.memory_bytes);
    applied = WriteFile(memory + (v2_ ? "/memory.max" : "/memory.limit_in_bytes"), bytes);
    // Without swap accounting limited too, a memory bomb would page out instead of failing.
    if (applied && v2_) (void)WriteFile(memory + "/memory.swap.max", "0");
    if (applied && !v2_ && access((memory + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0) {
      (void)WriteFile(memory + "/memory.memsw.limit_in_bytes", bytes);
    }
  }
  if (applied && limits.max_processes > 0) {
    applied = WriteFile(pids + "/pids.max", std::to_string(limits.max_processes));
  }
  if (!applied) return tl::unexpected(applied.error());
  return leaf;
}

CgroupLeaf::CgroupLeaf(CgroupLeaf&& other) noexcept
    : v2_(other.v2_), dirs_(std::move(other.dirs_)), baseline_(other.baseline_) {
  other.dirs_.clear();
}

Result<void> CgroupLeaf::AddCallingThread() const {
  if (v2_) {
    return MakeError(ErrorCode::kInternal, "cgroup v2 keeps a process's threads together");
  }
  for (const auto& dir : dirs_) {
    if (auto added = WriteFile(dir + "/tasks", "0"); !added) return added;
  }
  return {};
}

Result<UniqueFd> CgroupLeaf::OpenDirectory() const {
  int fd = open(dirs_[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open the cgroup " + dirs_[0], errno);
  return UniqueFd(fd);
}

CgroupUsage CgroupLeaf::ReadTotals() const {
  CgroupUsage usage;
  if (dirs_.empty()) return usage;
  if (v2_) {
    const std::string& dir = dirs_[0];
    usage.peak_memory_bytes = NumberIn(dir + "/memory.peak");
    usage.oom_kills = KeyedValue(ReadFile(dir + "/memory.events"), "oom_kill");
    usage.fork_failures = KeyedValue(ReadFile(dir + "/pids.events"), "max");
    usage.cpu_time =
        std::chrono::microseconds(KeyedValue(ReadFile(dir + "/cpu.stat"), "usage_usec"));
    return usage;
  }
  usage.peak_memory_bytes = NumberIn(dirs_[0] + "/memory.max_usage_in_bytes");
  usage.oom_kills = KeyedValue(ReadFile(dirs_[0] + "/memory.oom_control"), "oom_kill");
  usage.fork_failures = KeyedValue(ReadFile(dirs_[1] + "/pids.events"), "max");
  if (dirs_.size() > 2)
    usage.cpu_time = std::chrono::nanoseconds(NumberIn(dirs_[2] + "/cpuacct.usage"));
  return usage;
}

void CgroupLeaf::ResetUsage() {
  if (dirs_.empty()) return;
  baseline_ = ReadTotals();
  if (!v2_) {
    // Writing 0 sets the high-water mark to the current charge (page cache earlier runs left).
    (void)WriteFile(dirs_[0] + "/memory.max_usage_in_bytes", "0");
    baseline_.peak_memory_bytes = NumberIn(dirs_[0] + "/memory.usage_in_bytes");
  }
}

CgroupUsage CgroupLeaf::ReadUsage() const {
  CgroupUsage totals = ReadTotals();
  auto since = [](uint64_t now, uint64_t then) { return now > then ? now - then : 0; };
  CgroupUsage usage;
  usage.peak_memory_bytes = since(totals.peak_memory_bytes, baseline_.peak_memory_bytes);
  usage.oom_kills = since(totals.oom_kills, baseline_.oom_kills);
  usage.fork_failures = since(totals.fork_failures, baseline_.fork_failures);
  usage.cpu_time = std::max(totals.cpu_time - baseline_.cpu_time, std::chrono::nanoseconds(0));
  return usage;
}

namespace {

std::vector<pid_t> OtherProcesses(const std::string& dir) {
  std::istringstream procs(ReadFile(dir + "/cgroup.procs"));
  std::vector<pid_t> others;
  for (pid_t pid; procs >> pid;) {
    if (pid != getpid()) others.push_back(pid);
  }
  return others;
}

}  // namespace

bool CgroupLeaf::HasOtherProcesses() const {
  return !dirs_.empty() && !OtherProcesses(pids_dir()).empty();
}

void CgroupLeaf::KillAll() const {
  if (dirs_.empty()) return;
  if (v2_ && WriteFile(dirs_[0] + "/cgroup.kill", "1")) return;
  // v1 has no cgroup.kill: signal every member until none is left (they cannot fork faster than
  // SIGKILL lands, and the pids limit bounds them anyway). This process may be listed, for a
  // thread of it parked here (AddCallingThread); it is spared.
  for (int round = 0; round < 100; ++round) {
    std::vector<pid_t> others = OtherProcesses(pids_dir());
    if (others.empty()) return;
    for (pid_t pid : others) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

CgroupLeaf::~CgroupLeaf() {
  if (dirs_.empty()) return;
  KillAll();
  for (const auto& dir : dirs_) {
    // A killed member leaves the cgroup when it is reaped, a moment after the kill.
    for (int attempt = 0; attempt < 200 && rmdir(dir.c_str()) < 0 && errno == EBUSY; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

}  // namespace codeexec
