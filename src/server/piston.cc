#include "server/piston.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <regex>

#include "codeexec/languages.h"
#include "process/run.h"
#include "server/api.h"
#include "service/languages_info.h"

extern char** environ;

namespace codeexec::server {
namespace {

using nlohmann::json;
using service::ServiceErrorKind;

tl::unexpected<service::ServiceError> Bad(std::string message) {
  return service::Refuse(ServiceErrorKind::kBadRequest, std::move(message));
}

Response PistonError(int status, std::string_view message) {
  return JsonValueResponse(status, {{"message", message}});
}

// The version a tool reports ("Python 3.11.2" -> "3.11.2"); "0.0.0" when it says none.
std::string ToolVersion(const std::string& tool, const std::string& language) {
  std::string flag = language == "lua" ? "-v" : language == "go" ? "version" : "--version";
  SpawnSpec spec;
  spec.program = tool;
  spec.argv = {tool, flag};
  spec.envp = environ;
  OutputCollector output(16 * 1024);
  RunLimits limits;
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto outcome = RunToCompletion(spec, limits, CancellationToken(), output);
  if (!outcome) return "0.0.0";
  std::string text = output.Finish().output;
  std::smatch match;
  static const std::regex kVersion(R"((\d+\.\d+(\.\d+)?))");
  if (std::regex_search(text, match, kVersion)) return match[1];
  return "0.0.0";
}

// Piston's runtimes, computed once (each tool started once) and kept.
class Runtimes {
 public:
  const json& Get() {
    std::call_once(once_, [this] {
      const char* path = getenv("PATH");
      for (const auto& row : service::LanguageRows(path ? path : "")) {
        if (row.tool.empty()) continue;
        versions_[row.spec->name] = ToolVersion(row.tool, row.spec->name);
        list_.push_back({{"language", row.spec->name},
                         {"version", versions_[row.spec->name]},
                         {"aliases", row.spec->aliases},
                         {"runtime", row.spec->name}});
      }
    });
    return list_;
  }
  std::string VersionOf(const std::string& language) {
    Get();
    auto found = versions_.find(language);
    return found == versions_.end() ? "0.0.0" : found->second;
  }

 private:
  std::once_flag once_;
  json list_ = json::array();
  std::map<std::string, std::string> versions_;
};

// A number of milliseconds, or nullopt for absent / -1.
service::ServiceResult<std::optional<double>> Millis(const json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_number()) return Bad(fmt::format("{} must be a number", field));
  double value = body[field].get<double>();
  if (value == -1) return std::nullopt;
  if (value < 0) return Bad(fmt::format("{} cannot be negative", field));
  return value;
}

}  // namespace

service::ServiceResult<service::ExecuteRequest> PistonToExecuteRequest(const json& body) {
  if (!body.is_object()) return Bad("the body must be a JSON object");
  if (!body.contains("language") || !body["language"].is_string()) {
    return Bad("language is required as a string");
  }
  std::string tag = body["language"];
  const LanguageSpec* spec = LanguageTable::Default().Find(tag);
  if (!spec) return Bad(fmt::format("{}-{} runtime is unknown", tag, body.value("version", "*")));
  if (!body.contains("files") || !body["files"].is_array() || body["files"].empty()) {
    return Bad("files is required as a non-empty array");
  }
  service::ExecuteRequest request;
  const json& files = body["files"];
  if (files.size() > service::kMaxFiles) return Bad("too many files");
  for (std::size_t i = 0; i < files.size(); ++i) {
    const json& file = files[i];
    std::string field = fmt::format("files[{}]", i);
    if (!file.is_object() || !file.contains("content") || !file["content"].is_string()) {
      return Bad(fmt::format("{}.content is required as a string", field));
    }
    std::string encoding = file.value("encoding", "utf8");
    auto bytes = service::DecodeContent(file["content"], encoding, field, true);
    if (!bytes) return tl::unexpected(bytes.error());
    if (i == 0) {
      request.blocks = {{spec->name, std::move(*bytes)}};
      continue;
    }
    if (!file.contains("name") || !file["name"].is_string()) {
      return Bad(fmt::format("{}.name is required for every file but the first", field));
    }
    request.files.push_back({file["name"], std::move(*bytes)});
  }
  if (body.contains("stdin")) {
    if (!body["stdin"].is_string()) return Bad("stdin must be a string");
    std::string input = body["stdin"];
    if (!input.empty()) request.standard_input = std::move(input);
  }
  if (body.contains("args")) {
    if (!body["args"].is_array()) return Bad("args must be an array of strings");
    for (const json& arg : body["args"]) {
      if (!arg.is_string()) return Bad("args must be an array of strings");
      request.args.push_back(arg);
    }
  }
  auto run = Millis(body, "run_timeout");
  auto compile = Millis(body, "compile_timeout");
  auto memory = Millis(body, "run_memory_limit");
  auto cpu = Millis(body, "run_cpu_time");
  for (const auto* checked : {&run, &compile, &memory, &cpu}) {
    if (!*checked) return tl::unexpected(checked->error());
  }
  if (*run) {
    double millis = **run + (spec->compile.empty() ? 0 : compile->value_or(0));
    request.timeout_seconds = std::max(1.0, millis / 1000.0);
  }
  json config = json::object();
  if (*memory) config["memory_limit"] = static_cast<uint64_t>(**memory);
  if (*cpu) config["cpu_time"] = static_cast<uint64_t>(std::max(1.0, std::ceil(**cpu / 1000)));
  if (!config.empty()) request.config = std::move(config);
  return request;
}

