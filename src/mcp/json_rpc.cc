#include "mcp/json_rpc.h"

#include <fmt/format.h>

namespace codeexec::mcp {
namespace {

using nlohmann::json;

tl::unexpected<Rejection> Reject(int code, std::string message, json id = nullptr) {
  return tl::unexpected(Rejection{{code, std::move(message)}, std::move(id)});
}

bool IsValidId(const json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

tl::expected<Message, Rejection> ParseMessage(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Parse again for the parser's own words (where and what), which only its exception has.
    try {
      value = json::parse(text);
    } catch (const json::parse_error& e) {
      return Reject(kParseError,
                    fmt::format("Parse error: the message is not JSON ({})", e.what()));
    }
  }
  return ParseMessageValue(value);
}

tl::expected<Message, Rejection> ParseMessageValue(const json& value) {
  if (value.is_array()) {
    return Reject(kInvalidRequest,
                  "Invalid Request: JSON-RPC batches are not supported (MCP removed them in "
                  "2025-06-18); send one message at a time");
  }
  if (!value.is_object()) return Reject(kInvalidRequest, "Invalid Request: not a JSON object");
  json id = nullptr;
  bool has_id = value.contains("id");
  if (has_id) {
    id = value["id"];
    if (!IsValidId(id)) {
      return Reject(kInvalidRequest,
                    "Invalid Request: 'id' must be a string or an integer (MCP forbids null)");
    }
  }
  auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0") {
    return Reject(kInvalidRequest, "Invalid Request: 'jsonrpc' must be \"2.0\"", id);
  }
  Message message;
  message.id = id;
  auto method = value.find("method");
  if (method == value.end()) {
    if (has_id && (value.contains("result") || value.contains("error"))) {
      message.kind = Message::Kind::kResponse;
      return message;
    }
    return Reject(kInvalidRequest, "Invalid Request: no 'method'", id);
  }
  if (!method->is_string()) {
    return Reject(kInvalidRequest, "Invalid Request: 'method' must be a string", id);
  }
  message.method = method->get<std::string>();
  message.kind = has_id ? Message::Kind::kRequest : Message::Kind::kNotification;
  auto params = value.find("params");
  if (params != value.end() && !params->is_null()) {
    if (!params->is_object()) {
      return Reject(kInvalidRequest, "Invalid Request: 'params' must be an object", id);
    }
    message.params = *params;
  }
  return message;
}

json ResultResponse(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json ErrorResponse(const json& id, const RpcError& error) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", error.code}, {"message", error.message}}}};
}

json Notification(std::string_view method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::string Serialize(const json& message) {
  // dump() escapes control characters, so the text never holds a raw newline.
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace codeexec::mcp
