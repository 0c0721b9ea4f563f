// The codeexec-runner program (runner/runner_main.cc): built with the library, embedded in it,
// and put into each container the Docker executor starts, as its main process.
//
// A local daemon bind-mounts it read-only from a copy on this host (RunnerOnHost); a daemon that
// cannot see this host's files gets it in an archive uploaded before the container starts
// (AddRunnerTo). Thread-safe.
#ifndef CODEEXEC_SRC_DOCKER_RUNNER_BINARY_H_
#define CODEEXEC_SRC_DOCKER_RUNNER_BINARY_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "codeexec/error.h"
#include "docker/tar.h"

namespace codeexec::docker {

// Where the runner is inside a container.
inline constexpr std::string_view kRunnerInContainer = "/.codeexec/runner";

// The program's bytes (a statically linked Linux executable).
std::string_view RunnerProgram();

// The CPU architecture it runs on, in Docker's names ("amd64", "arm64", ...).
std::string_view RunnerArchitecture();

// A copy of the program on this host, made once per content in a folder only this user may
// write: $XDG_RUNTIME_DIR/codeexec, else $TMPDIR (or /tmp)/codeexec-runner-UID (a cache that
// stays). Errors say why the copy could not be made (the executor then uploads the program).
Result<std::filesystem::path> RunnerOnHost();

// Adds the program to an archive that is extracted at /, so that it lands at kRunnerInContainer.
void AddRunnerTo(TarWriter& writer);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_RUNNER_BINARY_H_