json PistonRun(const CodeResult& result) {
  json run = {
      {"stdout", result.stdout_text},
      {"stderr", result.stderr_text},
      {"output", result.output},
      {"code", result.exit_code},
      {"signal", nullptr},
      {"message", nullptr},
      {"status", nullptr},
      {"cpu_time", std::chrono::duration_cast<std::chrono::milliseconds>(result.cpu_time).count()},
      {"wall_time", std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count()},
      {"memory", result.peak_memory_bytes}};
  auto killed = [&](const char* status, const char* signal, std::string message) {
    run["status"] = status;
    run["signal"] = signal;
    run["code"] = nullptr;
    run["message"] = std::move(message);
  };
  switch (result.status) {
    case ExecutionStatus::kOk:
      break;
    case ExecutionStatus::kError:
    case ExecutionStatus::kProcessLimit:
      run["status"] = "RE";
      run["message"] = fmt::format("Exited with error status {}", result.exit_code);
      break;
    case ExecutionStatus::kTimeout:
      killed("TO", "SIGKILL", "Time limit exceeded");
      break;
    case ExecutionStatus::kMemoryLimit:
      killed("SG", "SIGKILL", "Memory limit exceeded");
      break;
    case ExecutionStatus::kPolicyViolation:
      killed("SG", "SIGSYS", "Killed for a forbidden system call");
      break;
    case ExecutionStatus::kCancelled:
      killed("XX", "SIGKILL", "Cancelled");
      break;
    case ExecutionStatus::kOutputLimit:
      run["status"] = "OL";
      run["message"] = "Output limit exceeded";
      break;
    case ExecutionStatus::kSetupError:
      run["status"] = "XX";
      run["message"] = result.output;
      break;
  }
  return run;
}

void AddPistonApi(Router& router, service::Service& service, service::WorkQueue& control) {
  auto runtimes = std::make_shared<Runtimes>();
  service::Service* svc = &service;
  router.Add(
      "GET", "/api/v2/runtimes", [runtimes, &control](Request, std::shared_ptr<Responder> r) {
        RunOnControl(control, r, [runtimes] { return JsonValueResponse(200, runtimes->Get()); });
      });
  router.Add(
      "POST", "/api/v2/execute",
      [svc, runtimes, &control](Request request, std::shared_ptr<Responder> r) {
        auto body = service::ParseJsonBody(request.body);
        if (!body) return r->Send(PistonError(400, body.error().message));
        auto parsed = PistonToExecuteRequest(*body);
        if (!parsed) return r->Send(PistonError(400, parsed.error().message));
        std::string language = parsed->blocks.front().language;
        // Limits the default executor does not have (a local server's memory) are
        // dropped, as Piston ignores what its sandbox cannot do.
        if (parsed->config.is_object()) {
          auto limits = svc->policy().ClientLimits(svc->policy().default_executor());
          for (const char* key : {"memory_limit", "cpu_time"}) {
            bool known = std::any_of(limits.begin(), limits.end(),
                                     [&](const auto& limit) { return limit.key == key; });
            if (!known) parsed->config.erase(key);
          }
          if (parsed->config.empty()) parsed->config = nullptr;
        }
        service::ExecuteHooks hooks;
        hooks.cancel = r->disconnected();
        hooks.on_done = [r, runtimes,
                         language](service::ServiceResult<service::ExecuteOutcome> outcome) {
          if (!outcome) {
            return r->Send(PistonError(HttpStatus(outcome.error().kind), outcome.error().message));
          }
          r->Send(JsonValueResponse(200, {{"language", language},
                                          {"version", runtimes->VersionOf(language)},
                                          {"run", PistonRun(outcome->result)}}));
        };
        auto queued = svc->Execute("", std::move(*parsed), std::move(hooks));
        if (!queued) {
          Response refusal = PistonError(HttpStatus(queued.error().kind), queued.error().message);
          if (queued.error().kind == ServiceErrorKind::kBusy) {
            refusal.headers.emplace_back("Retry-After", "1");
          }
          r->Send(std::move(refusal));
        }
      });
}

}  // namespace codeexec::server
