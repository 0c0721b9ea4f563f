// The MCP tools codeexec offers (run_code, list_languages, write_file, read_file, list_files,
// restart): their definitions as tools/list publishes them (name, title, a description written
// for the model that calls them, inputSchema, outputSchema) and the CallToolResult each one
// answers with. What the tools do with the service is in McpSession; this file is the contract.
//
// The descriptions tell a model what it cannot see: which executor runs its code and how well it
// is isolated, that the work folder is the current directory and persists, whether variables
// persist (a kernel) or only files do, and the limits (the longest timeout, the output kept).
#ifndef CODEEXEC_SRC_MCP_TOOLS_H_
#define CODEEXEC_SRC_MCP_TOOLS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/service.h"

namespace codeexec::mcp {

// What the tools' descriptions say about the executor behind them.
struct ExecutorFacts {
  std::string name;  // "sandbox", "jupyter", ...
  bool isolated = true;
  bool stateful = false;  // variables persist between calls (a kernel)
  double max_timeout_seconds = 60;
  std::optional<uint64_t> output_limit_bytes;
  std::vector<std::string> languages;  // the languages that run here, by name
};

// The facts of `service`'s default executor (the one MCP sessions use).
ExecutorFacts DescribeExecutor(const service::Service& service);

// The protocol revisions this server speaks, newest first; the first is the one it prefers.
const std::vector<std::string>& SupportedProtocolVersions();
// Whether `version` has tools' structuredContent and outputSchema (2025-06-18 and later).
bool HasStructuredContent(std::string_view version);

class ToolCatalog {
 public:
  explicit ToolCatalog(ExecutorFacts facts);

  // tools/list's `tools` for a session of protocol `version` (older revisions get no title or
  // outputSchema, which they do not know).
  nlohmann::json List(std::string_view version) const;
  // The definition of the tool `name`, or null.
  const nlohmann::json* Find(std::string_view name) const;
  const ExecutorFacts& facts() const { return facts_; }

 private:
  ExecutorFacts facts_;
  nlohmann::json tools_;  // array of definitions
};

// An image for the model: its bytes and MIME type, and where it came from.
struct ImageFile {
  std::string path;  // relative to the work folder
  std::string mime;
  std::string bytes;
};

// The image MIME type for a file name ("image/png" for .png, ...), or "" when it is not an image
// type MCP clients show.
std::string_view ImageMimeType(std::string_view path);

// CallToolResult builders. `structured` false leaves structuredContent out (older revisions).
// A tool's failure as the model reads it: one text item and isError.
nlohmann::json ErrorResult(std::string_view message);
// run_code: the agent reply text (codeexec's "exitcode: N (...)\nCode output: ..."), the result
// without its repeated output (structuredContent), the images; isError unless every block
// succeeded. `notice` (when not empty) goes before the reply text.
nlohmann::json RunCodeResult(const service::ExecuteOutcome& outcome,
                             const std::vector<ImageFile>& images, std::string_view notice,
                             bool structured);
nlohmann::json LanguagesResult(const ExecutorFacts& facts, const nlohmann::json& languages,
                               bool structured);
nlohmann::json WriteFileResult(std::string_view path, std::size_t bytes, bool structured);
// read_file: text when the file is UTF-8, an image item for images, base64 otherwise.
nlohmann::json ReadFileResult(std::string_view path, const std::string& bytes, bool structured);
// list_files: ListFolder's listing (files.h) as lines and as structuredContent.
nlohmann::json ListFilesResult(const nlohmann::json& listing, bool structured);
nlohmann::json RestartResult(std::string_view message, bool structured);

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_TOOLS_H_
