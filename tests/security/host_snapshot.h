// What hostile code could change on the host and that must outlive no run: kernel settings,
// device nodes, mounts, and a folder of files beside the work folder that code must never reach.
// Take a snapshot before a case and compare after it; the difference names what changed.
#ifndef CODEEXEC_TESTS_SECURITY_HOST_SNAPSHOT_H_
#define CODEEXEC_TESTS_SECURITY_HOST_SNAPSHOT_H_

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace codeexec::testing {

struct HostSnapshot {
  std::map<std::string, std::string> entries;

  // Kernel settings code could reach through /proc/sys, the device nodes the sandbox binds, the
  // host's mount points, and every file under `guarded` (its contents, mode and owner).
  static HostSnapshot Take(const std::filesystem::path& guarded = {}) {
    HostSnapshot snapshot;
    for (const char* knob :
         {"kernel/core_pattern", "kernel/hostname", "kernel/domainname", "kernel/sysrq",
          "kernel/modprobe", "fs/lease-break-time", "fs/protected_symlinks", "fs/suid_dumpable",
          "vm/overcommit_memory", "net/ipv4/ip_forward", "net/ipv4/ip_unprivileged_port_start",
          "kernel/randomize_va_space"}) {
      snapshot.entries[std::string("sysctl ") + knob] = Read(std::string("/proc/sys/") + knob);
    }
    for (const char* device : {"null", "zero", "full", "random", "urandom", "tty"}) {
      snapshot.entries[std::string("device ") + device] = Describe("/dev/" + std::string(device));
    }
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::set<std::string> points;
    for (std::string line; std::getline(mountinfo, line);) {
      std::istringstream fields(line);
      std::string id, parent, numbers, root, point;
      fields >> id >> parent >> numbers >> root >> point;
      // The Docker daemon mounts and unmounts for containers that tests start meanwhile.
      if (point.starts_with("/var/lib/docker/") || point.starts_with("/run/docker/")) continue;
      points.insert(point + " (" + root + ")");
    }
    for (const auto& point : points) snapshot.entries["mount " + point] = "";
    std::error_code ec;
    if (!guarded.empty()) {
      snapshot.entries["file " + guarded.string()] = Describe(guarded);
      for (auto it = std::filesystem::recursive_directory_iterator(guarded, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        snapshot.entries["file " + it->path().string()] = Describe(it->path());
      }
    }
    return snapshot;
  }

  // What differs from `before`, one line each; empty when nothing does.
  std::string ChangesSince(const HostSnapshot& before) const {
    std::string changes;
    for (const auto& [key, value] : before.entries) {
      auto now = entries.find(key);
      if (now == entries.end()) {
        changes += "gone: " + key + "\n";
      } else if (now->second != value) {
        changes += "changed: " + key + ": " + value + " -> " + now->second + "\n";
      }
    }
    for (const auto& [key, value] : entries) {
      if (!before.entries.contains(key)) changes += "new: " + key + "\n";
    }
    return changes;
  }

 private:
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static std::string Describe(const std::filesystem::path& path) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return "missing";
    std::string text = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
                       std::to_string(st.st_gid) + " rdev " + std::to_string(st.st_rdev);
    if (S_ISREG(st.st_mode)) text += " " + Read(path.string());
    return text;
  }
};

// A folder beside a test's work folder, with files code must never reach, and the host as it was
// when the test began: Check() names whatever changed since.
class GuardedHost {
 public:
  explicit GuardedHost(std::filesystem::path beside) : beside_(std::move(beside)) {
    std::filesystem::create_directories(beside_ / "folder");
    for (const char* name : {"secret.txt", "run.sh", "x.py", "folder/data"}) {
      std::ofstream(beside_ / name) << "host file " << name;
    }
    before_ = HostSnapshot::Take(beside_);
  }
  const std::filesystem::path& beside() const { return beside_; }
  std::string Changes() const { return HostSnapshot::Take(beside_).ChangesSince(before_); }

 private:
  std::filesystem::path beside_;
  HostSnapshot before_;
};

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_SECURITY_HOST_SNAPSHOT_H_
