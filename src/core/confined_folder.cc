#include "core/confined_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/filename.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

std::atomic<bool> openat2_missing{false};

// openat of each component of `relative` in turn, every one with O_NOFOLLOW; the folders on the
// way with O_DIRECTORY. `relative` is normalised (no "." or ".." components, no empty ones).
int WalkOpen(int dir_fd, std::string_view relative, int flags, mode_t mode) {
  UniqueFd current;
  int at = dir_fd;
  for (;;) {
    std::size_t slash = relative.find('/');
    if (slash == std::string_view::npos) break;
    std::string part(relative.substr(0, slash));
    int next = openat(at, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return -1;
    current.Reset(next);
    at = next;
    relative.remove_prefix(slash + 1);
  }
  return openat(at, std::string(relative).c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

// Opens `relative` beneath `dir_fd` without following any link. -1 with errno on failure (ELOOP
// or EXDEV for a link on the way).
int OpenBeneath(int dir_fd, std::string_view relative, int flags, mode_t mode = 0) {
  if (relative.empty()) relative = ".";
  if (!openat2_missing.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = kResolve;
    std::string path(relative);
    long fd = syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS && errno != ENAMETOOLONG) return -1;
    if (errno == ENOSYS) openat2_missing = true;
  }
  return WalkOpen(dir_fd, relative, flags, mode);
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view relative) {
  std::size_t slash = relative.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), relative};
  return {relative.substr(0, slash), relative.substr(slash + 1)};
}

tl::unexpected<Error> LinkOrErrno(std::string_view what, std::string_view relative, int error) {
  if (error == ELOOP || error == EXDEV || error == ENOTDIR) {
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("cannot {} {}: a symbolic link or a file stands where a folder "
                                 "should be (links in the work folder are not followed)",
                                 what, relative));
  }
  return ErrnoError(fmt::format("cannot {} {}", what, relative), error);
}

// Reads all of `fd` (a regular file) up to `max_bytes` + 1.
Result<std::string> ReadAll(int fd, std::size_t max_bytes) {
  std::string contents;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", errno);
    if (n == 0) return contents;
    contents.append(buffer, static_cast<std::size_t>(n));
    if (contents.size() > max_bytes) return contents;
  }
}

Result<void> WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Opens the entry `name` of `dir_fd` as a folder, never through a link. A folder without
// permissions (mode 000 left by code) is opened up first.
int OpenChildFolder(int dir_fd, const char* name) {
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES && fchmodat(dir_fd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0) {
    fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  return fd;
}

// The next entry of the folder `fd` other than "." and "..", from its start.
struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

bool FirstEntry(int fd, std::string* name, unsigned char* type) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return false;
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(copy));
  if (!dir) {
    close(copy);
    return false;
  }
  rewinddir(dir.get());
  while (dirent* entry = readdir(dir.get())) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    *name = entry->d_name;
    *type = entry->d_type;
    return true;
  }
  return false;
}

FileKind KindOfMode(mode_t mode) {
  return S_ISREG(mode)   ? FileKind::kFile
         : S_ISDIR(mode) ? FileKind::kFolder
         : S_ISLNK(mode) ? FileKind::kLink
                         : FileKind::kOther;
}

}  // namespace

Result<ConfinedFolder> ConfinedFolder::Open(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, path.string() + ": " + ec.message());
  int fd = open(absolute.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open the folder " + absolute.string(), errno);
  fs::path normal = absolute.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) {
    normal = normal.parent_path();  // "/a/b/" -> "/a/b"
  }
  return ConfinedFolder(std::move(normal), UniqueFd(fd));
}

Result<std::string> ConfinedFolder::Relative(std::string_view name) const {
  auto refused = [] {
    return MakeError(ErrorCode::kPermissionDenied, std::string(kNotInWorkspace));
  };
  if (name.empty() || name.find('\0') != std::string_view::npos) return refused();
  fs::path requested(name);
  if (requested.is_absolute()) {
    fs::path normal = requested.lexically_normal();
    auto [folder_end, requested_it] =
        std::mismatch(path_.begin(), path_.end(), normal.begin(), normal.end());
    if (folder_end != path_.end()) return refused();
    fs::path rest;
    for (; requested_it != normal.end(); ++requested_it) rest /= *requested_it;
    requested = rest;
  }
  fs::path normal = requested.lexically_normal();
  std::string text = normal.string();
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (text.empty() || text == "." || text == ".." || text.starts_with("../")) return refused();
  return text;
}

