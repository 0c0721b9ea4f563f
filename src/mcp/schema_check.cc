#include "mcp/schema_check.h"

#include <fmt/format.h>

#include <algorithm>

namespace codeexec::mcp {
namespace {

using nlohmann::json;

bool HasType(const json& value, std::string_view type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    // JSON does not tell 2 from 2.0; JSON Schema counts both as integers.
    return value.is_number_float() &&
           value.get<double>() == static_cast<int64_t>(value.get<double>());
  }
  return false;
}

std::string Name(std::string_view where) {
  return where.empty() ? "the value" : fmt::format("'{}'", where);
}

std::string Child(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

std::optional<std::string> CheckType(const json& schema, const json& value,
                                     std::string_view where) {
  auto type = schema.find("type");
  if (type == schema.end()) return std::nullopt;
  std::vector<std::string> names;
  if (type->is_string()) {
    names.push_back(type->get<std::string>());
  } else {
    for (const json& name : *type) names.push_back(name.get<std::string>());
  }
  if (std::any_of(names.begin(), names.end(), [&](const auto& n) { return HasType(value, n); })) {
    return std::nullopt;
  }
  return fmt::format("{} must be {} (got {})", Name(where), fmt::join(names, " or "),
                     value.type_name());
}

std::optional<std::string> CheckObject(const json& schema, const json& value,
                                       std::string_view where) {
  const json properties = schema.value("properties", json::object());
  for (const json& key : schema.value("required", json::array())) {
    if (!value.contains(key.get<std::string>())) {
      return fmt::format("{} is required", Name(Child(where, key.get<std::string>())));
    }
  }
  bool closed = schema.value("additionalProperties", true) == false;
  for (const auto& [key, item] : value.items()) {
    auto property = properties.find(key);
    if (property == properties.end()) {
      if (!closed) continue;
      std::vector<std::string> known;
      for (const auto& [name, _] : properties.items()) known.push_back(name);
      return fmt::format("unknown argument {} (known: {})", Name(Child(where, key)),
                         fmt::join(known, ", "));
    }
    if (auto error = CheckSchema(*property, item, Child(where, key))) return error;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CheckSchema(const json& schema, const json& value,
                                       std::string_view where) {
  if (auto error = CheckType(schema, value, where)) return error;
  if (auto options = schema.find("enum"); options != schema.end()) {
    if (std::find(options->begin(), options->end(), value) == options->end()) {
      return fmt::format("{} must be one of {}", Name(where), options->dump());
    }
  }
  if (value.is_number()) {
    double number = value.get<double>();
    if (schema.contains("minimum") && number < schema["minimum"].get<double>()) {
      return fmt::format("{} must be at least {}", Name(where), schema["minimum"].dump());
    }
    if (schema.contains("maximum") && number > schema["maximum"].get<double>()) {
      return fmt::format("{} must be at most {}", Name(where), schema["maximum"].dump());
    }
  }
  if (value.is_string() && schema.contains("minLength") &&
      value.get_ref<const std::string&>().size() < schema["minLength"].get<std::size_t>()) {
    return fmt::format("{} must have at least {} characters", Name(where),
                       schema["minLength"].dump());
  }
  if (value.is_object()) return CheckObject(schema, value, where);
  if (value.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto error = CheckSchema(schema["items"], value[i], fmt::format("{}[{}]", where, i))) {
        return error;
      }
    }
  }
  return std::nullopt;
}

}  // namespace codeexec::mcp
