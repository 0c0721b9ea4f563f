#include "service/requests.h"

#include <fmt/format.h>

#include <set>

#include "codeexec/extractor.h"
#include "service/codec.h"

namespace codeexec::service {
namespace {

using nlohmann::json;

tl::unexpected<ServiceError> Bad(std::string message) {
  return Refuse(ServiceErrorKind::kBadRequest, std::move(message));
}

// The field's string value; kBadRequest unless it is a string.
ServiceResult<std::string> StringField(const json& value, std::string_view field) {
  if (!value.is_string()) {
    return Bad(fmt::format("'{}' must be a string, got {}", field, value.type_name()));
  }
  return value.get<std::string>();
}

ServiceResult<std::vector<std::string>> StringList(const json& value, std::string_view field,
                                                   std::size_t max) {
  if (!value.is_array()) {
    return Bad(fmt::format("'{}' must be an array of strings, got {}", field, value.type_name()));
  }
  if (value.size() > max) return Bad(fmt::format("'{}' may hold at most {} items", field, max));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto item = StringField(value[i], fmt::format("{}[{}]", field, i));
    if (!item) return tl::unexpected(item.error());
    out.push_back(std::move(*item));
  }
  return out;
}

ServiceResult<double> Seconds(const json& value, std::string_view field) {
  if (!value.is_number()) {
    return Bad(fmt::format("'{}' must be a number of seconds, got {}", field, value.type_name()));
  }
  return value.get<double>();
}

ServiceResult<CodeBlock> Block(const json& value, std::string_view field) {
  if (!value.is_object()) {
    return Bad(fmt::format("'{}' must be an object {{\"language\", \"code\"}}", field));
  }
  for (const auto& [key, _] : value.items()) {
    if (key != "language" && key != "code") {
      return Bad(fmt::format("'{}': unknown field '{}' (known: language, code)", field, key));
    }
  }
  if (!value.contains("language") || !value.contains("code")) {
    return Bad(fmt::format("'{}' needs both 'language' and 'code'", field));
  }
  auto language = StringField(value["language"], std::string(field) + ".language");
  if (!language) return tl::unexpected(language.error());
  auto code = StringField(value["code"], std::string(field) + ".code");
  if (!code) return tl::unexpected(code.error());
  return CodeBlock{std::move(*language), std::move(*code)};
}

ServiceResult<std::vector<CodeBlock>> Blocks(const json& body) {
  int forms = body.contains("code") + body.contains("blocks") + body.contains("message");
  if (forms != 1) {
    return Bad(
        "give the code in exactly one way: {\"language\", \"code\"}, "
        "{\"blocks\": [{\"language\", \"code\"}]} or {\"message\": \"markdown\"}");
  }
  if (body.contains("code")) {
    if (!body.contains("language")) return Bad("'code' needs a 'language'");
    auto block = Block({{"language", body["language"]}, {"code", body["code"]}}, "request");
    if (!block) return tl::unexpected(block.error());
    return std::vector<CodeBlock>{std::move(*block)};
  }
  if (body.contains("language")) return Bad("'language' goes with 'code' (or in each block)");
  if (body.contains("message")) {
    auto message = StringField(body["message"], "message");
    if (!message) return tl::unexpected(message.error());
    auto blocks = MarkdownCodeExtractor().ExtractCodeBlocks(*message);
    if (blocks.empty()) {
      return Bad("'message' has no code block: put the code in a fence, ```python ... ```");
    }
    if (blocks.size() > kMaxBlocks) return Bad(fmt::format("at most {} blocks", kMaxBlocks));
    return blocks;
  }
  const json& list = body["blocks"];
  if (!list.is_array() || list.empty()) return Bad("'blocks' must be a non-empty array");
  if (list.size() > kMaxBlocks) return Bad(fmt::format("'blocks' may hold at most {}", kMaxBlocks));
  std::vector<CodeBlock> blocks;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto block = Block(list[i], fmt::format("blocks[{}]", i));
    if (!block) return tl::unexpected(block.error());
    blocks.push_back(std::move(*block));
  }
  return blocks;
}

ServiceResult<std::vector<FileUpload>> Files(const json& value) {
  if (!value.is_array()) return Bad("'files' must be an array of {path, content, encoding}");
  if (value.size() > kMaxFiles) return Bad(fmt::format("'files' may hold at most {}", kMaxFiles));
  std::vector<FileUpload> files;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string field = fmt::format("files[{}]", i);
    const json& file = value[i];
    if (!file.is_object()) return Bad(fmt::format("'{}' must be an object", field));
    for (const auto& [key, _] : file.items()) {
      if (key != "path" && key != "content" && key != "encoding") {
        return Bad(
            fmt::format("'{}': unknown field '{}' (known: path, content, encoding)", field, key));
      }
    }
    if (!file.contains("path") || !file.contains("content")) {
      return Bad(fmt::format("'{}' needs 'path' and 'content'", field));
    }
    auto path = StringField(file["path"], field + ".path");
    if (!path) return tl::unexpected(path.error());
    auto content = StringField(file["content"], field + ".content");
    if (!content) return tl::unexpected(content.error());
    std::string encoding = "utf8";
    if (file.contains("encoding")) {
      auto given = StringField(file["encoding"], field + ".encoding");
      if (!given) return tl::unexpected(given.error());
      encoding = *given;
    }
    auto bytes = DecodeContent(*content, encoding, field, false);
    if (!bytes) return tl::unexpected(bytes.error());
    files.push_back({std::move(*path), std::move(*bytes)});
  }
  return files;
}

}  // namespace