Result<UniqueFd> ConfinedFolder::OpenFolder(std::string_view relative, bool create) const {
  if (relative.empty()) {
    // A new open file description, not a dup: reading the folder must not move the offset that
    // every later listing would share.
    int fd = openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("cannot open " + path_.string(), errno);
    return UniqueFd(fd);
  }
  int fd = OpenBeneath(fd_.get(), relative, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT || !create) return LinkOrErrno("open the folder", relative, errno);
  // Create the missing part one folder at a time, each opened from its parent.
  UniqueFd current(fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  std::string_view rest = relative;
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string part(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (mkdirat(current.get(), part.c_str(), 0755) < 0 && errno != EEXIST) {
      return LinkOrErrno("create the folder", relative, errno);
    }
    int next = openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return LinkOrErrno("open the folder", relative, errno);
    current.Reset(next);
  }
  return current;
}

Result<ConfinedFolder::Parent> ConfinedFolder::ParentFolder(std::string_view parent,
                                                            bool create) const {
  if (parent.empty()) return Parent{UniqueFd(), fd_.get()};
  auto dir = OpenFolder(parent, create);
  if (!dir) return tl::unexpected(dir.error());
  int fd = dir->get();
  return Parent{std::move(*dir), fd};
}

Result<FileKind> ConfinedFolder::KindOf(std::string_view relative) const {
  auto [parent, leaf] = SplitParent(relative);
  auto dir = ParentFolder(parent, /*create=*/false);
  if (!dir) {
    if (dir.error().code() == ErrorCode::kNotFound) return FileKind::kMissing;
    return tl::unexpected(dir.error());
  }
  struct stat st;
  if (fstatat(dir->get(), std::string(leaf).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return FileKind::kMissing;
    return ErrnoError(fmt::format("cannot look at {}", relative), errno);
  }
  return KindOfMode(st.st_mode);
}

bool ConfinedFolder::Holds(std::string_view relative, std::string_view bytes) const {
  UniqueFd fd(OpenBeneath(fd_.get(), relative, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return false;
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) != bytes.size()) {
    return false;
  }
  auto contents = ReadAll(fd.get(), bytes.size());
  return contents && *contents == bytes;
}

Result<void> ConfinedFolder::WriteFile(std::string_view relative, std::string_view bytes,
                                       mode_t mode) const {
  auto [parent, leaf] = SplitParent(relative);
  auto dir = ParentFolder(parent, /*create=*/true);
  if (!dir) return tl::unexpected(dir.error());
  static std::atomic<uint64_t> counter{0};
  std::string temp = fmt::format(".{}.codeexec-{}-{}.tmp", leaf, getpid(), counter++);
  UniqueFd fd(openat(dir->get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     mode & 0777));
  if (!fd.valid()) return LinkOrErrno("write", relative, errno);
  auto written = WriteAll(fd.get(), bytes);
  fd.Reset();
  std::string name(leaf);
  if (written && renameat(dir->get(), temp.c_str(), dir->get(), name.c_str()) == 0) return {};
  int error = written ? errno : EIO;
  unlinkat(dir->get(), temp.c_str(), 0);
  if (!written) {
    return MakeError(written.error().code(),
                     fmt::format("cannot write {}: {}", relative, written.error().message()));
  }
  if (error == EISDIR || error == ENOTEMPTY || error == EEXIST) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("cannot write {}: a folder has that name", relative));
  }
  return ErrnoError(fmt::format("cannot write {}", relative), error);
}

Result<std::string> ConfinedFolder::ReadFile(std::string_view relative,
                                             std::size_t max_bytes) const {
  UniqueFd fd(OpenBeneath(fd_.get(), relative, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, fmt::format("{} does not exist", relative));
    }
    return LinkOrErrno("read", relative, errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(fmt::format("cannot read {}", relative), errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} is not a regular file", relative));
  }
  auto contents = ReadAll(fd.get(), max_bytes);
  if (!contents) return ErrnoError(fmt::format("cannot read {}", relative), errno);
  if (contents->size() > max_bytes) {
    return MakeError(ErrorCode::kResourceExhausted,
                     fmt::format("{} is larger than {} bytes", relative, max_bytes));
  }
  return contents;
}

