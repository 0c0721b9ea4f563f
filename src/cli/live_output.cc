#include "cli/live_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/result_json.h"

namespace codeexec::cli {
namespace {

// write(2) whole: no stdio buffer between the code's output and the reader.
void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed pipe: nobody is reading
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

EventSink LiveOutputToStderr() {
  return [](const ExecutionEvent& event) {
    if (event.type == ExecutionEvent::Type::kStdout ||
        event.type == ExecutionEvent::Type::kStderr || event.type == ExecutionEvent::Type::kNote) {
      WriteAll(STDERR_FILENO, event.text);
    }
  };
}

void AddQuietFlag(CLI::App* command, bool* quiet) {
  command->add_flag("-q,--quiet", *quiet, "Do not show the code's output on stderr while it runs.");
}

EventSink EventsAsNdjson() {
  return [](const ExecutionEvent& event) {
    std::fflush(stdout);
    WriteAll(STDOUT_FILENO, EventToJson(event) + "\n");
  };
}

void PrintResultAsNdjson(const CodeResult& result) {
  nlohmann::json line = CodeResultToJsonValue(result);
  line["type"] = "result";
  std::fflush(stdout);
  WriteAll(STDOUT_FILENO,
           line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

int ExitStatusOf(const CodeResult& result) {
  int code = result.exit_code;
  return code >= 0 && code <= 255 ? code : 1;
}

}  // namespace codeexec::cli