ServiceResult<json> ParseJsonBody(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return Bad(fmt::format("the body is not valid JSON: {}", e.what()));
  }
}

ServiceResult<std::string> DecodeContent(const std::string& content, std::string_view encoding,
                                         std::string_view field, bool allow_hex) {
  if (encoding == "utf8" || encoding == "utf-8") return content;
  std::optional<std::string> bytes;
  if (encoding == "base64") {
    bytes = DecodeBase64(content);
  } else if (encoding == "hex" && allow_hex) {
    bytes = DecodeHex(content);
  } else {
    return Bad(fmt::format("'{}.encoding' must be \"utf8\" or \"base64\"{}, got \"{}\"", field,
                           allow_hex ? " or \"hex\"" : "", encoding));
  }
  if (!bytes) return Bad(fmt::format("'{}.content' is not valid {}", field, encoding));
  return std::move(*bytes);
}

ServiceResult<ExecuteRequest> ParseExecuteRequest(std::string_view body, bool for_session) {
  auto parsed = ParseJsonBody(body);
  if (!parsed) return tl::unexpected(parsed.error());
  return ParseExecuteRequestValue(*parsed, for_session);
}

ServiceResult<ExecuteRequest> ParseExecuteRequestValue(const json& body, bool for_session) {
  if (!body.is_object()) return Bad("the body must be a JSON object");
  static const std::set<std::string> kKnown = {"language", "code",   "blocks",  "message",
                                               "executor", "config", "timeout", "files",
                                               "fetch",    "stdin",  "args"};
  for (const auto& [key, _] : body.items()) {
    if (!kKnown.count(key)) {
      return Bad(
          fmt::format("unknown field '{}' (known: language, code, blocks, message, "
                      "executor, config, timeout, files, fetch, stdin, args)",
                      key));
    }
    if (for_session && (key == "executor" || key == "config")) {
      return Bad(fmt::format("'{}' is chosen when the session is created, not per execution", key));
    }
  }
  ExecuteRequest request;
  auto blocks = Blocks(body);
  if (!blocks) return tl::unexpected(blocks.error());
  request.blocks = std::move(*blocks);
  if (body.contains("executor")) {
    auto executor = StringField(body["executor"], "executor");
    if (!executor) return tl::unexpected(executor.error());
    request.executor = std::move(*executor);
  }
  if (body.contains("config") && !body["config"].is_null()) {
    if (!body["config"].is_object()) return Bad("'config' must be a JSON object");
    request.config = body["config"];
  }
  if (body.contains("timeout")) {
    auto timeout = Seconds(body["timeout"], "timeout");
    if (!timeout) return tl::unexpected(timeout.error());
    request.timeout_seconds = *timeout;
  }
  if (body.contains("files")) {
    auto files = Files(body["files"]);
    if (!files) return tl::unexpected(files.error());
    request.files = std::move(*files);
  }
  if (body.contains("fetch")) {
    auto fetch = StringList(body["fetch"], "fetch", kMaxFetch);
    if (!fetch) return tl::unexpected(fetch.error());
    request.fetch = std::move(*fetch);
  }
  if (body.contains("stdin")) {
    auto input = StringField(body["stdin"], "stdin");
    if (!input) return tl::unexpected(input.error());
    request.standard_input = std::move(*input);
  }
  if (body.contains("args")) {
    auto args = StringList(body["args"], "args", kMaxArgs);
    if (!args) return tl::unexpected(args.error());
    request.args = std::move(*args);
  }
  return request;
}

ServiceResult<SessionRequest> ParseSessionRequest(std::string_view text) {
  SessionRequest request;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return request;
  auto parsed = ParseJsonBody(text);
  if (!parsed) return tl::unexpected(parsed.error());
  const json& body = *parsed;
  if (!body.is_object()) return Bad("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key == "executor") {
      auto executor = StringField(value, "executor");
      if (!executor) return tl::unexpected(executor.error());
      request.executor = std::move(*executor);
    } else if (key == "config") {
      if (!value.is_null() && !value.is_object()) return Bad("'config' must be a JSON object");
      request.config = value;
    } else if (key == "idle_timeout") {
      auto seconds = Seconds(value, "idle_timeout");
      if (!seconds) return tl::unexpected(seconds.error());
      request.idle_timeout_seconds = *seconds;
    } else {
      return Bad(fmt::format("unknown field '{}' (known: executor, config, idle_timeout)", key));
    }
  }
  return request;
}

}  // namespace codeexec::service
