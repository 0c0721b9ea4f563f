// WorkFolder: the folder an executor writes code to and runs it in, and temporary folders.
//
// Code runs in this folder, so the executor treats everything in it as planted: every file
// operation goes through files() (no link followed, no FIFO opened), and removal never follows a
// link out of the folder.
#ifndef CODEEXEC_SRC_CORE_WORK_FOLDER_H_
#define CODEEXEC_SRC_CORE_WORK_FOLDER_H_

#include <filesystem>
#include <string_view>

#include "codeexec/error.h"
#include "core/confined_folder.h"

namespace codeexec {

// A new, empty folder $TMPDIR/PREFIX-XXXXXX (or under /tmp).
Result<std::filesystem::path> MakeTempFolder(std::string_view prefix);

class WorkFolder {
 public:
  // `requested` created with its parents if missing; empty means a new temporary folder that
  // this object owns. Errors say which folder could not be made or written, and what to do.
  static Result<WorkFolder> Prepare(const std::filesystem::path& requested);

  WorkFolder() = default;
  const std::filesystem::path& path() const { return path_; }  // canonical
  bool owned() const { return owned_; }
  // Link-safe file operations in the folder (see confined_folder.h).
  const ConfinedFolder& files() const { return files_; }

  // Removes the folder if this object made it. Idempotent.
  Result<void> Remove();

 private:
  std::filesystem::path path_;
  ConfinedFolder files_;
  bool owned_ = false;
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_WORK_FOLDER_H_
