// Helpers for the executors' JSON configurations (their FromJson functions), so that every
// executor parses the same kinds of values the same way and words its errors alike:
//   option 'timeout': expected a number of seconds
// Internal: the public entry points are the executors' FromJson.
#ifndef CODEEXEC_SRC_CORE_JSON_OPTIONS_H_
#define CODEEXEC_SRC_CORE_JSON_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "codeexec/error.h"
#include "codeexec/languages.h"

namespace codeexec {

// kInvalidArgument "option 'KEY': WHAT".
tl::unexpected<Error> OptionError(std::string_view key, std::string_view what);

// "option 'KEY': unknown option (known: NAMES)".
tl::unexpected<Error> UnknownOption(std::string_view key, std::string_view names);

// A number of seconds (fractions allowed).
Result<std::chrono::milliseconds> SecondsOption(const nlohmann::json& value, std::string_view key);

// "run" / true or "save" / false.
Result<ExecutionPolicy> PolicyOption(const nlohmann::json& value, std::string_view key);

// {"language": "run"|"save", ...} (each value as PolicyOption).
Result<std::map<std::string, ExecutionPolicy>> PoliciesOption(const nlohmann::json& value,
                                                              std::string_view key);

// An output limit: a positive number of bytes.
Result<std::size_t> OutputLimitOption(const nlohmann::json& value, std::string_view key);

// A byte count: a non-negative number, or a string with a unit as Docker writes them ("512m",
// "2g", "64MiB").
Result<uint64_t> BytesOption(const nlohmann::json& value, std::string_view key);

// Parses `json_config` ("" means {}) as an object and calls `apply` for each key. Malformed JSON,
// a value of the wrong type (nlohmann::json::exception thrown by `apply`) and a non-object
// become kInvalidArgument errors that name `executor`.
Result<void> ForEachOption(
    std::string_view json_config, std::string_view executor,
    const std::function<Result<void>(const std::string&, const nlohmann::json&)>& apply);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_JSON_OPTIONS_H_
