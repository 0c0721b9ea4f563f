#include "codeexec/reply.h"

#include <nlohmann/json.hpp>

#include "core/result_json.h"

namespace codeexec {

std::string FormatReply(const CodeResult& result) {
  std::string reply = "exitcode: " + std::to_string(result.exit_code);
  reply += result.exit_code == 0 ? " (execution succeeded)" : " (execution failed)";
  reply += "\nCode output: ";
  reply += result.output;
  return reply;
}

namespace {

double Milliseconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

nlohmann::json Paths(const std::vector<std::filesystem::path>& paths) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& path : paths) list.push_back(path.string());
  return list;
}

nlohmann::json BlockToJson(const BlockResult& block) {
  return {
      {"language", block.language},
      {"code_file", block.code_file ? nlohmann::json(block.code_file->string()) : nullptr},
      {"exit_code", block.exit_code},
      {"status", std::string(ToString(block.status))},
      {"output", block.output},
      {"stdout", block.stdout_text},
      {"stderr", block.stderr_text},
      {"output_files", Paths(block.output_files)},
      {"duration_ms", Milliseconds(block.duration)},
  };
}

}  // namespace

nlohmann::json CodeResultToJsonValue(const CodeResult& result) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& block : result.blocks) blocks.push_back(BlockToJson(block));
  return {
      {"exit_code", result.exit_code},
      {"status", std::string(ToString(result.status))},
      {"output", result.output},
      {"stdout", result.stdout_text},
      {"stderr", result.stderr_text},
      {"code_file", result.code_file ? nlohmann::json(result.code_file->string()) : nullptr},
      {"output_files", Paths(result.output_files)},
      {"duration_ms", Milliseconds(result.duration)},
      {"truncated", result.truncated},
      {"peak_memory_bytes", result.peak_memory_bytes},
      {"cpu_time_ms", Milliseconds(result.cpu_time)},
      {"blocks", blocks},
  };
}

std::string CodeResultToJson(const CodeResult& result, int indent) {
  // Paths may hold bytes that are not UTF-8; replace them rather than throw.
  return CodeResultToJsonValue(result).dump(indent, ' ', false,
                                            nlohmann::json::error_handler_t::replace);
}

}  // namespace codeexec