Result<UniqueFd> ConfinedFolder::OpenForAppend(std::string_view relative, mode_t mode) const {
  auto [parent, leaf] = SplitParent(relative);
  auto dir = ParentFolder(parent, /*create=*/true);
  if (!dir) return tl::unexpected(dir.error());
  std::string name(leaf);
  for (int attempt = 0; attempt < 3; ++attempt) {
    struct stat st;
    if (fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
      if (auto removed = RemoveTreeAt(dir->get(), name.c_str()); !removed)
        return tl::unexpected(removed.error());
    }
    UniqueFd fd(
        openat(dir->get(), name.c_str(),
               O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
               mode & 0777));
    if (fd.valid() && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
      int flags = fcntl(fd.get(), F_GETFL);
      fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
      return fd;
    }
    // Swapped between the check and the open (or a link: ELOOP): remove it and try again.
    if (!fd.valid() && errno != ELOOP && errno != ENXIO && errno != EISDIR) {
      return ErrnoError(fmt::format("cannot open {}", relative), errno);
    }
    if (auto removed = RemoveTreeAt(dir->get(), name.c_str()); !removed)
      return tl::unexpected(removed.error());
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("cannot open {}: something keeps replacing it", relative));
}

Result<void> ConfinedFolder::Remove(std::string_view relative) const {
  auto [parent, leaf] = SplitParent(relative);
  auto dir = ParentFolder(parent, /*create=*/false);
  if (!dir) {
    return dir.error().code() == ErrorCode::kNotFound ? Result<void>()
                                                      : tl::unexpected(dir.error());
  }
  return RemoveTreeAt(dir->get(), std::string(leaf).c_str());
}

