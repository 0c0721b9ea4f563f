// JSON-RPC 2.0 as MCP uses it (specification revision 2025-06-18, "Base Protocol"): one message
// is a request {jsonrpc, id, method, params?}, a notification (no id) or a response {jsonrpc, id,
// result|error}. Ids are strings or integers, never null; params, when present, are an object.
// Batches (JSON arrays) were removed in 2025-06-18 and are refused here.
//
// Parsing never throws: a message that cannot be handled becomes a Rejection carrying the error
// to answer with (-32700 for text that is not JSON, -32600 for JSON that is not a message) and
// the id to answer to when the message had a usable one.
#ifndef CODEEXEC_SRC_MCP_JSON_RPC_H_
#define CODEEXEC_SRC_MCP_JSON_RPC_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace codeexec::mcp {

// JSON-RPC 2.0's error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

struct RpcError {
  int code = kInternalError;
  std::string message;
};

struct Message {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kRequest;
  nlohmann::json id;  // requests and responses: a string or an integer
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // absent params become {}
};

struct Rejection {
  RpcError error;
  nlohmann::json id = nullptr;  // null when the message had no usable id
};

tl::expected<Message, Rejection> ParseMessage(std::string_view text);
tl::expected<Message, Rejection> ParseMessageValue(const nlohmann::json& value);

nlohmann::json ResultResponse(const nlohmann::json& id, nlohmann::json result);
nlohmann::json ErrorResponse(const nlohmann::json& id, const RpcError& error);
nlohmann::json Notification(std::string_view method, nlohmann::json params);

// The message as one line of JSON (no newline in it: stdio's framing), invalid UTF-8 in strings
// replaced rather than thrown on.
std::string Serialize(const nlohmann::json& message);

// A request id as a map key that keeps 1 and "1" apart.
inline std::string IdKey(const nlohmann::json& id) { return id.dump(); }

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_JSON_RPC_H_
