// The subcommands of the `codeexec` command line tool. Each Add* function registers its
// subcommand on the app; the callback stores the exit status in *status.
#ifndef CODEEXEC_SRC_CLI_COMMANDS_H_
#define CODEEXEC_SRC_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace codeexec::cli {

// Exit statuses of codeexec's own failures. `run` otherwise exits with the code's exit code.
inline constexpr int kUsageError = 2;
inline constexpr int kFailure = 1;

void AddRunCommand(CLI::App& app, int* status);
void AddLanguagesCommand(CLI::App& app, int* status);
void AddDockerCommand(CLI::App& app, int* status);
void AddReplyCommand(CLI::App& app, int* status);
void AddChatCommand(CLI::App& app, int* status);
void AddServeCommand(CLI::App& app, int* status);
void AddMcpCommand(CLI::App& app, int* status);

}  // namespace codeexec::cli

#endif  // CODEEXEC_SRC_CLI_COMMANDS_H_
