#include "codeexec/events.h"

#include <nlohmann/json.hpp>

#include "core/result_json.h"

namespace codeexec {

std::string_view ToString(ExecutionEvent::Type type) {
  switch (type) {
    case ExecutionEvent::Type::kBlockStart:
      return "block_start";
    case ExecutionEvent::Type::kStdout:
      return "stdout";
    case ExecutionEvent::Type::kStderr:
      return "stderr";
    case ExecutionEvent::Type::kNote:
      return "note";
    case ExecutionEvent::Type::kFile:
      return "file";
    case ExecutionEvent::Type::kBlockEnd:
      return "block_end";
  }
  return "unknown";
}

nlohmann::json EventToJsonValue(const ExecutionEvent& event) {
  nlohmann::json json = {{"type", std::string(ToString(event.type))}, {"block", event.block}};
  switch (event.type) {
    case ExecutionEvent::Type::kBlockStart:
      json["language"] = event.language;
      json["code_file"] =
          event.code_file ? nlohmann::json(event.code_file->string()) : nlohmann::json(nullptr);
      break;
    case ExecutionEvent::Type::kStdout:
    case ExecutionEvent::Type::kStderr:
    case ExecutionEvent::Type::kNote:
      json["text"] = event.text;
      break;
    case ExecutionEvent::Type::kFile:
      json["path"] = event.path.string();
      json["mime"] = event.mime;
      break;
    case ExecutionEvent::Type::kBlockEnd:
      json["exit_code"] = event.exit_code;
      json["status"] = std::string(ToString(event.status));
      json["duration_ms"] = std::chrono::duration<double, std::milli>(event.duration).count();
      break;
  }
  return json;
}

std::string EventToJson(const ExecutionEvent& event) {
  // Paths may hold bytes that are not UTF-8; replace them rather than throw.
  return EventToJsonValue(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace codeexec
