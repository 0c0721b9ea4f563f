// codeexec: run the code blocks of a chat message, as an agent's code executor would.
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

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
  using Add = void (*)(CLI::App&, int*);
  static constexpr std::pair<std::string_view, Add> kCommands[] = {
      {"run", codeexec::cli::AddRunCommand},
      {"languages", codeexec::cli::AddLanguagesCommand},
      {"docker", codeexec::cli::AddDockerCommand},
      {"reply", codeexec::cli::AddReplyCommand},
      {"chat", codeexec::cli::AddChatCommand},
      {"serve", codeexec::cli::AddServeCommand},
      {"mcp", codeexec::cli::AddMcpCommand},
  };
  // A command line that names a subcommand first builds only that one: `codeexec run` is a
  // whole process per message, and building every subcommand's options is most of the parser's
  // cost. Anything else (help, --version, a mistake) sees them all.
  auto named = argc > 1 ? std::find_if(std::begin(kCommands), std::end(kCommands),
                                       [&](const auto& c) { return c.first == argv[1]; })
                        : std::end(kCommands);
  if (named != std::end(kCommands)) {
    named->second(app, &status);
  } else {
    for (const auto& [name, add] : kCommands) add(app, &status);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : codeexec::cli::kUsageError;
  }
  return status;
}
