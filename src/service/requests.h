// What clients ask the service for, parsed from JSON with every field's type checked, so that a
// wrong request gets a message naming the field and what it should be (kBadRequest), never an
// exception or a surprise later. Shared by the HTTP API and the MCP tools.
//
// An execution: the code as {"language", "code"}, {"blocks": [{"language", "code"}, ...]} or
// {"message": "markdown with fenced blocks"} (exactly one form); optional "timeout" (seconds),
// "files" ([{"path", "content", "encoding": "utf8"|"base64"}]) to place in the work folder first,
// "fetch" (paths to return after), "stdin" and "args"; for one-shot executions also "executor"
// and "config" (limits to lower). Unknown fields are refused (a misspelt "timeout" must not be
// ignored silently).
#ifndef CODEEXEC_SRC_SERVICE_REQUESTS_H_
#define CODEEXEC_SRC_SERVICE_REQUESTS_H_

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/types.h"
#include "service/files.h"
#include "service/service_error.h"

namespace codeexec::service {

struct ExecuteRequest {
  std::vector<CodeBlock> blocks;
  std::string executor;                   // one-shot only; empty: the default
  nlohmann::json config = nullptr;        // one-shot only: limits to lower; null: none
  std::optional<double> timeout_seconds;  // per block; unset: the executor's
  std::vector<FileUpload> files;          // placed in the work folder first
  std::vector<std::string> fetch;         // returned after the run
  std::optional<std::string> standard_input;
  std::vector<std::string> args;
};

struct SessionRequest {
  std::string executor;             // empty: the default
  nlohmann::json config = nullptr;  // limits to lower; null: none
  std::optional<double> idle_timeout_seconds;
};

// Caps on what one request may carry (besides the body size).
inline constexpr std::size_t kMaxBlocks = 256;
inline constexpr std::size_t kMaxFiles = 1024;
inline constexpr std::size_t kMaxFetch = 256;
inline constexpr std::size_t kMaxArgs = 256;

// Parses JSON text; `for_session` refuses "executor" and "config" (a session's executor is
// chosen when it is created).
ServiceResult<ExecuteRequest> ParseExecuteRequest(std::string_view body, bool for_session);
ServiceResult<ExecuteRequest> ParseExecuteRequestValue(const nlohmann::json& body,
                                                       bool for_session);
ServiceResult<SessionRequest> ParseSessionRequest(std::string_view body);

// `text` as a JSON value; kBadRequest with the parser's position otherwise.
ServiceResult<nlohmann::json> ParseJsonBody(std::string_view text);

// A file's content in one of the encodings clients send it in ("utf8", "base64"; "hex" when
// `allow_hex`, as Piston does). `field` names it in the message.
ServiceResult<std::string> DecodeContent(const std::string& content, std::string_view encoding,
                                         std::string_view field, bool allow_hex);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_REQUESTS_H_
