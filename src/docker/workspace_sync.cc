#include "docker/workspace_sync.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "codeexec/log.h"
#include "command_line/run_log.h"
#include "core/ascii.h"
#include "docker/tar.h"

namespace codeexec::docker {
namespace {

constexpr uint64_t kFingerprintStart = 14695981039346656037ull;

// FNV-1a, continued from `hash`.
uint64_t Fingerprint(std::string_view bytes, uint64_t hash = kFingerprintStart) {
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

int64_t StampOf(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// `relative` split into its folder ("" for the top) and its last component.
std::pair<std::string, std::string> SplitName(const std::string& relative) {
  std::size_t slash = relative.rfind('/');
  if (slash == std::string::npos) return {"", relative};
  return {relative.substr(0, slash), relative.substr(slash + 1)};
}

// A name from the archive, relative to the work folder, if it is a plain relative path.
bool SafeRelative(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  for (std::size_t at = 0; at <= name.size();) {
    std::size_t slash = std::min(name.find('/', at), name.size());
    std::string_view part = name.substr(at, slash - at);
    if (part.empty() || part == "." || part == "..") return false;
    at = slash + 1;
  }
  return true;
}

}  // namespace

// Writes the archive's files into the work folder as they stream in (TarReader callbacks): each
// beside its name in its folder, opened without following links, then renamed over the name.
class WorkspaceSync::Receiver {
 public:
  explicit Receiver(WorkspaceSync& sync)
      : sync_(sync),
        prefix_(std::filesystem::path(sync.container_dir_).filename().string() + "/") {}
  ~Receiver() { Discard(); }

  Result<void> Begin(const TarEntry& entry);
  Result<void> Data(std::string_view bytes);
  Result<void> End();

  // The regular files the archive held, by name.
  const std::set<std::string>& seen() const { return seen_; }

 private:
  void Discard() {
    if (!file_.valid()) return;
    file_.Reset();
    unlinkat(folder_.get(), temp_.c_str(), 0);
  }
  void Skip(std::string_view why) {
    Log(LogLevel::kWarning, fmt::format("not copying {} out of the container: {}", name_, why));
  }
  Result<void> OpenTemp(mode_t mode);

  WorkspaceSync& sync_;
  std::string prefix_;  // "workspace/": the archive names entries after the folder
  std::string name_;    // relative to the work folder
  UniqueFd folder_;     // the folder the file goes into
  std::string leaf_, temp_;
  UniqueFd file_;
  uint64_t contents_ = kFingerprintStart;
  std::set<std::string> seen_;
};

Result<void> WorkspaceSync::Receiver::Begin(const TarEntry& entry) {
  if (!entry.name.starts_with(prefix_)) return {};  // the folder itself
  name_ = entry.name.substr(prefix_.size());
  bool wanted = entry.type == TarEntry::Type::kFile || entry.type == TarEntry::Type::kDirectory;
  if (!wanted || !SafeRelative(name_) || name_ == kRunLogName) return {};
  bool is_file = entry.type == TarEntry::Type::kFile;
  if (is_file) seen_.insert(name_);
  auto [parent, leaf] = SplitName(name_);
  auto folder = sync_.files_.OpenFolder(is_file ? parent : name_, /*create=*/true);
  if (!folder) {
    Skip(folder.error().message());
    return {};
  }
  if (!is_file) return {};
  folder_ = std::move(*folder);
  leaf_ = std::move(leaf);
  // Never a set-user-ID or set-group-ID bit: only the permission bits travel.
  return OpenTemp(static_cast<mode_t>((entry.mode & 0777) | 0600));
}

Result<void> WorkspaceSync::Receiver::OpenTemp(mode_t mode) {
  temp_ = fmt::format(".{}.codeexec-{}.tmp", leaf_, getpid());
  for (int attempt = 0; attempt < 2; ++attempt) {
    file_.Reset(openat(folder_.get(), temp_.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (file_.valid()) break;
    if (errno != EEXIST) return ErrnoError("cannot write " + name_, errno);
    unlinkat(folder_.get(), temp_.c_str(), 0);  // left by an interrupted copy
  }
  if (!file_.valid()) return ErrnoError("cannot write " + name_, EEXIST);
  contents_ = kFingerprintStart;
  return {};
}

Result<void> WorkspaceSync::Receiver::Data(std::string_view bytes) {
  if (!file_.valid()) return {};
  contents_ = Fingerprint(bytes, contents_);
  while (!bytes.empty()) {
    ssize_t n = write(file_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : EIO;
      Discard();
      return ErrnoError("cannot write " + name_, saved);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> WorkspaceSync::Receiver::End() {
  if (!file_.valid()) return {};
  auto known = sync_.known_.find(name_);
  if (known != sync_.known_.end() && known->second.contents == contents_) {
    Discard();  // the container did not change it: the host's copy (maybe edited since) stays
    return {};
  }
  struct stat st;
  if (fstat(file_.get(), &st) != 0) return ErrnoError("cannot write " + name_, errno);
  file_.Reset();
  if (renameat(folder_.get(), temp_.c_str(), folder_.get(), leaf_.c_str()) != 0) {
    int saved = errno;
    unlinkat(folder_.get(), temp_.c_str(), 0);
    if (saved == EISDIR || saved == ENOTEMPTY || saved == EEXIST) {
      Skip("a folder of that name is in the work folder");
      return {};
    }
    return ErrnoError("cannot write " + name_, saved);
  }
  sync_.known_[name_] = Known{StampOf(st), st.st_size, contents_};
  return {};
}

Result<std::unique_ptr<WorkspaceSync>> WorkspaceSync::Open(std::string container_id,
                                                           const std::filesystem::path& host_dir,
                                                           std::string container_dir,
                                                           std::string limits) {
  auto files = ConfinedFolder::Open(host_dir);
  if (!files) return tl::unexpected(files.error());
  return std::unique_ptr<WorkspaceSync>(new WorkspaceSync(
      std::move(container_id), std::move(*files), std::move(container_dir), std::move(limits)));
}

Result<void> WorkspaceSync::Upload(const DockerClient& client) {
  TarWriter writer;
  std::set<std::string> folders;
  std::vector<std::pair<std::string, Known>> sent;
  // Folder by folder, each listed without following links.
  std::vector<std::string> pending = {""};
  while (!pending.empty()) {
    std::string folder = std::move(pending.back());
    pending.pop_back();
    auto skip = [&](const Error& why) {
      Log(LogLevel::kWarning,
          fmt::format("not copying {} into the container: {}", folder, why.message()));
    };
    // "." rather than "": a folder of its own, never a listing position shared with others.
    std::string_view at = folder.empty() ? std::string_view(".") : std::string_view(folder);
    auto entries = files_.List(at);
    if (!entries) {
      skip(entries.error());
      continue;
    }
    auto dir = files_.OpenFolder(at, /*create=*/false);
    if (!dir) {
      skip(dir.error());
      continue;
    }
    for (const ConfinedFolder::Entry& entry : *entries) {
      std::string name = folder.empty() ? entry.name : folder + "/" + entry.name;
      if (entry.kind == FileKind::kFolder) pending.push_back(name);
      if (entry.kind != FileKind::kFile || name == kRunLogName) continue;
      auto known = known_.find(name);
      if (known != known_.end() && known->second.host_mtime_ns == entry.modified_ns &&
          known->second.host_size == static_cast<int64_t>(entry.size)) {
        continue;
      }
      // Opened non-blocking and only if it is a regular file: a FIFO never stalls the copy.
      auto contents = files_.ReadFile(name, std::numeric_limits<std::size_t>::max());
      struct stat st;
      if (contents && fstatat(dir->get(), entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        contents = ErrnoError("cannot read " + name, errno);
      }
      if (!contents) {
        Log(LogLevel::kWarning,
            fmt::format("not copying {} into the container: {}", name, contents.error().message()));
        continue;
      }
      // Folders (writable by any user the code may run as) before the files in them.
      for (std::size_t slash = name.find('/'); slash != std::string::npos;
           slash = name.find('/', slash + 1)) {
        if (folders.insert(name.substr(0, slash)).second) {
          writer.AddDirectory(name.substr(0, slash), 0777, entry.modified_ns / 1'000'000'000);
        }
      }
      writer.AddFile(name, *contents, (st.st_mode & 0777) | 0666,
                     entry.modified_ns / 1'000'000'000);
      sent.emplace_back(std::move(name), Known{entry.modified_ns, static_cast<int64_t>(entry.size),
                                               Fingerprint(*contents)});
    }
  }
  if (writer.empty()) return {};
  if (auto put = client.PutArchive(container_id_, container_dir_, writer.Finish()); !put) {
    if (limits_.empty() ||
        AsciiLower(put.error().message()).find("no space left") == std::string::npos) {
      return put;
    }
    return MakeError(ErrorCode::kResourceExhausted,
                     fmt::format("the work folder's files do not fit in the container's {} ({}). "
                                 "Delete files from {} on this host (and then call Restart()), or "
                                 "raise the limit.",
                                 container_dir_, limits_, files_.path().string()));
  }
  for (auto& [name, known] : sent) known_[name] = known;
  return {};
}

Result<void> WorkspaceSync::Download(const DockerClient& client) {
  Receiver receiver(*this);
  TarReader reader({[&](const TarEntry& entry) { return receiver.Begin(entry); },
                    [&](std::string_view bytes) { return receiver.Data(bytes); },
                    [&]() { return receiver.End(); }});
  auto fetched = client.GetArchive(container_id_, container_dir_,
                                   [&](std::string_view bytes) { return reader.Feed(bytes); });
  if (!fetched) return fetched;
  // Only a whole archive tells which files the container no longer has.
  if (reader.AtEntryBoundary()) ApplyDeletions(receiver.seen());
  return {};
}

void WorkspaceSync::ApplyDeletions(const std::set<std::string>& seen) {
  for (auto it = known_.begin(); it != known_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    // Gone from the container: gone from the host too, if the host's file is still the one both
    // sides had (a file the host changed since, or replaced by anything else, stays).
    auto [parent, leaf] = SplitName(it->first);
    auto dir = files_.OpenFolder(parent, /*create=*/false);
    struct stat st;
    if (dir && fstatat(dir->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && StampOf(st) == it->second.host_mtime_ns &&
        st.st_size == it->second.host_size && unlinkat(dir->get(), leaf.c_str(), 0) != 0) {
      Log(LogLevel::kWarning,
          fmt::format("cannot delete {}, which the code deleted: {}", it->first, strerror(errno)));
    }
    it = known_.erase(it);
  }
}

}  // namespace codeexec::docker
