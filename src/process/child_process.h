// Starting a program as a child in its own session, and owning it until it is reaped.
#ifndef CODEEXEC_SRC_PROCESS_CHILD_PROCESS_H_
#define CODEEXEC_SRC_PROCESS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "codeexec/error.h"
#include "process/unique_fd.h"

namespace codeexec {

struct SpawnSpec {
  std::string program;            // an absolute path: no PATH search happens here
  std::vector<std::string> argv;  // argv[0] included
  char* const* envp = nullptr;    // NULL-terminated; must outlive Spawn()
  std::string cwd;                // empty: inherit
  // When >= 0, the child's stdout and stderr both go to this descriptor (a log file) and no
  // pipes are made: stdout_fd() and stderr_fd() are then -1. For long-lived children such as
  // kernels, whose output nobody reads as it comes.
  int output_fd = -1;
  // When >= 0, the child's stdin (the read end of a pipe the caller feeds); else /dev/null.
  int stdin_fd = -1;
};

// A running child started by Spawn: the leader of a new session and process group, with stdin
// from /dev/null (or the spec's stdin_fd), stdout and stderr on pipes we read, every other
// descriptor closed and every signal at its default disposition, unblocked. Owns a pidfd so that
// the pid cannot be reused while we hold it. Destroying a child that was not reaped kills its
// process group and reaps it.
class ChildProcess {
 public:
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }
  void CloseStdout() { stdout_.Reset(); }
  void CloseStderr() { stderr_.Reset(); }

  // Sends `signal` to the child's whole process group (all the processes it started that did not
  // leave the group). Safe until Reap(): the pid is not reused while unreaped.
  void SignalGroup(int signal) const;

  // Waits for the child to exit (the pidfd being readable means it has) and returns its wait
  // status encoded as an exit code: the exit status, or 128 + the signal number.
  struct Exit {
    int exit_code = 0;
    int signal = 0;  // the terminating signal, 0 if it exited
  };
  Result<Exit> Reap();
  bool reaped() const { return reaped_; }

  // Takes ownership of a child started some other way (the sandbox clones into namespaces): its
  // pid, a pidfd for it, and the read ends of its stdout and stderr pipes (made non-blocking here).
  static ChildProcess Adopt(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err);

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err);

  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  bool reaped_ = false;
};

Result<ChildProcess> Spawn(const SpawnSpec& spec);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_PROCESS_CHILD_PROCESS_H_
