// How the CLI shows the code's output while it runs: on stderr as it comes (so stdout stays the
// reply or the JSON), or as NDJSON events on stdout for programs that drive the CLI.
#ifndef CODEEXEC_SRC_CLI_LIVE_OUTPUT_H_
#define CODEEXEC_SRC_CLI_LIVE_OUTPUT_H_

#include <CLI/CLI.hpp>

#include "codeexec/events.h"
#include "codeexec/types.h"

namespace codeexec::cli {

// Writes the text of stdout, stderr and note events to stderr at once, unbuffered (a terminal
// and a pipe alike see it as it comes).
EventSink LiveOutputToStderr();

// -q/--quiet: do not show the code's output on stderr while it runs.
void AddQuietFlag(CLI::App* command, bool* quiet);

// Writes each event as one JSON line (EventToJson) to stdout and flushes it.
EventSink EventsAsNdjson();

// The last NDJSON line: {"type": "result", ...every field of CodeResultToJson...}.
void PrintResultAsNdjson(const CodeResult& result);

// The code's exit code as this process's exit status; one outside 0-255 cannot be an exit
// status and becomes 1 rather than wrap around to a false success.
int ExitStatusOf(const CodeResult& result);

}  // namespace codeexec::cli

#endif  // CODEEXEC_SRC_CLI_LIVE_OUTPUT_H_
