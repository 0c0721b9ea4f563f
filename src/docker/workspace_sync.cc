#include "docker/workspace_sync.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>
#include <vector>

#include "codeexec/log.h"
#include "core/filename.h"
#include "docker/tar.h"

namespace codeexec::docker {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kFingerprintStart = 14695981039346656037ull;

// FNV-1a, continued from `hash`.
uint64_t Fingerprint(std::string_view bytes, uint64_t hash = kFingerprintStart) {
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

Result<std::string> ReadWhole(const fs::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoError("cannot read " + path.string(), errno);
  std::string contents;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      return ErrnoError("cannot read " + path.string(), saved);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return contents;
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

// Writes the archive's files into the work folder as they stream in (TarReader callbacks).
class WorkspaceSync::Receiver {
 public:
  explicit Receiver(WorkspaceSync& sync)
      : sync_(sync), prefix_(fs::path(sync.container_dir_).filename().string() + "/") {}
  ~Receiver() { Discard(); }

  Result<void> Begin(const TarEntry& entry);
  Result<void> Data(std::string_view bytes);
  Result<void> End();

 private:
  void Discard() {
    if (fd_ < 0) return;
    close(fd_);
    unlink(temp_.c_str());
    fd_ = -1;
  }

  WorkspaceSync& sync_;
  std::string prefix_;  // "workspace/": the archive names entries after the folder
  std::string name_;    // relative to the work folder
  fs::path target_, temp_;
  int fd_ = -1;
  uint64_t contents_ = kFingerprintStart;
};

Result<void> WorkspaceSync::Receiver::Begin(const TarEntry& entry) {
  if (!entry.name.starts_with(prefix_)) return {};  // the folder itself
  name_ = entry.name.substr(prefix_.size());
  bool wanted = entry.type == TarEntry::Type::kFile || entry.type == TarEntry::Type::kDirectory;
  if (!wanted || !SafeRelative(name_)) return {};
  auto target = ResolveInWorkspace(sync_.host_dir_, name_);
  if (!target) {
    Log(LogLevel::kWarning, fmt::format("not copying {} out of the container: it would land "
                                        "outside the work folder",
                                        name_));
    return {};
  }
  std::error_code ec;
  fs::create_directories(entry.type == TarEntry::Type::kDirectory ? *target : target->parent_path(),
                         ec);
  if (ec)
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("cannot create a folder for {}: {}", name_, ec.message()));
  if (entry.type == TarEntry::Type::kDirectory) return {};
  target_ = *target;
  temp_ = target_;
  temp_ += fmt::format(".codeexec-{}.tmp", getpid());
  fd_ = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
             (entry.mode & 0777) | 0600);
  if (fd_ < 0) return ErrnoError("cannot write " + temp_.string(), errno);
  contents_ = kFingerprintStart;
  return {};
}

Result<void> WorkspaceSync::Receiver::Data(std::string_view bytes) {
  if (fd_ < 0) return {};
  contents_ = Fingerprint(bytes, contents_);
  while (!bytes.empty()) {
    ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      Discard();
      return ErrnoError("cannot write " + target_.string(), saved);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> WorkspaceSync::Receiver::End() {
  if (fd_ < 0) return {};
  auto known = sync_.known_.find(name_);
  if (known != sync_.known_.end() && known->second.contents == contents_) {
    Discard();  // the container did not change it: the host's copy (maybe edited since) stays
    return {};
  }
  close(fd_);
  fd_ = -1;
  if (rename(temp_.c_str(), target_.c_str()) != 0) {
    int saved = errno;
    unlink(temp_.c_str());
    return ErrnoError("cannot write " + target_.string(), saved);
  }
  sync_.RememberHostStamp(name_, contents_);
  return {};
}

WorkspaceSync::WorkspaceSync(const DockerClient& client, std::string container_id,
                             fs::path host_dir, std::string container_dir)
    : client_(client),
      container_id_(std::move(container_id)),
      host_dir_(std::move(host_dir)),
      container_dir_(std::move(container_dir)) {}

void WorkspaceSync::RememberHostStamp(const std::string& name, uint64_t contents) {
  Known& known = known_[name];
  known.contents = contents;
  struct stat st;
  if (lstat((host_dir_ / name).c_str(), &st) != 0) return;
  known.host_mtime_ns = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
  known.host_size = st.st_size;
  known.host_inode = st.st_ino;
}

Result<void> WorkspaceSync::Upload() {
  TarWriter writer;
  std::set<std::string> folders;
  std::vector<std::pair<std::string, uint64_t>> sent;  // name, contents
  std::error_code ec;
  auto options = fs::directory_options::skip_permission_denied;
  for (fs::recursive_directory_iterator it(host_dir_, options, ec), end; !ec && it != end;
       it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string name = it->path().lexically_relative(host_dir_).generic_string();
    auto known = known_.find(name);
    if (known != known_.end() &&
        known->second.host_mtime_ns == st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec &&
        known->second.host_size == st.st_size && known->second.host_inode == st.st_ino) {
      continue;
    }
    auto contents = ReadWhole(it->path());
    if (!contents) {
      Log(LogLevel::kWarning,
          fmt::format("not copying {} into the container: {}", name, contents.error().message()));
      continue;
    }
    // Folders (writable by any user the code may run as) before the files in them.
    for (std::size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      if (folders.insert(name.substr(0, slash)).second) {
        writer.AddDirectory(name.substr(0, slash), 0777, st.st_mtim.tv_sec);
      }
    }
    writer.AddFile(name, *contents, (st.st_mode & 0777) | 0666, st.st_mtim.tv_sec);
    sent.emplace_back(std::move(name), Fingerprint(*contents));
  }
  if (ec) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot list {}: {}", host_dir_.string(), ec.message()));
  }
  if (writer.empty()) return {};
  if (auto put = client_.PutArchive(container_id_, container_dir_, writer.Finish()); !put) {
    return put;
  }
  for (const auto& [name, contents] : sent) RememberHostStamp(name, contents);
  return {};
}

Result<void> WorkspaceSync::Download() {
  Receiver receiver(*this);
  TarReader reader({[&](const TarEntry& entry) { return receiver.Begin(entry); },
                    [&](std::string_view bytes) { return receiver.Data(bytes); },
                    [&]() { return receiver.End(); }});
  return client_.GetArchive(container_id_, container_dir_,
                            [&](std::string_view bytes) { return reader.Feed(bytes); });
}

}  // namespace codeexec::docker
