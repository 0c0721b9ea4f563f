#include "mcp/tools.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "codeexec/reply.h"
#include "core/utf8.h"
#include "service/codec.h"

namespace codeexec::mcp {
namespace {

using nlohmann::json;

constexpr ExecutionStatus kStatuses[] = {ExecutionStatus::kOk,
                                         ExecutionStatus::kError,
                                         ExecutionStatus::kTimeout,
                                         ExecutionStatus::kCancelled,
                                         ExecutionStatus::kMemoryLimit,
                                         ExecutionStatus::kOutputLimit,
                                         ExecutionStatus::kSetupError,
                                         ExecutionStatus::kProcessLimit,
                                         ExecutionStatus::kPolicyViolation};

json StatusSchema() {
  json names = json::array();
  for (ExecutionStatus status : kStatuses) names.push_back(ToString(status));
  return {{"type", "string"}, {"enum", names}};
}

json Object(json properties, json required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

// Output schemas stay open (no additionalProperties: false): a newer server may add fields.
json OpenObject(json properties, json required) {
  return {
      {"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

const json kString = {{"type", "string"}};
const json kStrings = {{"type", "array"}, {"items", {{"type", "string"}}}};

std::string Bytes(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

std::string Isolation(const ExecutorFacts& facts) {
  if (facts.name == "sandbox") {
    return "an isolated sandbox on the server (its own namespaces, a read-only system, no "
           "network unless the operator allowed it)";
  }
  if (facts.name == "docker") return "a Docker container on the server";
  if (facts.name == "jupyter") {
    return facts.isolated ? "a Jupyter kernel inside the sandbox"
                          : "a Jupyter kernel on the server's host, NOT isolated from it";
  }
  if (facts.name == "local") return "plain processes on the server's host, NOT isolated from it";
  return fmt::format("the '{}' executor{}", facts.name, facts.isolated ? "" : ", not isolated");
}

std::string RunCodeDescription(const ExecutorFacts& facts) {
  std::string state =
      facts.stateful
          ? "State persists between calls: variables, imports and functions defined in one call "
            "are there in the next (Python runs in one kernel), until `restart`. Files persist too."
          : "Each call starts new processes, so variables do not persist between calls; files "
            "do, so keep state in files (or pass it through them).";
  std::string output = facts.output_limit_bytes
                           ? fmt::format(" Output past {} is cut (a note says so).",
                                         Bytes(*facts.output_limit_bytes))
                           : "";
  return fmt::format(
      "Run code and get back what it printed, its exit code, and the images it produced. The "
      "code runs in {} (codeexec's '{}' executor). Languages: {} (`list_languages` tells their "
      "aliases). The current directory is this session's work folder; `write_file`, `read_file` "
      "and `list_files` work on the same folder. {} Each call may run for at most {} s (ask for "
      "less with `timeout`); a call past its time is killed and keeps the output so far.{} "
      "Images (.png, .jpg, .gif, .webp) the code writes in the work folder, and plots a kernel "
      "displays, come back as images. A call whose code fails (non-zero exit, exception, "
      "timeout) is an error result that still carries the output.",
      Isolation(facts), facts.name, fmt::join(facts.languages, ", "), state,
      facts.max_timeout_seconds, output);
}

json RunCodeTool(const ExecutorFacts& facts) {
  json input = Object(
      {{"language",
        {{"type", "string"},
         {"minLength", 1},
         {"description", fmt::format("The language of `code`: {} (or an alias, e.g. py, sh, js).",
                                     fmt::join(facts.languages, ", "))}}},
       {"code", {{"type", "string"}, {"description", "The source code to run, as a whole file."}}},
       {"timeout",
        {{"type", "number"},
         {"minimum", 1},
         {"maximum", facts.max_timeout_seconds},
         {"description", fmt::format("Seconds the code may run (1 to {}; default {}).",
                                     facts.max_timeout_seconds, facts.max_timeout_seconds)}}}},
      {"language", "code"});
  json block = OpenObject({{"language", kString},
                           {"code_file", {{"type", {"string", "null"}}}},
                           {"exit_code", {{"type", "integer"}}},
                           {"status", StatusSchema()},
                           {"stdout", kString},
                           {"stderr", kString},
                           {"output_files", kStrings},
                           {"duration_ms", {{"type", "number"}}}},
                          {"language", "exit_code", "status", "stdout", "stderr"});
  json output = OpenObject(
      {{"exit_code", {{"type", "integer"}, {"description", "0 when every block succeeded"}}},
       {"status", StatusSchema()},
       {"executor", kString},
       {"output", {{"type", "string"}, {"description", "stdout and stderr as they interleaved"}}},
       {"truncated", {{"type", "boolean"}}},
       {"duration_ms", {{"type", "number"}}},
       {"cpu_time_ms", {{"type", "number"}}},
       {"peak_memory_bytes", {{"type", "integer"}}},
       {"code_file", {{"type", {"string", "null"}}}},
       {"output_files", kStrings},
       {"images", kStrings},
       {"blocks", {{"type", "array"}, {"items", block}}}},
      {"exit_code", "status", "executor", "output", "blocks"});
  return {
      {"name", "run_code"},
      {"title", "Run code"},
      {"description", RunCodeDescription(facts)},
      {"inputSchema", std::move(input)},
      {"outputSchema", std::move(output)},
      {"annotations", {{"title", "Run code"}, {"readOnlyHint", false}, {"openWorldHint", false}}}};
}

json ListLanguagesTool(const ExecutorFacts& facts) {
  json language =
      OpenObject({{"name", kString}, {"aliases", kStrings}, {"runs", {{"type", "boolean"}}}},
                 {"name", "aliases", "runs"});
  return {{"name", "list_languages"},
          {"title", "List languages"},
          {"description",
           fmt::format("List the languages `run_code` takes on this server ('{}' executor), with "
                       "their aliases.",
                       facts.name)},
          {"inputSchema", Object(json::object(), json::array())},
          {"outputSchema", OpenObject({{"executor", kString},
                                       {"languages", {{"type", "array"}, {"items", language}}}},
                                      {"executor", "languages"})},
          {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

const json kPathArgument = {
    {"type", "string"},
    {"minLength", 1},
    {"description",
     "A path relative to the work folder (the code's current directory), e.g. data/input.csv. "
     "Absolute paths and paths that leave the folder are refused."}};

json WriteFileTool() {
  return {
      {"name", "write_file"},
      {"title", "Write a file"},
      {"description",
       "Write a file in this session's work folder (the current directory of `run_code`), "
       "replacing it if it exists; missing folders are created. Use it to give the code input "
       "data or a module to import. The folder has a size limit."},
      {"inputSchema",
       Object(
           {{"path", kPathArgument},
            {"content", {{"type", "string"}, {"description", "The file's content."}}},
            {"encoding",
             {{"type", "string"},
              {"enum", {"utf8", "base64"}},
              {"description", "How `content` is written: utf8 text (default) or base64 bytes."}}}},
           {"path", "content"})},
      {"outputSchema",
       OpenObject({{"path", kString}, {"bytes", {{"type", "integer"}}}}, {"path", "bytes"})},
      {"annotations",
       {{"readOnlyHint", false}, {"destructiveHint", true}, {"openWorldHint", false}}}};
}

json ReadFileTool() {
  return {
      {"name", "read_file"},
      {"title", "Read a file"},
      {"description",
       "Read a file from this session's work folder (for example one the code wrote). Text comes "
       "back as text, images as images, other bytes as base64."},
      {"inputSchema", Object({{"path", kPathArgument}}, {"path"})},
      {"outputSchema", OpenObject({{"path", kString},
                                   {"size", {{"type", "integer"}}},
                                   {"encoding", {{"type", "string"}, {"enum", {"utf8", "base64"}}}},
                                   {"content", kString}},
                                  {"path", "size", "encoding", "content"})},
      {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

json ListFilesTool() {
  json entry =
      OpenObject({{"path", kString},
                  {"type", {{"type", "string"}, {"enum", {"file", "folder", "link", "other"}}}},
                  {"size", {{"type", "integer"}}},
                  {"modified", kString}},
                 {"path", "type", "size"});
  json path = kPathArgument;
  path["description"] = "A folder relative to the work folder; the whole folder when left out.";
  return {{"name", "list_files"},
          {"title", "List files"},
          {"description",
           "List the files in this session's work folder (or a folder in it), with their sizes, "
           "depth first."},
          {"inputSchema", Object({{"path", path}}, json::array())},
          {"outputSchema", OpenObject({{"path", kString},
                                       {"entries", {{"type", "array"}, {"items", entry}}},
                                       {"truncated", {{"type", "boolean"}}}},
                                      {"path", "entries", "truncated"})},
          {"annotations", {{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

json RestartTool(const ExecutorFacts& facts) {
  return {{"name", "restart"},
          {"title", "Restart the executor"},
          {"description",
           facts.stateful
               ? "Restart this session's kernel: every variable, import and function is "
                 "forgotten, a running call is stopped; the files in the work folder stay."
               : "Restart this session's executor, stopping a running call; the files in the "
                 "work folder stay."},
          {"inputSchema", Object(json::object(), json::array())},
          {"outputSchema", OpenObject({{"restarted", {{"type", "boolean"}}}}, {"restarted"})},
          {"annotations",
           {{"readOnlyHint", false}, {"destructiveHint", true}, {"openWorldHint", false}}}};
}

json TextItem(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

json Result(json content, json structured, bool is_error, bool with_structured) {
  json result = {{"content", std::move(content)}, {"isError", is_error}};
  if (with_structured) result["structuredContent"] = std::move(structured);
  return result;
}

bool IsUtf8(std::string_view bytes) { return ValidUtf8Prefix(bytes) == bytes.size(); }

}  // namespace

ExecutorFacts DescribeExecutor(const service::Service& service) {
  ExecutorFacts facts;
  facts.name = service.policy().default_executor();
  for (const json& executor : service.Executors()) {
    if (executor.value("name", "") != facts.name) continue;
    facts.isolated = executor.value("isolated", true);
    facts.stateful = executor.value("stateful", false);
    const json& limits = executor["limits"];
    if (limits.contains("timeout") && limits["timeout"].is_number()) {
      facts.max_timeout_seconds = limits["timeout"].get<double>();
    }
    if (limits.contains("output_limit") && limits["output_limit"].is_number()) {
      facts.output_limit_bytes = limits["output_limit"].get<uint64_t>();
    }
  }
  if (facts.name == "jupyter") {
    facts.languages = {"python", "bash", "sh"};
  } else {
    for (const json& language : service.Languages()) {
      if (language.value("policy", "") == "run" && language.value("available", false)) {
        facts.languages.push_back(language["name"].get<std::string>());
      }
    }
  }
  return facts;
}

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> kVersions = {"2025-06-18", "2025-03-26", "2024-11-05"};
  return kVersions;
}

bool HasStructuredContent(std::string_view version) { return version >= "2025-06-18"; }

ToolCatalog::ToolCatalog(ExecutorFacts facts) : facts_(std::move(facts)) {
  tools_ = json::array({RunCodeTool(facts_), ListLanguagesTool(facts_), WriteFileTool(),
                        ReadFileTool(), ListFilesTool(), RestartTool(facts_)});
}

json ToolCatalog::List(std::string_view version) const {
  if (HasStructuredContent(version)) return tools_;
  json tools = tools_;
  for (json& tool : tools) {
    tool.erase("title");
    tool.erase("outputSchema");
  }
  return tools;
}

const json* ToolCatalog::Find(std::string_view name) const {
  for (const json& tool : tools_) {
    if (tool["name"] == name) return &tool;
  }
  return nullptr;
}

std::string_view ImageMimeType(std::string_view path) {
  std::string lower(path);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.ends_with(".png")) return "image/png";
  if (lower.ends_with(".jpg") || lower.ends_with(".jpeg")) return "image/jpeg";
  if (lower.ends_with(".gif")) return "image/gif";
  if (lower.ends_with(".webp")) return "image/webp";
  return "";
}

json ErrorResult(std::string_view message) {
  return {{"content", json::array({TextItem(message)})}, {"isError", true}};
}

json RunCodeResult(const service::ExecuteOutcome& outcome, const std::vector<ImageFile>& images,
                   std::string_view notice, bool structured) {
  std::string text = notice.empty() ? "" : std::string(notice) + "\n";
  text += FormatReply(outcome.result);
  json content = json::array({TextItem(text)});
  json paths = json::array();
  for (const ImageFile& image : images) {
    content.push_back({{"type", "image"},
                       {"data", service::EncodeBase64(image.bytes)},
                       {"mimeType", image.mime}});
    paths.push_back(image.path);
  }
  json result = outcome.ToJson();
  // The output is in the text already, and in the blocks' stdout and stderr: not three times more.
  result.erase("stdout");
  result.erase("stderr");
  for (json& block : result["blocks"]) block.erase("output");
  result["images"] = std::move(paths);
  return Result(std::move(content), std::move(result),
                outcome.result.exit_code != 0 || outcome.result.status != ExecutionStatus::kOk,
                structured);
}

json LanguagesResult(const ExecutorFacts& facts, const json& languages, bool structured) {
  json list = json::array();
  std::string text = fmt::format("Languages of the '{}' executor:\n", facts.name);
  for (const json& language : languages) {
    std::string name = language["name"];
    bool runs =
        std::find(facts.languages.begin(), facts.languages.end(), name) != facts.languages.end();
    if (facts.name == "jupyter" && !runs) continue;
    list.push_back({{"name", name}, {"aliases", language["aliases"]}, {"runs", runs}});
    text += fmt::format(
        "- {}{}{}\n", name,
        language["aliases"].empty()
            ? ""
            : fmt::format(" (aliases: {})",
                          fmt::join(language["aliases"].get<std::vector<std::string>>(), ", ")),
        runs ? "" : ": not available here");
  }
  return Result(json::array({TextItem(text)}),
                {{"executor", facts.name}, {"languages", std::move(list)}}, false, structured);
}

json WriteFileResult(std::string_view path, std::size_t bytes, bool structured) {
  return Result(json::array({TextItem(fmt::format("Wrote {} bytes to {}", bytes, path))}),
                {{"path", path}, {"bytes", bytes}}, false, structured);
}

json ReadFileResult(std::string_view path, const std::string& bytes, bool structured) {
  bool text = IsUtf8(bytes);
  std::string encoded = text ? bytes : service::EncodeBase64(bytes);
  json content = json::array();
  std::string_view mime = ImageMimeType(path);
  if (!text && !mime.empty()) {
    content.push_back(TextItem(fmt::format("{} ({} bytes, {}):", path, bytes.size(), mime)));
    content.push_back({{"type", "image"}, {"data", encoded}, {"mimeType", mime}});
  } else if (text) {
    content.push_back(TextItem(bytes));
  } else {
    content.push_back(TextItem(fmt::format("{} holds {} bytes that are not UTF-8 text; base64:\n{}",
                                           path, bytes.size(), encoded)));
  }
  return Result(std::move(content),
                {{"path", path},
                 {"size", bytes.size()},
                 {"encoding", text ? "utf8" : "base64"},
                 {"content", std::move(encoded)}},
                false, structured);
}

json ListFilesResult(const json& listing, bool structured) {
  std::string text;
  for (const json& entry : listing["entries"]) {
    std::string type = entry["type"];
    text += type == "folder" ? fmt::format("{}/\n", entry["path"].get<std::string>())
                             : fmt::format("{}  ({}, {} bytes)\n", entry["path"].get<std::string>(),
                                           type, entry["size"].get<uint64_t>());
  }
  if (text.empty()) text = fmt::format("{} is empty\n", listing["path"].get<std::string>());
  if (listing.value("truncated", false)) text += "(more entries not listed)\n";
  return Result(json::array({TextItem(text)}), listing, false, structured);
}

json RestartResult(std::string_view message, bool structured) {
  return Result(json::array({TextItem(message)}), {{"restarted", true}}, false, structured);
}

}  // namespace codeexec::mcp
