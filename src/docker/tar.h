// Tar archives, the form the Docker API copies files in and out of containers with.
//
// TarWriter builds a POSIX ustar archive in memory from directories and regular files; a name
// longer than the ustar fields hold gets a PAX header. TarReader parses an archive as it arrives
// (ustar, with PAX and GNU long-name extensions, as the daemon writes them), handing each
// entry's data on in pieces, so that memory stays bounded whatever the archive holds. Neither
// touches the file system. Not thread-safe.
#ifndef CODEEXEC_SRC_DOCKER_TAR_H_
#define CODEEXEC_SRC_DOCKER_TAR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "codeexec/error.h"

namespace codeexec::docker {

class TarWriter {
 public:
  // `name` relative, '/'-separated; `mtime` in seconds since the epoch.
  void AddDirectory(std::string_view name, uint32_t mode, int64_t mtime);
  void AddFile(std::string_view name, std::string_view contents, uint32_t mode, int64_t mtime);
  // The archive, with its end-of-archive marker. The writer is empty afterwards.
  std::string Finish();

  bool empty() const { return archive_.empty(); }

 private:
  void AddHeader(std::string_view name, char type, uint32_t mode, uint64_t size, int64_t mtime);
  void Pad();

  std::string archive_;
};

struct TarEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardLink, kOther };
  std::string name;  // as stored: relative, '/'-separated, no trailing '/'
  Type type = Type::kOther;
  uint32_t mode = 0;
  uint64_t size = 0;  // bytes of data that follow (files only)
  int64_t mtime = 0;
};

class TarReader {
 public:
  // Called for each entry in order: Begin, then Data for its contents in pieces, then End. An
  // error from a callback ends the parse with that error.
  struct Callbacks {
    std::function<Result<void>(const TarEntry&)> begin;
    std::function<Result<void>(std::string_view)> data;
    std::function<Result<void>()> end;
  };

  explicit TarReader(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}

  // kInvalidArgument for a malformed archive.
  Result<void> Feed(std::string_view bytes);
  // Whether the archive ended properly (its end marker, or the end of a whole entry).
  bool AtEntryBoundary() const { return data_left_ == 0 && padding_left_ == 0 && header_.empty(); }

 private:
  Result<void> OnHeader();
  void ApplyPax(std::string_view records);

  Callbacks callbacks_;
  std::string header_;      // the header block being collected
  uint64_t data_left_ = 0;  // of the current entry
  uint64_t padding_left_ = 0;
  bool entry_open_ = false;  // Begin was called and End is due
  bool ended_ = false;       // the end-of-archive marker was seen
  // Extension records (PAX, GNU long names) being collected, and what they set for the next entry.
  char extension_ = 0;
  std::string extension_data_;
  std::string next_name_;
  std::string next_size_;
  std::string next_mtime_;
};

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_TAR_H_
