#include "core/json_options.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "core/ascii.h"
#include "core/limits.h"

namespace codeexec {

using nlohmann::json;

tl::unexpected<Error> OptionError(std::string_view key, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("option '{}': {}", key, what));
}

tl::unexpected<Error> UnknownOption(std::string_view key, std::string_view names) {
  return OptionError(key, fmt::format("unknown option (known: {})", names));
}

Result<std::chrono::milliseconds> SecondsOption(const json& value, std::string_view key) {
  // Checked before any conversion: 1e300 seconds is no number of milliseconds.
  double seconds = value.is_number() ? value.get<double>() : -1;
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxDuration.count()) {
    return OptionError(key, fmt::format("expected a number of seconds from 0 to {} (30 days), "
                                        "got {}",
                                        kMaxDuration.count(), value.dump()));
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

Result<ExecutionPolicy> PolicyOption(const json& value, std::string_view key) {
  if (value == "run" || value == true) return ExecutionPolicy::kRun;
  if (value == "save" || value == false) return ExecutionPolicy::kSave;
  return OptionError(key, "expected \"run\" or \"save\"");
}

Result<std::map<std::string, ExecutionPolicy>> PoliciesOption(const json& value,
                                                              std::string_view key) {
  if (!value.is_object()) {
    return OptionError(key, "expected an object {\"language\": \"run\"|\"save\"}");
  }
  std::map<std::string, ExecutionPolicy> policies;
  for (const auto& [language, policy] : value.items()) {
    auto parsed = PolicyOption(policy, key);
    if (!parsed) return tl::unexpected(parsed.error());
    policies[language] = *parsed;
  }
  return policies;
}

Result<std::size_t> OutputLimitOption(const json& value, std::string_view key) {
  if (!value.is_number_unsigned()) return OptionError(key, "expected a positive number of bytes");
  return value.get<std::size_t>();
}

Result<uint64_t> BytesOption(const json& value, std::string_view key) {
  if (value.is_number_integer()) {
    if (value.get<int64_t>() < 0) return OptionError(key, "expected a non-negative size");
    return value.get<uint64_t>();
  }
  if (!value.is_string()) {
    return OptionError(key, "expected bytes: a number, or a string such as \"512m\"");
  }
  std::string text = AsciiLower(value.get<std::string>());
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  if (unit.ends_with("ib")) unit.erase(unit.size() - 2);
  if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();
  static const std::map<std::string, int> kShift = {{"", 0},   {"b", 0},  {"k", 10},
                                                    {"m", 20}, {"g", 30}, {"t", 40}};
  auto shift = kShift.find(unit);
  if (digits == 0 || digits > 15 || shift == kShift.end()) {
    return OptionError(key, fmt::format("'{}' is not a size such as 512m or 2g", text));
  }
  return std::stoull(text.substr(0, digits)) << shift->second;
}

Result<void> ForEachOption(
    std::string_view json_config, std::string_view executor,
    const std::function<Result<void>(const std::string&, const json&)>& apply) {
  try {
    json config = json::parse(json_config.empty() ? std::string_view("{}") : json_config);
    if (!config.is_object()) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("the {} executor's configuration must be a JSON object", executor));
    }
    for (const auto& [key, value] : config.items()) {
      if (auto applied = apply(key, value); !applied) return applied;
    }
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("bad {} executor configuration: {}", executor, e.what()));
  }
  return {};
}

}  // namespace codeexec
