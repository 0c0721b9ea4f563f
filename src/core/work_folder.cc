#include "core/work_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

namespace codeexec {

namespace fs = std::filesystem;

Result<fs::path> MakeTempFolder(std::string_view prefix) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = fmt::format("{}/{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoError("cannot create a temporary folder in " + pattern, errno);
  }
  return fs::path(pattern);
}

Result<WorkFolder> WorkFolder::Prepare(const fs::path& requested) {
  WorkFolder folder;
  fs::path dir = requested;
  if (dir.empty()) {
    auto temp = MakeTempFolder("codeexec");
    if (!temp) return tl::unexpected(temp.error());
    dir = *temp;
    folder.owned_ = true;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot create the work folder {}: {}. Choose a folder you can "
                                 "write to.",
                                 dir.string(), ec ? ec.message() : "not a directory"));
  }
  folder.path_ = fs::canonical(dir, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, dir.string() + ": " + ec.message());
  if (access(folder.path_.c_str(), W_OK | X_OK) != 0) {
    return ErrnoError("the work folder " + folder.path_.string() + " is not writable", errno);
  }
  auto files = ConfinedFolder::Open(folder.path_);
  if (!files) return tl::unexpected(files.error());
  folder.files_ = std::move(*files);
  return folder;
}

Result<void> WorkFolder::Remove() {
  if (!owned_) return {};
  owned_ = false;
  files_ = ConfinedFolder();
  // Relative to the parent, so that nothing the code left inside is ever followed.
  UniqueFd parent(open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid()) return ErrnoError("cannot remove the work folder " + path_.string(), errno);
  if (auto removed = RemoveTreeAt(parent.get(), path_.filename().c_str()); !removed) {
    return MakeError(removed.error().code(),
                     fmt::format("cannot remove the work folder {}: {}", path_.string(),
                                 removed.error().message()));
  }
  return {};
}

}  // namespace codeexec
