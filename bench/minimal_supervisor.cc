// The least a supervising process can do for a one-shot run, for cli_bench's second floor:
//
//   minimal_supervisor PYTHON
//
// It does only the system work that any `codeexec run` of a python `print(1)` block must do:
// a temporary work folder, the code file in it, the interpreter spawned in its own session with
// both streams piped and read to their end, the exit status, the file and the folder removed and
// the reply printed. No option parsing, no configuration, no output limit, no cancellation, no
// confinement: the gap between codeexec and this program is what codeexec's own design costs, and
// the gap between this program and a bare interpreter start is what any supervising process
// costs on the machine (a second process start, the folder's creation and removal).
// C++ only in name; statically linked, as the codeexec command is.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace {

int Fail(const char* what) {
  fprintf(stderr, "minimal_supervisor: %s: %s\n", what, strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: minimal_supervisor PYTHON\n");
    return 2;
  }
  const char* tmp = getenv("TMPDIR");
  char folder[4096];
  snprintf(folder, sizeof(folder), "%s/minimal-supervisor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(folder) == nullptr) return Fail("mkdtemp");
  char file[4200];
  snprintf(file, sizeof(file), "%s/tmp_code.py", folder);
  int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "print(1)\n", 9) != 9 || close(fd) != 0) return Fail("code file");

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return Fail("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, folder);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  char* child_argv[] = {argv[1], file, nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, argv[1], &actions, &attributes, child_argv, environ);
  if (rc != 0) {
    errno = rc;
    return Fail("posix_spawn");
  }
  close(out[1]);
  close(err[1]);

  char output[65536];
  size_t kept = 0;
  pollfd streams[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  for (int open_streams = 2; open_streams > 0;) {
    if (poll(streams, 2, -1) < 0 && errno != EINTR) return Fail("poll");
    for (int i = 0; i < 2; ++i) {
      if (streams[i].fd < 0 || streams[i].revents == 0) continue;
      ssize_t n = read(streams[i].fd, output + kept, sizeof(output) - 1 - kept);
      if (n > 0) {
        kept += static_cast<size_t>(n);
      } else if (n == 0 || errno != EINTR) {
        close(streams[i].fd);
        streams[i].fd = -1;
        --open_streams;
      }
    }
  }
  output[kept] = '\0';
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Fail("waitpid");
  }
  if (unlink(file) != 0 || rmdir(folder) != 0) return Fail("removing the work folder");
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("exitcode: %d (execution %s)\nCode output: %s", code, code == 0 ? "succeeded" : "failed",
         output);
  return code;
}
