#include "docker/runner_binary.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "core/embedded_file.h"

// The program's bytes (CMake passes the path of the built runner as CODEEXEC_RUNNER_PATH).
CODEEXEC_EMBED_FILE(codeexec_runner, CODEEXEC_RUNNER_PATH)

namespace codeexec::docker {
namespace {

namespace fs = std::filesystem;

// FNV-1a: names the copy after its contents, so that builds of different runners never share one.
uint64_t Fingerprint(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
  return hash;
}

// `dir`, created 0700 when missing; refused unless it is a real folder of this user that no one
// else may write.
Result<void> PrivateFolder(const fs::path& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(fmt::format("cannot create {}", dir.string()), errno);
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return ErrnoError("cannot inspect " + dir.string(), errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("{} is not a private folder of this user", dir.string()));
  }
  return {};
}

Result<void> WriteProgram(const fs::path& path) {
  std::string_view program = RunnerProgram();
  fs::path temp = path;
  temp += fmt::format(".{}.tmp", getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755);
  if (fd < 0) return ErrnoError("cannot write " + temp.string(), errno);
  while (!program.empty()) {
    ssize_t n = write(fd, program.data(), program.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      unlink(temp.c_str());
      return ErrnoError("cannot write " + temp.string(), saved);
    }
    program.remove_prefix(static_cast<std::size_t>(n));
  }
  close(fd);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(temp.c_str());
    return ErrnoError("cannot write " + path.string(), saved);
  }
  return {};
}

Result<fs::path> MakeRunnerOnHost() {
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  const char* temp = getenv("TMPDIR");
  fs::path dir = runtime != nullptr && *runtime == '/'
                     ? fs::path(runtime) / "codeexec"
                     : fs::path(temp != nullptr && *temp == '/' ? temp : "/tmp") /
                           fmt::format("codeexec-runner-{}", geteuid());
  if (auto made = PrivateFolder(dir); !made) return tl::unexpected(made.error());
  std::string_view program = RunnerProgram();
  fs::path path = dir / fmt::format("runner-{:016x}", Fingerprint(program));
  struct stat st;
  bool present = lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                 static_cast<std::size_t>(st.st_size) == program.size();
  if (!present) {
    if (auto written = WriteProgram(path); !written) return tl::unexpected(written.error());
  }
  return path;
}

}  // namespace

std::string_view RunnerProgram() { return codeexec_runner(); }

std::string_view RunnerArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

Result<fs::path> RunnerOnHost() {
  // Made once per process; the copy is checked again only by its size, as the folder is private.
  static std::once_flag once;
  static Result<fs::path> made = MakeError(ErrorCode::kInternal, "not made");
  std::call_once(once, [] { made = MakeRunnerOnHost(); });
  return made;
}

void AddRunnerTo(TarWriter& writer) {
  std::string_view path = kRunnerInContainer.substr(1);  // relative to /
  writer.AddDirectory(path.substr(0, path.rfind('/')), 0755, 0);
  writer.AddFile(path, RunnerProgram(), 0755, 0);
}

}  // namespace codeexec::docker
