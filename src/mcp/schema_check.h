// The subset of JSON Schema (2020-12) that codeexec's tool schemas use, checked against a value:
// "type" (a name or a list), "properties", "required", "additionalProperties": false, "items",
// "enum", "minimum", "maximum", "minLength". The tools' input schemas are published in tools/list
// and checked here with the same text, so that what a client is told and what is enforced cannot
// drift apart; the tests check the tools' results against their output schemas the same way.
#ifndef CODEEXEC_SRC_MCP_SCHEMA_CHECK_H_
#define CODEEXEC_SRC_MCP_SCHEMA_CHECK_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace codeexec::mcp {

// Why `value` does not fit `schema`, naming the place ("'timeout' must be a number"), or nullopt
// when it fits. `where` names the value itself in messages.
std::optional<std::string> CheckSchema(const nlohmann::json& schema, const nlohmann::json& value,
                                       std::string_view where = "");

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_SCHEMA_CHECK_H_