Result<std::vector<ConfinedFolder::Entry>> ConfinedFolder::List(std::string_view relative) const {
  auto dir = OpenFolder(relative, /*create=*/false);
  if (!dir) return tl::unexpected(dir.error());
  int copy = fcntl(dir->get(), F_DUPFD_CLOEXEC, 0);
  std::unique_ptr<DIR, DirCloser> stream(copy < 0 ? nullptr : fdopendir(copy));
  if (!stream) {
    if (copy >= 0) close(copy);
    return ErrnoError(fmt::format("cannot list {}", relative.empty() ? "." : relative), errno);
  }
  std::vector<Entry> entries;
  while (dirent* entry = readdir(stream.get())) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dir->get(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    Entry item;
    item.name = entry->d_name;
    item.kind = KindOfMode(st.st_mode);
    item.size = static_cast<uint64_t>(st.st_size);
    item.modified_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    entries.push_back(std::move(item));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return entries;
}

namespace {

// A folder being emptied: its descriptor (closed when the path gets too deep to keep one open
// per level) and its name in its parent.
struct Level {
  UniqueFd fd;
  std::string name;
};

constexpr std::size_t kOpenLevels = 64;

// Reopens levels[index] by walking down from the deepest ancestor still open.
int Reopen(std::vector<Level>& levels, std::size_t index, int top_fd) {
  std::size_t from = index;
  while (from > 0 && !levels[from - 1].fd.valid()) --from;
  int at = from == 0 ? top_fd : levels[from - 1].fd.get();
  UniqueFd current;
  for (std::size_t i = from; i <= index; ++i) {
    int next = OpenChildFolder(at, levels[i].name.c_str());
    if (next < 0) return -1;
    current.Reset(next);
    at = next;
  }
  levels[index].fd = std::move(current);
  return levels[index].fd.get();
}

}  // namespace

Result<void> RemoveTreeAt(int dir_fd, const char* name, RemovedCount* counted) {
  RemovedCount ignored;
  RemovedCount& count = counted ? *counted : ignored;
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Result<void>()
                           : ErrnoError(fmt::format("cannot remove {}", name), errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dir_fd, name, 0) == 0) {
      ++count.entries;
      if (S_ISREG(st.st_mode)) count.bytes += st.st_size;
      return {};
    }
    if (errno == ENOENT) return {};
    return ErrnoError(fmt::format("cannot remove {}", name), errno);
  }
  // Depth first, without recursion (trees may be deeper than the stack), holding at most
  // kOpenLevels descriptors.
  std::vector<Level> levels;
  levels.push_back({UniqueFd(OpenChildFolder(dir_fd, name)), name});
  if (!levels.back().fd.valid()) {
    return ErrnoError(fmt::format("cannot remove {}", name), errno);
  }
  fchmod(levels.back().fd.get(), 0700);
  while (!levels.empty()) {
    std::size_t index = levels.size() - 1;
    int fd = levels[index].fd.valid() ? levels[index].fd.get() : Reopen(levels, index, dir_fd);
    if (fd < 0) return ErrnoError(fmt::format("cannot remove {}", name), errno);
    std::string child;
    unsigned char type = DT_UNKNOWN;
    if (!FirstEntry(fd, &child, &type)) {
      std::string emptied = std::move(levels[index].name);
      levels.pop_back();
      int parent = levels.empty()             ? dir_fd
                   : levels.back().fd.valid() ? levels.back().fd.get()
                                              : Reopen(levels, levels.size() - 1, dir_fd);
      if (parent < 0 || (unlinkat(parent, emptied.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)) {
        return ErrnoError(fmt::format("cannot remove {}", emptied), errno);
      }
      ++count.entries;
      continue;
    }
    if (type == DT_UNKNOWN) {
      if (fstatat(fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        return ErrnoError(fmt::format("cannot remove {}", child), errno);
      }
      type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
    }
    if (type != DT_DIR) {
      bool regular = type == DT_REG;
      if (regular && fstatat(fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) st.st_size = 0;
      if (unlinkat(fd, child.c_str(), 0) != 0) {
        if (errno == ENOENT) continue;
        return ErrnoError(fmt::format("cannot remove {}", child), errno);
      }
      ++count.entries;
      if (regular) count.bytes += st.st_size;
      continue;
    }
    if (levels.size() >= kOpenLevels) levels[levels.size() - kOpenLevels].fd.Reset();
    int next = OpenChildFolder(fd, child.c_str());
    if (next < 0) {
      if (errno == ENOENT) continue;
      return ErrnoError(fmt::format("cannot remove {}", child), errno);
    }
    fchmod(next, 0700);
    levels.push_back({UniqueFd(next), child});
  }
  return {};
}

Result<ScrubReport> ScrubSpecialFiles(const ConfinedFolder& folder) {
  ScrubReport report;
  // Breadth first by relative path, each folder reopened from the top without following links:
  // nothing is held open across levels, whatever the depth.
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    std::string relative = std::move(pending.back());
    pending.pop_back();
    auto dir = folder.OpenFolder(relative, /*create=*/false);
    if (!dir) {
      if (dir.error().code() == ErrorCode::kNotFound) continue;  // removed meanwhile
      return tl::unexpected(dir.error());
    }
    int copy = fcntl(dir->get(), F_DUPFD_CLOEXEC, 0);
    std::unique_ptr<DIR, DirCloser> stream(copy < 0 ? nullptr : fdopendir(copy));
    if (!stream) {
      if (copy >= 0) close(copy);
      return ErrnoError("cannot list " + (relative.empty() ? std::string(".") : relative), errno);
    }
    while (dirent* entry = readdir(stream.get())) {
      const char* name = entry->d_name;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
      struct stat st;
      if (fstatat(dir->get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      std::string child = relative.empty() ? std::string(name) : relative + "/" + name;
      if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) ||
          S_ISBLK(st.st_mode)) {
        if (unlinkat(dir->get(), name, 0) != 0 && errno != ENOENT) {
          return ErrnoError("cannot remove the special file " + child, errno);
        }
        ++report.removed;
        continue;
      }
      if (S_ISDIR(st.st_mode)) pending.push_back(child);
      if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) ||
          (st.st_mode & (S_ISUID | S_ISGID)) == 0) {
        continue;
      }
      // Through a descriptor of the very file just checked, never a name that could have become
      // a link since.
      UniqueFd fd(
          openat(dir->get(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
      if (!fd.valid() || fstat(fd.get(), &st) != 0) continue;
      if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
          fchmod(fd.get(), st.st_mode & 01777) == 0) {
        ++report.stripped;
      }
    }
  }
  return report;
}

}  // namespace codeexec
