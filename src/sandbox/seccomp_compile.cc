// codeexec-seccomp-compile OUTPUT: writes the sandbox's seccomp program (seccomp_policy.h) to
// OUTPUT, as raw BPF instructions. Run by the build; the library embeds the file.
#include <fmt/format.h>

#include <cstdio>

#include "sandbox/seccomp_policy.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: codeexec-seccomp-compile OUTPUT\n");
    return 2;
  }
  auto program = codeexec::CompileSeccompPolicy();
  if (!program) {
    fmt::print(stderr, "codeexec-seccomp-compile: {}\n", program.error().ToString());
    return 1;
  }
  std::FILE* out = std::fopen(argv[1], "wb");
  bool written = out != nullptr && std::fwrite(program->data(), sizeof((*program)[0]),
                                               program->size(), out) == program->size();
  if (out != nullptr && std::fclose(out) != 0) written = false;
  if (!written) {
    fmt::print(stderr, "codeexec-seccomp-compile: cannot write {}\n", argv[1]);
    std::remove(argv[1]);
    return 1;
  }
  return 0;
}
