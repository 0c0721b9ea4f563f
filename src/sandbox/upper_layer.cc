#include "sandbox/upper_layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace codeexec {
namespace {

// The overlay's marks in a user namespace (mounted with userxattr).
constexpr const char* kOpaque = "user.overlay.opaque";

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool IsOpaque(int dir_fd) {
  char value[4] = {};
  ssize_t n = fgetxattr(dir_fd, kOpaque, value, sizeof(value));
  return n > 0 && value[0] == 'y';
}

// Gives room back to a budget, which INT64_MAX (no limit) stays.
void Credit(int64_t& budget, int64_t amount) {
  budget = budget > INT64_MAX - amount ? INT64_MAX : budget + amount;
}

std::string TempName(const char* name) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format(".{}.codeexec-{}-{}.tmp", name, getpid(), counter++);
}

enum class Pass {
  kRemove,  // whiteouts, replaced folders, folders a file or link took the place of
  kAdd,     // folders, files and links created or changed
};

// Applies one folder of the layer (`layer_dir`, at `relative`) onto the host's `host_dir`, for
// one pass.
class FolderApplier {
 public:
  FolderApplier(Pass pass, int layer_dir, int host_dir, std::string relative, uid_t owner,
                gid_t group, LayerBudget& budget, LayerReport& report,
                std::vector<std::string>& pending)
      : pass_(pass),
        layer_dir_(layer_dir),
        host_dir_(host_dir),
        relative_(std::move(relative)),
        owner_(owner),
        group_(group),
        budget_(budget),
        report_(report),
        pending_(pending) {}

  Result<void> Run();

