#include "service/files.h"

#include <fmt/format.h>

#include <functional>

#include "service/time_text.h"

namespace codeexec::service {
namespace {

using nlohmann::json;

std::string Join(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

std::string_view KindName(FileKind kind) {
  switch (kind) {
    case FileKind::kFile:
      return "file";
    case FileKind::kFolder:
      return "folder";
    case FileKind::kLink:
      return "link";
    default:
      return "other";
  }
}

// Calls `visit` for each entry under `relative`, depth first, until it returns false.
Result<bool> Walk(
    const ConfinedFolder& folder, const std::string& relative,
    const std::function<bool(const std::string&, const ConfinedFolder::Entry&)>& visit) {
  auto entries = folder.List(relative);
  if (!entries) return tl::unexpected(entries.error());
  for (const auto& entry : *entries) {
    std::string path = Join(relative, entry.name);
    if (!visit(path, entry)) return false;
    if (entry.kind == FileKind::kFolder) {
      auto more = Walk(folder, path, visit);
      if (!more) return more;
      if (!*more) return false;
    }
  }
  return true;
}

}  // namespace

Result<FolderUsage> MeasureFolder(const ConfinedFolder& folder, uint64_t max_entries) {
  FolderUsage usage;
  auto walked = Walk(folder, "", [&](const std::string&, const ConfinedFolder::Entry& entry) {
    ++usage.entries;
    if (entry.kind == FileKind::kFile) usage.bytes += entry.size;
    return max_entries == 0 || usage.entries <= max_entries;
  });
  if (!walked) return tl::unexpected(walked.error());
  return usage;
}

ServiceResult<std::string> CheckedPath(const ConfinedFolder& folder, std::string_view path) {
  auto relative = folder.Relative(path);
  if (!relative || relative->empty()) {
    return Refuse(ServiceErrorKind::kBadRequest,
                  fmt::format("path '{}' is not inside the work folder: give a relative path such "
                              "as data/input.csv",
                              path));
  }
  return *relative;
}

ServiceResult<void> PlaceFiles(const ConfinedFolder& folder, const std::vector<FileUpload>& files,
                               const FolderLimits& limits) {
  std::vector<std::string> paths;
  uint64_t added_bytes = 0;
  for (const FileUpload& file : files) {
    auto path = CheckedPath(folder, file.path);
    if (!path) return tl::unexpected(path.error());
    paths.push_back(*path);
    added_bytes += file.bytes.size();
  }
  if (limits.bytes > 0 || limits.entries > 0) {
    auto usage = MeasureFolder(folder, limits.entries + 1);
    if (!usage) return Unexpected(usage.error());
    if (limits.bytes > 0 && usage->bytes + added_bytes > limits.bytes) {
      return Refuse(ServiceErrorKind::kTooLarge,
                    fmt::format("the work folder would hold {} bytes, over its limit of {}: "
                                "remove files first",
                                usage->bytes + added_bytes, limits.bytes));
    }
    // Each file may add itself and a parent folder or two; count the files themselves.
    if (limits.entries > 0 && usage->entries + files.size() > limits.entries) {
      return Refuse(ServiceErrorKind::kTooLarge,
                    fmt::format("the work folder would hold more than {} entries: remove files "
                                "first",
                                limits.entries));
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto written = folder.WriteFile(paths[i], files[i].bytes);
    if (!written) {
      ServiceError error = FromError(written.error());
      if (error.kind == ServiceErrorKind::kForbidden) error.kind = ServiceErrorKind::kBadRequest;
      error.message = fmt::format("cannot write '{}': {}", files[i].path, error.message);
      return tl::unexpected(std::move(error));
    }
  }
  return {};
}

ServiceResult<std::string> ReadFolderFile(const ConfinedFolder& folder, std::string_view path,
                                          std::size_t max_bytes) {
  auto relative = CheckedPath(folder, path);
  if (!relative) return tl::unexpected(relative.error());
  auto bytes = folder.ReadFile(*relative, max_bytes);
  if (bytes) return std::move(*bytes);
  ServiceError error = FromError(bytes.error());
  switch (bytes.error().code()) {
    case ErrorCode::kNotFound:
      error.message = fmt::format("no file '{}' in the work folder", path);
      break;
    case ErrorCode::kResourceExhausted:
      error.message =
          fmt::format("'{}' is larger than the {} bytes a read may return", path, max_bytes);
      break;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kPermissionDenied:
      error.kind = ServiceErrorKind::kBadRequest;
      error.message = fmt::format("'{}' is not a regular file in the work folder", path);
      break;
    default:
      break;
  }
  return tl::unexpected(std::move(error));
}

ServiceResult<std::vector<FetchedFile>> FetchFiles(const ConfinedFolder& folder,
                                                   const std::vector<std::string>& paths,
                                                   std::size_t max_file_bytes,
                                                   std::size_t max_total_bytes) {
  std::vector<FetchedFile> fetched;
  std::size_t total = 0;
  for (const std::string& path : paths) {
    auto relative = CheckedPath(folder, path);
    if (!relative) return tl::unexpected(relative.error());
    FetchedFile file{path, std::nullopt, ""};
    std::size_t room = max_total_bytes > total ? max_total_bytes - total : 0;
    auto bytes = ReadFolderFile(folder, *relative, std::min(max_file_bytes, room));
    if (bytes) {
      total += bytes->size();
      file.bytes = std::move(*bytes);
    } else if (bytes.error().kind == ServiceErrorKind::kTooLarge && room < max_file_bytes) {
      file.error = fmt::format(
          "not fetched: the files fetched by one request may hold {} bytes "
          "together",
          max_total_bytes);
    } else {
      file.error = bytes.error().message;
    }
    fetched.push_back(std::move(file));
  }
  return fetched;
}

Result<std::vector<std::string>> FilesModifiedSince(const ConfinedFolder& folder, int64_t since_ns,
                                                    std::size_t max_entries) {
  std::vector<std::string> files;
  std::size_t seen = 0;
  auto walked = Walk(folder, "", [&](const std::string& path, const ConfinedFolder::Entry& entry) {
    if (entry.kind == FileKind::kFile && entry.modified_ns >= since_ns) files.push_back(path);
    return ++seen < max_entries;
  });
  if (!walked) return tl::unexpected(walked.error());
  return files;
}

ServiceResult<json> ListFolder(const ConfinedFolder& folder, std::string_view path,
                               std::size_t max_entries) {
  std::string relative;
  if (!path.empty() && path != "." && path != "/") {
    auto checked = CheckedPath(folder, path);
    if (!checked) return tl::unexpected(checked.error());
    relative = *checked;
    auto kind = folder.KindOf(relative);
    if (!kind || *kind == FileKind::kMissing) {
      return Refuse(ServiceErrorKind::kNotFound,
                    fmt::format("no folder '{}' in the work folder", path));
    }
    if (*kind != FileKind::kFolder) {
      return Refuse(ServiceErrorKind::kBadRequest, fmt::format("'{}' is not a folder", path));
    }
  }
  json entries = json::array();
  bool truncated = false;
  auto walked = Walk(
      folder, relative, [&](const std::string& entry_path, const ConfinedFolder::Entry& entry) {
        if (entries.size() >= max_entries) {
          truncated = true;
          return false;
        }
        entries.push_back(
            {{"path", entry_path},
             {"type", KindName(entry.kind)},
             {"size", entry.size},
             {"modified", Rfc3339Utc(static_cast<time_t>(entry.modified_ns / 1000000000))}});
        return true;
      });
  if (!walked) return Unexpected(walked.error());
  return json{{"path", relative.empty() ? "." : relative},
              {"entries", std::move(entries)},
              {"truncated", truncated}};
}

}  // namespace codeexec::service
