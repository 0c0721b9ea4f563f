// ConfinedFolder: file operations inside a folder that untrusted code writes to as well, immune
// to the links and special files that code may leave there.
//
// Every path is relative to the folder and resolved from an open descriptor of it, never
// following a symbolic link (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; one component at
// a time with O_NOFOLLOW where the kernel lacks openat2): a sub-folder swapped for a link, at any
// moment, makes the operation fail instead of reaching outside. Files are opened non-blocking and
// must be regular files, so a FIFO or a device planted under a name neither stalls nor is
// touched. Files are written beside their name and renamed over it, so whatever stood there (a
// link, a FIFO) is replaced, never written through, and a reader never sees half a file.
//
// Thread-safe: the object holds one descriptor and no other state.
#ifndef CODEEXEC_SRC_CORE_CONFINED_FOLDER_H_
#define CODEEXEC_SRC_CORE_CONFINED_FOLDER_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

// What stands under a name (the name itself is never followed).
enum class FileKind { kMissing, kFile, kFolder, kLink, kOther };

class ConfinedFolder {
 public:
  // Opens `path` (which must be a folder; a link to one is refused). The path kept for messages
  // and for names handed to programs is `path` made absolute.
  static Result<ConfinedFolder> Open(const std::filesystem::path& path);
  // A folder already open (`fd`, which must be a folder descriptor); `path` is for messages.
  static ConfinedFolder Adopt(UniqueFd fd, std::filesystem::path path) {
    return ConfinedFolder(std::move(path), std::move(fd));
  }

  ConfinedFolder() = default;
  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }

  // The name a block asked for (relative, or absolute inside path()) as a relative path,
  // lexically normalised ("a/./b/../c" -> "a/c"). An empty name, a NUL byte, an absolute path
  // elsewhere, or ".." leaving the folder: kPermissionDenied with kNotInWorkspace's text.
  Result<std::string> Relative(std::string_view name) const;

  // The sub-folder `relative` ("" is the folder itself), opened for *at() calls; missing folders
  // are created (0755) when `create`. A link or a non-folder on the way: kPermissionDenied.
  Result<UniqueFd> OpenFolder(std::string_view relative, bool create) const;

  // What stands at `relative`. A link or a file on the way to it: kPermissionDenied.
  Result<FileKind> KindOf(std::string_view relative) const;

  // Whether `relative` is a regular file holding exactly `bytes` (false for anything else,
  // including a FIFO, which is not waited for).
  bool Holds(std::string_view relative, std::string_view bytes) const;

  // Writes `bytes` to `relative` (parents created) through a temporary file and a rename.
  Result<void> WriteFile(std::string_view relative, std::string_view bytes,
                         mode_t mode = 0644) const;

  // The contents of the regular file `relative`; kResourceExhausted past `max_bytes`,
  // kInvalidArgument for a folder or a special file, kNotFound when missing.
  Result<std::string> ReadFile(std::string_view relative, std::size_t max_bytes) const;

  // The regular file `relative` opened for appending (created when missing). Anything else under
  // that name (a link, a FIFO, a folder) is removed and replaced by an empty file.
  Result<UniqueFd> OpenForAppend(std::string_view relative, mode_t mode = 0644) const;

  // Removes `relative`: a file, link or special file (never followed), or a folder with
  // everything in it. A missing name is not an error.
  Result<void> Remove(std::string_view relative) const;

  struct Entry {
    std::string name;
    FileKind kind = FileKind::kOther;
    uint64_t size = 0;
    int64_t modified_ns = 0;  // since the epoch
  };
  // The entries of the folder `relative`, sorted by name, without "." and "..".
  Result<std::vector<Entry>> List(std::string_view relative) const;

 private:
  // The folder holding a name: the top folder itself (borrowed: no system call) or an opened
  // sub-folder.
  struct Parent {
    UniqueFd owned;
    int fd = -1;
    int get() const { return fd; }
  };
  Result<Parent> ParentFolder(std::string_view parent, bool create) const;

  ConfinedFolder(std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  std::filesystem::path path_;
  UniqueFd fd_;
};

// What a removal took away: every entry (folders too) and the bytes of the regular files.
struct RemovedCount {
  int64_t entries = 0;
  int64_t bytes = 0;
};

// Removes the entry `name` of the open folder `dir_fd`: a folder with everything in it (each
// level opened relative to its parent, never through a link; folders without permissions are
// opened up first), anything else unlinked. A missing name is not an error. Adds what went to
// `counted` when given.
Result<void> RemoveTreeAt(int dir_fd, const char* name, RemovedCount* counted = nullptr);

// What ScrubSpecialFiles changed.
struct ScrubReport {
  int removed = 0;   // FIFOs, sockets and device nodes
  int stripped = 0;  // files and folders that lost their setuid or setgid bit
};

// Makes the folder safe to leave to the host after untrusted code wrote to it: FIFOs, sockets and
// device nodes are removed, and setuid and setgid bits cleared, at every depth. Links are left
// as they are and never followed.
Result<ScrubReport> ScrubSpecialFiles(const ConfinedFolder& folder);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_CONFINED_FOLDER_H_
