// Helpers shared by the tests (header-only; never part of the library).
#ifndef CODEEXEC_SRC_TESTING_TEST_UTIL_H_
#define CODEEXEC_SRC_TESTING_TEST_UTIL_H_

#include <stdlib.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace codeexec::testing {

// Polls `done` every 20 ms until it holds or `limit` has passed, and says whether it held: a
// bound against hangs, not a timing assertion.
template <typename Done>
bool Eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A new folder /tmp/codeexec-TAG-XXXXXX (canonical path), removed with its contents on
// destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string pattern = "/tmp/codeexec-" + tag + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
    path_ = std::filesystem::canonical(pattern);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The whole contents of `path` ("" when it cannot be read).
inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// True once `pid` is dead: gone, or a zombie waiting for init to reap it (some init processes
// reap late). Waits up to a second for a dying process.
inline bool ProcessIsDead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string id, comm, state;
    if (!(stat >> id >> comm >> state) || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// The processes of this host whose command line mentions `text` (a path, a marker argument).
inline std::vector<pid_t> ProcessesMentioning(const std::string& text) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadWholeFile(entry.path() / "cmdline");
    if (cmdline.find(text) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace codeexec::testing

#endif  // CODEEXEC_SRC_TESTING_TEST_UTIL_H_
