// AutoGen 0.2's code_execution_config, read as ConversableAgent.__init__ and
// CodeExecutorFactory.create read it: false, the legacy form, and the factory form.
#include "codeexec/code_execution_config.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "agent/code_reply.h"
#include "codeexec/log.h"
#include "core/ascii.h"

namespace codeexec {
namespace {

using Json = nlohmann::json;
using Form = CodeExecutionConfig::Form;

// code_utils.execute_code's default, which AutoGen's legacy form runs code with.
constexpr int kLegacyTimeoutSeconds = 600;

tl::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<std::optional<LastNMessages>> ReadLastNMessages(const Json& config) {
  auto it = config.find("last_n_messages");
  if (it == config.end()) return std::nullopt;
  LastNMessages value = -1;  // refused below unless the JSON holds a valid value
  if (it->is_number_unsigned()) {
    value = static_cast<int>(std::min<uint64_t>(it->get<uint64_t>(), INT_MAX));
  } else if (it->is_number_integer()) {
    value = static_cast<int>(std::max<int64_t>(it->get<int64_t>(), -1));
  } else if (it->is_string()) {
    value = it->get<std::string>();
  }
  if (auto valid = agent::ValidateLastNMessages(value); !valid)
    return tl::unexpected(valid.error());
  return value;
}

// AutoGen's decide_use_docker for a use_docker that is absent or null.
Result<bool> DockerFromEnvironment() {
  const char* raw = getenv("AUTOGEN_USE_DOCKER");
  std::string value = AsciiLower(raw == nullptr ? "true" : raw);
  for (std::string_view yes : {"1", "true", "yes", "t"}) {
    if (value == yes) return true;
  }
  for (std::string_view no : {"0", "false", "no", "f", "none"}) {
    if (value == no) return false;
  }
  return Invalid(fmt::format(
      "Invalid value for AUTOGEN_USE_DOCKER: {}. Please set AUTOGEN_USE_DOCKER to \"1/True/yes\", "
      "\"0/False/no\", or \"None\".",
      raw));
}

bool IsNonEmptyString(const Json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

// use_docker: std::nullopt for the local executor, else the Docker image ("" for the docker
// executor's default, which is AutoGen's).
Result<std::optional<std::string>> ReadUseDocker(const Json& config) {
  auto it = config.find("use_docker");
  if (it == config.end() || it->is_null()) {
    auto docker = DockerFromEnvironment();
    if (!docker) return tl::unexpected(docker.error());
    return *docker ? std::optional<std::string>("") : std::nullopt;
  }
  const Json& value = *it;
  if (value.is_boolean()) return value.get<bool>() ? std::optional<std::string>("") : std::nullopt;
  if (IsNonEmptyString(value)) return value.get<std::string>();
  if (value.is_array() && value.size() == 1 && IsNonEmptyString(value[0])) {
    return value[0].get<std::string>();
  }
  if (value.is_array() && value.size() > 1 && IsNonEmptyString(value[0])) {
    return Invalid(fmt::format(
        "'use_docker' lists {} images (AutoGen uses the first it finds); codeexec runs one: name "
        "it, for example \"use_docker\": {}",
        value.size(), value[0].dump()));
  }
  return Invalid(
      fmt::format("'use_docker' must be false (run the code on this host), true (in Docker, image "
                  "python:3-slim) or an image name such as \"python:3-slim\", not {}",
                  value.dump()));
}

Result<CodeExecutionConfig> ReadLegacyForm(const Json& config, const ExecutorRegistry& registry) {
  for (const auto& [key, value] : config.items()) {
    if (key == "use_docker" || key == "work_dir" || key == "timeout" || key == "last_n_messages" ||
        key == "executor") {
      continue;
    }
    if (registry.Resolve(key)) {
      return Invalid(fmt::format(
          "'{0}' in code_execution_config holds options of the executor \"{0}\", which apply only "
          "with \"executor\": \"{0}\": add that, or remove '{0}'",
          key));
    }
    return Invalid(fmt::format(
        "'{}' is not a key of code_execution_config: without \"executor\", the keys are "
        "use_docker, work_dir, timeout and last_n_messages; to choose an executor and its "
        "options, write {{\"executor\": \"commandline-local\", \"commandline-local\": {{...}}}}",
        key));
  }
  Json options = Json::object();
  if (auto it = config.find("work_dir"); it != config.end()) {
    if (!IsNonEmptyString(*it)) {
      return Invalid(fmt::format(
          "'work_dir' must be a folder (a string such as \"coding\"), not {}", it->dump()));
    }
    options["work_dir"] = *it;
  }
  auto timeout = config.find("timeout");
  if (timeout != config.end() && !timeout->is_number()) {
    return Invalid(
        fmt::format("'timeout' must be a number of seconds, such as 60, not {}", timeout->dump()));
  }
  options["timeout"] = timeout == config.end() ? Json(kLegacyTimeoutSeconds) : *timeout;
  auto image = ReadUseDocker(config);
  if (!image) return tl::unexpected(image.error());
  if (*image && !(*image)->empty()) options["image"] = **image;
  auto last_n = ReadLastNMessages(config);
  if (!last_n) return tl::unexpected(last_n.error());
  std::string executor = *image ? "docker" : "local";
  return CodeExecutionConfig{Form::kLegacy, executor, executor, options.dump(), *last_n};
}

// docker-py's {"/host": {"bind": "/container", "mode": "ro"}} as Docker's "HOST:CONTAINER:MODE".
Result<Json> VolumeList(const Json& volumes) {
  Json list = Json::array();
  for (const auto& [host, mount] : volumes.items()) {
    bool valid = mount.is_object() && IsNonEmptyString(mount.value("bind", Json())) &&
                 (!mount.contains("mode") || IsNonEmptyString(mount["mode"]));
    if (!valid) {
      return Invalid(fmt::format(
          "'extra_volumes': {} must be {{\"bind\": \"/container/path\", \"mode\": \"rw\"}}", host));
    }
    std::string mode = mount.contains("mode") ? ":" + mount["mode"].get<std::string>() : "";
    list.push_back(fmt::format("{}:{}{}", host, mount["bind"].get<std::string>(), mode));
  }
  return list;
}

// {"name": "address"} as Docker's "NAME:ADDRESS".
Result<Json> HostList(const Json& hosts) {
  Json list = Json::array();
  for (const auto& [name, address] : hosts.items()) {
    if (!IsNonEmptyString(address)) {
      return Invalid(fmt::format("'extra_hosts': {} must map to an address string", name));
    }
    list.push_back(fmt::format("{}:{}", name, address.get<std::string>()));
  }
  return list;
}

// AutoGen's parameters that codeexec's executors name differently.
struct Rename {
  std::string_view executor, autogen, ours;
};
constexpr Rename kRenames[] = {
    {"local", "virtual_env_context", "virtual_env"},
    {"local", "cleanup_temp_files", "cleanup_code_files"},  // AutoGen 0.4
    {"docker", "delete_tmp_files", "cleanup_code_files"},   // AutoGen 0.4
};

// One of AutoGen's parameters of `executor` (a registered name) in codeexec's key and form.
Result<std::pair<std::string, Json>> TranslateOption(std::string_view executor,
                                                     const std::string& key, const Json& value) {
  if (executor == "docker" && key == "device_requests") {
    return Invalid("'device_requests' (GPUs) is not supported by the docker executor: remove it");
  }
  if (executor == "local" && key == "virtual_env_context" && !IsNonEmptyString(value)) {
    return Invalid(
        "'virtual_env_context' must be the virtual environment's folder (a string such as "
        "\".venv\")");
  }
  if (executor == "docker" && key == "extra_volumes" && value.is_object()) {
    auto list = VolumeList(value);
    if (!list) return tl::unexpected(list.error());
    return std::pair{key, std::move(*list)};
  }
  if (executor == "docker" && key == "extra_hosts" && value.is_object()) {
    auto list = HostList(value);
    if (!list) return tl::unexpected(list.error());
    return std::pair{key, std::move(*list)};
  }
  for (const Rename& rename : kRenames) {
    if (rename.executor == executor && rename.autogen == key) {
      return std::pair{std::string(rename.ours), value};
    }
  }
  return std::pair{key, value};
}

Result<Json> TranslateOptions(std::string_view executor, const Json& options) {
  Json out = Json::object();
  for (const auto& [key, value] : options.items()) {
    auto translated = TranslateOption(executor, key, value);
    if (!translated) return tl::unexpected(translated.error());
    if (out.contains(translated->first)) {
      return Invalid(
          fmt::format("'{}' says again what another option already says: keep one", key));
    }
    out[translated->first] = std::move(translated->second);
  }
  return out;
}

Result<CodeExecutionConfig> ReadFactoryForm(const Json& config, const ExecutorRegistry& registry) {
  for (const char* key : {"use_docker", "work_dir", "timeout"}) {
    if (config.contains(key)) {
      return Invalid(
          fmt::format("'{}' in code_execution_config is not valid when 'executor' is set. Use the "
                      "appropriate arg in the chosen executor instead.",
                      key));
    }
  }
  const Json& executor = config.at("executor");
  if (!executor.is_string()) {
    return Invalid(fmt::format(
        "'executor' must name an executor, such as \"commandline-local\", not {} (an executor "
        "object is given to the agent directly: CodeExecutorAgent::Create)",
        executor.dump()));
  }
  const std::string& name = executor.get_ref<const std::string&>();
  auto resolved = registry.Resolve(name);
  if (!resolved) return tl::unexpected(resolved.error());
  for (const auto& [key, value] : config.items()) {
    if (key == "executor" || key == "last_n_messages" || key == name) continue;
    // AutoGen ignores the options of executors other than the chosen one; options of the chosen
    // one under another of its names would be lost too, so they are refused.
    auto other = registry.Resolve(key);
    if (other && *other == *resolved) {
      return Invalid(fmt::format(
          "the options of \"{0}\" go under \"{0}\" (the name \"executor\" gives), not \"{1}\"",
          name, key));
    }
    if (other) continue;
    return Invalid(fmt::format(
        "'{}' is not a key of code_execution_config: with \"executor\", the keys are executor, "
        "last_n_messages and \"{}\" (the executor's options)",
        key, name));
  }
  Json options = config.contains(name) ? config.at(name) : Json::object();
  if (!options.is_object()) {
    return Invalid(fmt::format(
        "code_execution_config[\"{}\"] must be an object with the executor's options, such as "
        "{{\"timeout\": 60}}, not {}",
        name, options.dump()));
  }
  auto translated = TranslateOptions(*resolved, options);
  if (!translated) {
    return Invalid(
        fmt::format("code_execution_config[\"{}\"]: {}", name, translated.error().message()));
  }
  auto last_n = ReadLastNMessages(config);
  if (!last_n) return tl::unexpected(last_n.error());
  return CodeExecutionConfig{Form::kFactory, name, *resolved, translated->dump(), *last_n};
}

}  // namespace

Result<CodeExecutionConfig> ParseCodeExecutionConfig(std::string_view json,
                                                     const ExecutorRegistry& registry) {
  Json config;
  try {
    config = Json::parse(json);
  } catch (const Json::exception& e) {
    return Invalid(fmt::format(
        "code_execution_config is not valid JSON ({}); write an object such as {{\"work_dir\": "
        "\"coding\", \"use_docker\": false}}, or false",
        e.what()));
  }
  if (config.is_boolean() && !config.get<bool>()) return CodeExecutionConfig{};
  if (config.is_null()) {
    Log(LogLevel::kWarning,
        "null as code_execution_config means {} (AutoGen deprecates None for it): write {} for "
        "the default or false to turn code execution off");
    config = Json::object();
  }
  if (!config.is_object()) return Invalid("code_execution_config must be a dict or False.");
  if (auto executor = config.find("executor"); executor != config.end() && !executor->is_null()) {
    return ReadFactoryForm(config, registry);
  }
  return ReadLegacyForm(config, registry);
}

Result<std::unique_ptr<CodeExecutor>> CreateCodeExecutor(const CodeExecutionConfig& config,
                                                         const ExecutorRegistry& registry) {
  if (config.form == Form::kOff) {
    return Invalid("code execution is off (code_execution_config is false): there is no executor");
  }
  auto executor = registry.Create(config.executor, config.executor_config);
  if (executor) return executor;
  const Error& error = executor.error();
  if (error.code() == ErrorCode::kInvalidArgument) {
    std::string where = config.form == Form::kFactory
                            ? fmt::format("code_execution_config[\"{}\"]", config.executor_name)
                            : std::string("code_execution_config");
    return Invalid(fmt::format("{}: {}", where, error.message()));
  }
  // Whatever kept Docker from running the code (no daemon, no image), never this host instead.
  if (config.form == Form::kLegacy && config.executor == "docker") {
    return MakeError(error.code(),
                     fmt::format("Code execution is set to be run in docker (use_docker, or "
                                 "AutoGen's default when it is absent) but Docker cannot be "
                                 "used: {} Or, in code_execution_config: \"use_docker\": "
                                 "\"IMAGE\" names another image; \"use_docker\": false runs the "
                                 "code on this host without isolation; {{\"executor\": "
                                 "\"sandbox\"}} isolates it without Docker.",
                                 error.message()));
  }
  return executor;
}

}  // namespace codeexec
