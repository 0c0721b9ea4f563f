// codeexec: run the code blocks of a chat message, as an agent's code executor would.
#include <unistd.h>

#include <string>

#include "cli/commands.h"
#include "codeexec/log.h"

namespace {

std::string_view LevelName(codeexec::LogLevel level) {
  switch (level) {
    case codeexec::LogLevel::kDebug:
      return "debug";
    case codeexec::LogLevel::kInfo:
      return "info";
    case codeexec::LogLevel::kWarning:
      return "warning";
    case codeexec::LogLevel::kError:
      return "error";
  }
  return "?";
}

// Library messages go to stderr as "codeexec: LEVEL: MESSAGE", so that stdout carries only the
// reply (or JSON). One write(2) per line: lines from several threads never interleave. Debug
// messages are dropped.
void InstallLogSink() {
  codeexec::SetLogSink([](codeexec::LogLevel level, std::string_view message) {
    if (level == codeexec::LogLevel::kDebug) return;
    std::string line = "codeexec: ";
    line += LevelName(level);
    line += ": ";
    line += message;
    line += '\n';
    [[maybe_unused]] ssize_t written = write(STDERR_FILENO, line.data(), line.size());
  });
}

}  // namespace

int main(int argc, char** argv) {
  InstallLogSink();
  CLI::App app{
      "codeexec runs the code blocks of a chat message and prints what happened, as an AI "
      "agent's code executor does."};
  app.set_version_flag("--version", "codeexec 0.1.0");
  app.require_subcommand(1);
  int status = 0;
  codeexec::cli::AddRunCommand(app, &status);
  codeexec::cli::AddLanguagesCommand(app, &status);
  codeexec::cli::AddDockerCommand(app, &status);
  codeexec::cli::AddReplyCommand(app, &status);
  codeexec::cli::AddChatCommand(app, &status);
  codeexec::cli::AddServeCommand(app, &status);
  codeexec::cli::AddMcpCommand(app, &status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : codeexec::cli::kUsageError;
  }
  return status;
}
