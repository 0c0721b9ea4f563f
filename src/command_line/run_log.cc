#include "command_line/run_log.h"

#include <fcntl.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

namespace codeexec {
namespace {

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof(text) - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

}  // namespace

Result<RunLog> RunLog::Open(const ConfinedFolder& folder, std::string_view name) {
  auto fd = folder.OpenForAppend(name);
  if (!fd) return MakeError(fd.error().code(), "cannot open the run log: " + fd.error().message());
  return RunLog(&folder, std::string(name));
}

void RunLog::Append(const RunRecord& record) const {
  if (folder_ == nullptr) return;
  nlohmann::json line = {
      {"time", UtcNow()},
      {"language", record.language},
      {"file", record.file.string()},
      {"exit_code", record.exit_code},
      {"duration_ms", std::chrono::duration<double, std::milli>(record.duration).count()},
      {"status", ToString(record.status)},
  };
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // Best effort: a full disk must not fail the user's code.
  auto fd = folder_->OpenForAppend(name_);
  if (fd) [[maybe_unused]]
    ssize_t n = write(fd->get(), text.data(), text.size());
}

}  // namespace codeexec
