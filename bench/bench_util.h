// Helpers shared by the benchmarks: medians, timing, and the bare-spawn floor.
#ifndef CODEEXEC_BENCH_BENCH_UTIL_H_
#define CODEEXEC_BENCH_BENCH_UTIL_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace codeexec::bench {

using Clock = std::chrono::steady_clock;

inline double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename F>
double TimeMicros(F&& f) {
  auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

template <typename F>
double TimeMillis(F&& f) {
  return TimeMicros(std::forward<F>(f)) / 1000.0;
}

// The floor of every process-starting executor: posix_spawn of `args` (args[0] an absolute
// path), its stdout read to end of file, waitpid. With `quiet_stderr`, its stderr goes to
// /dev/null (a `codeexec run` writes the code's output there as it runs).
inline void BareSpawn(const std::vector<std::string>& args, bool quiet_stderr = false) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) std::abort();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (quiet_stderr) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) std::abort();
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  char buffer[4096];
  while (read(out[0], buffer, sizeof(buffer)) > 0) {
  }
  close(out[0]);
  int status;
  waitpid(pid, &status, 0);
}

// Debian's bubblewrap with isolation comparable to the sandbox's (all namespaces, read-only
// /usr, fresh /proc, /dev and /tmp, `work` bound read-write and the working folder): the
// command line up to the program to run.
inline std::vector<std::string> BwrapPrefix(const std::string& work) {
  return {"/usr/bin/bwrap",
          "--unshare-all",
          "--die-with-parent",
          "--new-session",
          "--ro-bind",
          "/usr",
          "/usr",
          "--symlink",
          "usr/bin",
          "/bin",
          "--symlink",
          "usr/lib",
          "/lib",
          "--symlink",
          "usr/lib64",
          "/lib64",
          "--proc",
          "/proc",
          "--dev",
          "/dev",
          "--tmpfs",
          "/tmp",
          "--bind",
          work,
          work,
          "--chdir",
          work};
}

// Calls of `one` per second with `threads` callers, for `seconds`.
inline double PerSecond(int threads, const std::function<void()>& one, double seconds) {
  std::atomic<long> count{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (!stop) {
        one();
        ++count;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& worker : workers) worker.join();
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace codeexec::bench

#endif  // CODEEXEC_BENCH_BENCH_UTIL_H_