 private:
  std::string Child(const char* name) const {
    return relative_.empty() ? std::string(name) : relative_ + "/" + name;
  }
  // Removes whatever the host has under `name`, counting it as taken away.
  Result<void> RemoveHost(const char* name) {
    RemovedCount removed;
    if (auto gone = RemoveTreeAt(host_dir_, name, &removed); !gone) return gone;
    report_.bytes_added -= removed.bytes;
    report_.entries_added -= removed.entries;
    Credit(budget_.bytes, removed.bytes);
    Credit(budget_.entries, removed.entries);
    return {};
  }
  // The host's entry `name`: its kind bits, or 0 when missing.
  mode_t HostMode(const char* name, off_t* size = nullptr) const {
    struct stat st;
    if (fstatat(host_dir_, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    if (size) *size = S_ISREG(st.st_mode) ? st.st_size : 0;
    return st.st_mode;
  }
  // Whether the budget allows one more entry of `bytes`; takes it when it does.
  bool Allow(int64_t bytes) {
    if (budget_.entries < 1 || budget_.bytes < bytes) {
      ++report_.dropped;
      return false;
    }
    if (budget_.entries != INT64_MAX) --budget_.entries;
    if (budget_.bytes != INT64_MAX) budget_.bytes -= bytes;
    return true;
  }
  Result<void> Remove(const char* name, const struct stat& st);
  Result<void> Folder(const char* name, const struct stat& st);
  Result<void> File(const char* name, const struct stat& st);
  Result<void> Link(const char* name);
  Result<void> Replace(const std::string& temp, const char* name, mode_t old_mode);

  Pass pass_;
  int layer_dir_, host_dir_;
  std::string relative_;
  uid_t owner_;
  gid_t group_;
  LayerBudget& budget_;
  LayerReport& report_;
  std::vector<std::string>& pending_;
};

Result<void> FolderApplier::Run() {
  int copy = fcntl(layer_dir_, F_DUPFD_CLOEXEC, 0);
  std::unique_ptr<DIR, DirCloser> stream(copy < 0 ? nullptr : fdopendir(copy));
  if (!stream) {
    if (copy >= 0) close(copy);
    return ErrnoError("cannot read the run's layer", errno);
  }
  while (dirent* entry = readdir(stream.get())) {
    const char* name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat st;
    if (fstatat(layer_dir_, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    Result<void> done;
    if (pass_ == Pass::kRemove) {
      done = Remove(name, st);
    } else if (IsWhiteout(st)) {
      continue;
    } else if (S_ISDIR(st.st_mode)) {
      done = Folder(name, st);
    } else if (S_ISREG(st.st_mode)) {
      done = File(name, st);
    } else if (S_ISLNK(st.st_mode)) {
      done = Link(name);
    } else {
      ++report_.skipped;  // a FIFO, socket or device: not carried over
    }
    if (!done) {
      return MakeError(done.error().code(), fmt::format("cannot apply {} to the work folder: {}",
                                                        Child(name), done.error().message()));
    }
  }
  return {};
}

Result<void> FolderApplier::Remove(const char* name, const struct stat& st) {
  if (IsWhiteout(st)) return RemoveHost(name);
  mode_t host = HostMode(name);
  if (host == 0) return {};
  if (!S_ISDIR(st.st_mode)) {
    // A file, link or special file in place of what the host has: only a folder needs removing
    // now (the others are replaced by a rename, or removed as special files).
    if (S_ISDIR(host) || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) return RemoveHost(name);
    return {};
  }
  UniqueFd layer(openat(layer_dir_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!layer.valid()) return ErrnoError("open", errno);
  // An opaque folder replaced the host's: nothing of the old one shows through.
  if (!S_ISDIR(host) || IsOpaque(layer.get())) return RemoveHost(name);
  pending_.push_back(Child(name));
  return {};
}

Result<void> FolderApplier::Folder(const char* name, const struct stat& st) {
  if (HostMode(name) == 0) {
    if (!Allow(0)) return {};  // neither it nor anything in it is kept
    if (mkdirat(host_dir_, name, st.st_mode & 0777) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", errno);
    }
    UniqueFd made(openat(host_dir_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!made.valid() || fchown(made.get(), owner_, group_) != 0 ||
        fchmod(made.get(), st.st_mode & 0777) != 0) {
      return ErrnoError("create the folder", errno);
    }
    ++report_.entries_added;
  }
  pending_.push_back(Child(name));
  return {};
}

Result<void> FolderApplier::Replace(const std::string& temp, const char* name, mode_t old_mode) {
  if (renameat(host_dir_, temp.c_str(), host_dir_, name) != 0) {
    int error = errno;
    unlinkat(host_dir_, temp.c_str(), 0);
    return ErrnoError("rename", error);
  }
  if (old_mode == 0) ++report_.entries_added;
  return {};
}

Result<void> FolderApplier::File(const char* name, const struct stat& st) {
  off_t old_size = 0;
  mode_t old_mode = HostMode(name, &old_size);
  if (old_mode == 0 && !Allow(st.st_size)) return {};
  UniqueFd source(openat(layer_dir_, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!source.valid()) return ErrnoError("open", errno);
  std::string temp = TempName(name);
  UniqueFd target(
      openat(host_dir_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!target.valid()) return ErrnoError("create", errno);
  auto fail = [&](int error) {
    target.Reset();
    unlinkat(host_dir_, temp.c_str(), 0);
    return ErrnoError("copy", error);
  };
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(target.get(), source.get(), &offset,
                         static_cast<std::size_t>(std::min<off_t>(st.st_size - offset, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    if (n == 0) break;  // the layer's file is shorter than it said: keep what there is
  }
  timespec times[2] = {st.st_atim, st.st_mtim};
  // The owner's bits only: setuid, setgid and sticky never reach the host.
  if (fchown(target.get(), owner_, group_) != 0 || fchmod(target.get(), st.st_mode & 0777) != 0 ||
      futimens(target.get(), times) != 0) {
    return fail(errno);
  }
  target.Reset();
  if (auto replaced = Replace(temp, name, old_mode); !replaced) return replaced;
  int64_t growth = offset - (S_ISREG(old_mode) ? old_size : 0);
  report_.bytes_added += growth;
  if (old_mode != 0 && budget_.bytes != INT64_MAX) budget_.bytes -= growth;
  return {};
}

Result<void> FolderApplier::Link(const char* name) {
  char target[4096];
  ssize_t length = readlinkat(layer_dir_, name, target, sizeof(target) - 1);
  if (length < 0) return ErrnoError("readlink", errno);
  target[length] = '\0';
  mode_t old_mode = HostMode(name);
  if (old_mode == 0 && !Allow(0)) return {};
  std::string temp = TempName(name);
  if (symlinkat(target, host_dir_, temp.c_str()) != 0) return ErrnoError("symlink", errno);
  if (fchownat(host_dir_, temp.c_str(), owner_, group_, AT_SYMLINK_NOFOLLOW) != 0) {
    int error = errno;
    unlinkat(host_dir_, temp.c_str(), 0);
    return ErrnoError("chown", error);
  }
  return Replace(temp, name, old_mode);
}

}  // namespace

Result<LayerReport> ApplyUpperLayer(int layer, const ConfinedFolder& work, uid_t owner, gid_t group,
                                    LayerBudget budget) {
  LayerReport report;
  struct statfs fs;
  if (fstatfs(layer, &fs) == 0) {
    report.full = fs.f_bavail == 0 || (fs.f_files > 0 && fs.f_ffree == 0);
  }
  UniqueFd upper(openat(layer, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!upper.valid()) return ErrnoError("cannot open the run's layer", errno);
  ConfinedFolder layer_folder = ConfinedFolder::Adopt(std::move(upper), "the run's layer");
  // Breadth first by relative path, each folder reopened on both sides without following links:
  // no descriptor is held per level, whatever the depth.
  for (Pass pass : {Pass::kRemove, Pass::kAdd}) {
    std::vector<std::string> pending = {""};
    while (!pending.empty()) {
      std::string relative = std::move(pending.back());
      pending.pop_back();
      auto layer_dir = layer_folder.OpenFolder(relative, /*create=*/false);
      if (!layer_dir) return tl::unexpected(layer_dir.error());
      auto host_dir = work.OpenFolder(relative, /*create=*/false);
      if (!host_dir) return tl::unexpected(host_dir.error());
      FolderApplier applier(pass, layer_dir->get(), host_dir->get(), relative, owner, group, budget,
                            report, pending);
      if (auto applied = applier.Run(); !applied) return tl::unexpected(applied.error());
    }
  }
  return report;
}

std::string WorkFolderAllowance::LayerOptions() const {
  auto left = [](uint64_t limit, int64_t used) -> uint64_t {
    return used >= static_cast<int64_t>(limit) ? 0 : limit - static_cast<uint64_t>(used);
  };
  // A tmpfs size of 0 means no limit: an exhausted allowance still gets a page. The overlay takes
  // eight entries for itself (the root, upper, work and two folders in work it keeps, two it
  // makes and removes while mounting, one for a copy-up in flight). Deleting takes an entry too
  // (a whiteout), so the layer gets the whole file limit: what it may add to the host is decided
  // when it is applied (LayerBudget).
  uint64_t size = bytes_ == 0 ? 0 : std::max<uint64_t>(left(bytes_, bytes_used_), 4096);
  uint64_t inodes = entries_ == 0 ? 0 : entries_ + 8;
  return fmt::format("mode=0755,size={},nr_inodes={}", size, inodes);
}

LayerBudget WorkFolderAllowance::Budget() const {
  LayerBudget budget;
  if (bytes_ > 0) budget.bytes = static_cast<int64_t>(bytes_) - bytes_used_;
  if (entries_ > 0) budget.entries = static_cast<int64_t>(entries_) - entries_used_;
  return budget;
}

void WorkFolderAllowance::Record(const LayerReport& report) {
  bytes_used_ += report.bytes_added;
  entries_used_ += report.entries_added;
}

std::string WorkFolderAllowance::Describe() const {
  std::string bytes = bytes_ == 0               ? "no size limit"
                      : bytes_ % (1 << 20) == 0 ? fmt::format("{} MiB", bytes_ >> 20)
                                                : fmt::format("{} bytes", bytes_);
  std::string entries = entries_ == 0 ? "no file limit" : fmt::format("{} files", entries_);
  return bytes + " and " + entries;
}

}  // namespace codeexec
