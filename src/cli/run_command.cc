// `codeexec run [FILE|-]`: execute the code blocks of a message, showing their output on stderr
// as it comes, and print the agent's reply (or the result as JSON, or the events as NDJSON).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/executor_flags.h"
#include "cli/live_output.h"
#include "codeexec/reply.h"

namespace codeexec::cli {
namespace {

struct RunArgs {
  std::string file = "-";
  ExecutorFlags executor;
  bool json = false;
  bool ndjson = false;
  bool quiet = false;
};

int Run(const RunArgs& args) {
  std::string error;
  auto message = ReadMessageFile(args.file, &error);
  if (!message) return Fail(kUsageError, error);
  auto executor = CreateExecutor(args.executor);
  if (!executor) return Fail(ExecutorErrorStatus(executor.error()), executor.error().message());
  auto blocks = (*executor)->code_extractor().ExtractCodeBlocks(std::string_view(*message));
  if (blocks.empty()) {
    return Fail(kFailure, fmt::format("no code blocks found in {}. A code block is fenced with "
                                      "three backticks and a language, for example ```python.",
                                      args.file == "-" ? "the message" : args.file));
  }
  ExecutionOptions options;
  if (args.ndjson) {
    options.on_event = EventsAsNdjson();
  } else if (!args.quiet) {
    options.on_event = LiveOutputToStderr();
  }
  Result<CodeResult> result;
  {
    SignalCanceller canceller(options.cancel);
    result = (*executor)->ExecuteCodeBlocks(blocks, options);
  }
  [[maybe_unused]] auto stopped = (*executor)->Stop();
  if (!result) return Fail(kFailure, result.error().message());

  if (args.ndjson) {
    PrintResultAsNdjson(*result);
  } else if (args.json) {
    std::cout << CodeResultToJson(*result) << "\n";
  } else {
    std::string reply = FormatReply(*result);
    std::cout << reply << (reply.ends_with('\n') ? "" : "\n");
  }
  std::cout.flush();
  return ExitStatusOf(*result);
}

}  // namespace

void AddRunCommand(CLI::App& app, int* status) {
  auto args = std::make_shared<RunArgs>();
  auto* command = app.add_subcommand(
      "run",
      "Execute the code blocks of a message (Markdown text) and print the agent's reply. The exit "
      "status is the code's exit code.");
  command->add_option("file", args->file, "The message file, or - for standard input.")
      ->capture_default_str();
  AddExecutorFlags(command, &args->executor);
  auto* json = command->add_flag("--json", args->json, "Print every field of the result as JSON.");
  command
      ->add_flag("--ndjson", args->ndjson,
                 "Print one JSON event per line as the code runs, then one {\"type\": "
                 "\"result\", ...} line with the whole result.")
      ->excludes(json);
  AddQuietFlag(command, &args->quiet);
  command->callback([args, status] { *status = Run(*args); });
}

}  // namespace codeexec::cli
