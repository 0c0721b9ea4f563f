// Files in and out of an executor's work folder, for the service's clients: placing files before
// an execution, fetching them after, reading, writing and listing them in a session. Every path
// is relative to the work folder and goes through ConfinedFolder, so that neither a client's
// "../" nor a link that code planted in the folder reaches anything outside it, and a FIFO there
// never stalls a request.
//
// Limits: a write that would take the folder past its size or entry limit is refused (kTooLarge)
// before anything is written; reads are capped. Thread-safe (each call works on the folder's
// descriptor alone).
#ifndef CODEEXEC_SRC_SERVICE_FILES_H_
#define CODEEXEC_SRC_SERVICE_FILES_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/confined_folder.h"
#include "service/service_error.h"

namespace codeexec::service {

struct FileUpload {
  std::string path;   // relative to the work folder
  std::string bytes;  // decoded
};

// Caps on a work folder: 0 means none.
struct FolderLimits {
  uint64_t bytes = 0;
  uint64_t entries = 0;
};

struct FolderUsage {
  uint64_t bytes = 0;    // of the regular files
  uint64_t entries = 0;  // files, folders, links and others
};

// What stands in the folder, counted without following links; stops counting past `max_entries`
// (0: never) so that measuring a hostile folder stays bounded.
Result<FolderUsage> MeasureFolder(const ConfinedFolder& folder, uint64_t max_entries = 0);

// `path` as a relative path inside the folder; kBadRequest naming it when it is empty, absolute
// or leaves the folder.
ServiceResult<std::string> CheckedPath(const ConfinedFolder& folder, std::string_view path);

// Writes every upload (parents created) after checking that together they keep the folder
// within `limits`.
ServiceResult<void> PlaceFiles(const ConfinedFolder& folder, const std::vector<FileUpload>& files,
                               const FolderLimits& limits);

// The regular file at `path`: kNotFound when missing, kBadRequest for a folder or special file,
// kTooLarge past `max_bytes`.
ServiceResult<std::string> ReadFolderFile(const ConfinedFolder& folder, std::string_view path,
                                          std::size_t max_bytes);

struct FetchedFile {
  std::string path;
  std::optional<std::string> bytes;  // set when read
  std::string error;                 // why not, otherwise
};

// Each of `paths` read (up to `max_file_bytes` each and `max_total_bytes` together); a file that
// cannot be read gets its error instead of failing the others. kBadRequest for a path that
// leaves the folder.
ServiceResult<std::vector<FetchedFile>> FetchFiles(const ConfinedFolder& folder,
                                                   const std::vector<std::string>& paths,
                                                   std::size_t max_file_bytes,
                                                   std::size_t max_total_bytes);

// The entries under `path` ("" for the whole folder), depth first, sorted by name:
// {"path": "..." (as given, or "."), "entries": [{"path", "type": "file"|"folder"|"link"|"other",
// "size", "modified" (RFC 3339, UTC)}], "truncated": bool} with at most `max_entries` entries.
ServiceResult<nlohmann::json> ListFolder(const ConfinedFolder& folder, std::string_view path,
                                         std::size_t max_entries);

// The regular files under the folder whose modification time is at or after `since_ns`
// (nanoseconds since the epoch), depth first; at most `max_entries` entries are looked at, so
// that a hostile folder keeps the walk bounded.
Result<std::vector<std::string>> FilesModifiedSince(const ConfinedFolder& folder, int64_t since_ns,
                                                    std::size_t max_entries);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_FILES_H_
