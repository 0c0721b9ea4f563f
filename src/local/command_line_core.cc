#include "local/command_line_core.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

#include "core/ascii.h"
#include "core/filename.h"
#include "core/limits.h"
#include "core/silence_pip.h"
#include "core/work_folder.h"
#include "local/run_log.h"
#include "process/environment.h"
#include "process/run.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Writes `code` to the work folder's `relative` unless it already holds exactly that (reading a
// small file back costs about a microsecond; creating one a hundred times that on some disks, and
// agents often run the same block again). The write goes through a temporary file and a rename,
// so a concurrent execution of the same block never runs a half-written file.
Result<void> WriteCodeFile(const ConfinedFolder& folder, std::string_view relative,
                           std::string_view code) {
  if (folder.Holds(relative, code)) return {};
  return folder.WriteFile(relative, code);
}

std::string Substitute(const std::string& arg,
                       const std::map<std::string_view, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < arg.size()) {
    std::size_t open = arg.find('{', i);
    if (open == std::string::npos) break;
    std::size_t close = arg.find('}', open);
    if (close == std::string::npos) break;
    auto var = vars.find(std::string_view(arg).substr(open + 1, close - open - 1));
    if (var == vars.end()) {
      out.append(arg, i, close + 1 - i);
    } else {
      out.append(arg, i, open - i).append(var->second);
    }
    i = close + 1;
  }
  out.append(arg, std::min(i, arg.size()));
  return out;
}

}  // namespace

// What a language needs to run here, resolved once per executor.
struct PreparedLanguage {
  std::optional<std::string> tool;  // absolute path, or nullopt when not installed
  Environment env;
};

struct CommandLineCore::State {
  LocalExecutorOptions options;
  WorkFolder folder;
  const fs::path& work_dir() const { return folder.path(); }
  std::atomic<bool> stopped{false};
  Environment base_env;
  std::string path_env;
  std::string python;  // resolved interpreter, or empty to use the table's tools
  RunLog run_log;
  std::unique_ptr<ProcessRunner> runner;

  std::mutex mutex;  // guards `prepared`
  std::map<std::string, PreparedLanguage, std::less<>> prepared;
  std::mutex functions_mutex;  // held while the functions load; guards `functions_loaded`
  bool functions_loaded = false;

  const PreparedLanguage& Prepare(const LanguageSpec& spec);
  ExecutionPolicy PolicyFor(const LanguageSpec& spec) const;
  Result<void> LoadFunctions(const CancellationToken& cancel);
  Result<RunOutcome> RunStep(const std::vector<std::string>& command,
                             const std::map<std::string_view, std::string>& vars,
                             const PreparedLanguage& language, Clock::time_point deadline,
                             const CancellationToken& cancel, OutputCollector& output);
  // Runs one block, recording what it ran in `record`; returns false when execution must stop
  // after it.
  Result<bool> RunBlock(const CodeBlock& block, const CancellationToken& cancel,
                        OutputCollector& output, CodeResult& result, RunRecord& record);
};

const PreparedLanguage& CommandLineCore::State::Prepare(const LanguageSpec& spec) {
  std::lock_guard lock(mutex);
  auto it = prepared.find(spec.name);
  if (it != prepared.end()) return it->second;
  PreparedLanguage language;
  language.tool = spec.name == "python" && !python.empty() ? std::optional(python)
                                                           : runner->ResolveTool(spec, path_env);
  language.env = base_env;
  for (const std::string& entry : spec.env) {
    std::size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    if (eq != std::string::npos && !options.env.set.contains(name)) {
      language.env.Set(name, entry.substr(eq + 1));
    }
  }
  language.env.envp();  // build the pointer array now, while we hold the lock
  return prepared.emplace(spec.name, std::move(language)).first->second;
}

ExecutionPolicy CommandLineCore::State::PolicyFor(const LanguageSpec& spec) const {
  for (const auto& [tag, policy] : options.execution_policies) {
    const LanguageSpec* match = options.languages.Find(tag);
    if (match && match->name == spec.name) return policy;
  }
  return spec.default_policy;
}

Result<RunOutcome> CommandLineCore::State::RunStep(
    const std::vector<std::string>& command, const std::map<std::string_view, std::string>& vars,
    const PreparedLanguage& language, Clock::time_point deadline, const CancellationToken& cancel,
    OutputCollector& output) {
  SpawnSpec spec;
  for (const auto& arg : command) spec.argv.push_back(Substitute(arg, vars));
  spec.program = spec.argv.front();
  spec.envp = language.env.envp();
  spec.cwd = work_dir().string();
  RunLimits limits;
  limits.deadline = deadline;
  limits.kill_grace = options.kill_grace;
  return runner->Run(spec, limits, cancel, output);
}

Result<bool> CommandLineCore::State::RunBlock(const CodeBlock& block,
                                              const CancellationToken& cancel,
                                              OutputCollector& output, CodeResult& result,
                                              RunRecord& record) {
  auto fail = [&](int exit_code, ExecutionStatus status, std::string_view note) {
    result.exit_code = exit_code;
    result.status = status;
    output.AppendNote(note);
    return false;
  };
  Clock::time_point start = Clock::now();
  std::string tag = AsciiLower(block.language);
  const LanguageSpec* spec = options.languages.Find(tag);
  record.language = spec ? std::string_view(spec->name) : std::string_view(block.language);
  if (spec == nullptr) {
    return fail(1, ExecutionStatus::kError, "\nunknown language " + tag);
  }
  std::string code = SilencePip(block.code, spec->name);
  std::string name =
      RequestedFileName(code, options.languages).value_or(DefaultFileName(code, spec->extension));
  // Links in the work folder are never followed: a name reaching through one, or naming one, is
  // outside the workspace (it may point anywhere).
  auto relative = folder.files().Relative(name);
  auto kind = relative ? folder.files().KindOf(*relative) : Result<FileKind>(FileKind::kMissing);
  if (!relative || !kind || *kind == FileKind::kLink) {
    return fail(1, ExecutionStatus::kError,
                fmt::format("{}{}", output.AtLineStart() ? "" : "\n", kNotInWorkspace));
  }
  fs::path path = work_dir() / *relative;
  if (auto written = WriteCodeFile(folder.files(), *relative, code); !written) {
    return fail(1, ExecutionStatus::kError,
                fmt::format("{}{}\n", output.AtLineStart() ? "" : "\n", written.error().message()));
  }
  if (!result.code_file) result.code_file = path;
  record.file = path;
  if (PolicyFor(*spec) == ExecutionPolicy::kSave) {
    output.AppendNote(fmt::format("Code saved to {}\n", path.string()));
    return true;
  }

  const PreparedLanguage& language = Prepare(*spec);
  if (!language.tool) {
    return fail(
        127, ExecutionStatus::kSetupError,
        fmt::format("{}cannot run {} code: none of {} is installed here. Use another "
                    "language, or install one of them.\n",
                    output.AtLineStart() ? "" : "\n", spec->name, fmt::join(spec->tools, ", ")));
  }
  fs::path exe_relative = fs::path(*relative).replace_extension();
  if (exe_relative == *relative) exe_relative += ".out";
  fs::path exe = work_dir() / exe_relative;
  std::map<std::string_view, std::string> vars = {{"tool", *language.tool},
                                                  {"file", path.string()},
                                                  {"exe", exe.string()},
                                                  {"dir", work_dir().string()}};
  Clock::time_point deadline = start + options.timeout;
  RunOutcome outcome;
  for (const auto* command : {&spec->compile, &spec->run}) {
    if (command->empty()) continue;
    auto step = RunStep(*command, vars, language, deadline, cancel, output);
    if (!step) {
      if (step.error().code() != ErrorCode::kNotFound &&
          step.error().code() != ErrorCode::kPermissionDenied) {
        return tl::unexpected(step.error());
      }
      return fail(127, ExecutionStatus::kSetupError,
                  fmt::format("{}{}\n", output.AtLineStart() ? "" : "\n", step.error().message()));
    }
    outcome = *step;
    if (!outcome.note.empty()) output.AppendNote(outcome.note);
    if (outcome.timed_out || outcome.cancelled || outcome.exit_code != 0) break;
  }
  if (options.cleanup_code_files) {
    [[maybe_unused]] auto removed = folder.files().Remove(*relative);
    if (!spec->compile.empty()) {
      [[maybe_unused]] auto removed_exe = folder.files().Remove(exe_relative.string());
    }
  }
  result.peak_memory_bytes = std::max(result.peak_memory_bytes, outcome.peak_memory_bytes);
  result.cpu_time += outcome.cpu_time;
  if (outcome.timed_out) {
    fail(124, ExecutionStatus::kTimeout, "\nTimeout");
  } else if (outcome.cancelled) {
    fail(125, ExecutionStatus::kCancelled, "\nCancelled");
  } else if (outcome.memory_limit_exceeded) {
    fail(outcome.exit_code == 0 ? 137 : outcome.exit_code, ExecutionStatus::kMemoryLimit,
         "\nMemory limit exceeded");
  } else if (outcome.policy_violation) {
    fail(outcome.exit_code, ExecutionStatus::kPolicyViolation,
         "\nKilled: a system call the sandbox forbids");
  } else if (outcome.exit_code != 0) {
    fail(outcome.exit_code,
         outcome.process_limit_reached ? ExecutionStatus::kProcessLimit : ExecutionStatus::kError,
         outcome.process_limit_reached ? "\nProcess limit reached" : "");
  }
  return result.exit_code == 0;
}

Result<void> CommandLineCore::State::LoadFunctions(const CancellationToken& cancel) {
  if (options.functions.empty()) return {};
  std::lock_guard lock(functions_mutex);
  if (functions_loaded) return {};
  auto module = BuildFunctionsModule(options.functions);
  if (!module) return tl::unexpected(module.error());
  std::string module_name = options.functions_module + ".py";
  fs::path file = work_dir() / module_name;
  if (auto written = WriteCodeFile(folder.files(), module_name, *module); !written) return written;

  const LanguageSpec* python_spec = options.languages.Find("python");
  const PreparedLanguage* python_language = python_spec ? &Prepare(*python_spec) : nullptr;
  if (python_language == nullptr || !python_language->tool) {
    return MakeError(ErrorCode::kNotFound,
                     "user functions need a Python interpreter, and none was found: set the "
                     "`python` option or install python3");
  }
  std::vector<std::string> packages;
  for (const auto& function : options.functions) {
    for (const auto& package : function.packages) {
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) {
        packages.push_back(package);
      }
    }
  }
  std::map<std::string_view, std::string> vars = {{"tool", *python_language->tool},
                                                  {"file", file.string()}};
  auto run = [&](std::vector<std::string> command, std::string_view what) -> Result<void> {
    OutputCollector output(options.output_limit);
    auto outcome =
        RunStep(command, vars, *python_language, Clock::now() + options.timeout, cancel, output);
    if (!outcome) return tl::unexpected(outcome.error());
    std::string text = output.Finish().output;
    if (outcome->timed_out)
      return MakeError(ErrorCode::kTimeout, fmt::format("{} timed out", what));
    if (outcome->cancelled) return MakeError(ErrorCode::kFailedPrecondition, "cancelled");
    if (outcome->exit_code != 0) {
      return MakeError(ErrorCode::kFailedPrecondition, fmt::format("{} failed. {}", what, text));
    }
    return {};
  };
  if (!packages.empty()) {
    std::vector<std::string> pip = {"{tool}",  "-m",   "pip",
                                    "install", "-qqq", "--disable-pip-version-check"};
    pip.insert(pip.end(), packages.begin(), packages.end());
    if (auto installed = run(pip, "Pip install"); !installed) return installed;
  }
  if (auto loaded = run({"{tool}", "{file}"}, "Functions failed to load:"); !loaded) {
    return loaded;
  }
  functions_loaded = true;
  return {};
}

namespace {

Result<void> ValidateOptions(const LocalExecutorOptions& options) {
  using std::chrono::milliseconds;
  if (auto checked = CheckTimeout(options.timeout); !checked) return checked;
  if (auto checked = CheckOutputLimit(options.output_limit); !checked) return checked;
  if (options.kill_grace < milliseconds(0) || options.kill_grace > kMaxDuration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kill_grace must be from 0 to 30 days (2592000 seconds)");
  }
  if (!IsPythonIdentifier(options.functions_module)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("Module name must be a valid Python identifier (got '{}')",
                                 options.functions_module));
  }
  for (const auto& [tag, policy] : options.execution_policies) {
    if (options.languages.Find(tag) == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("execution_policies: unknown language '{}'", tag));
    }
  }
  for (const auto& function : options.functions) {
    if (auto name = PythonFunctionName(function); !name) return tl::unexpected(name.error());
  }
  return {};
}

// Puts a virtual environment's bin/ first on PATH, as `activate` does, and returns its python.
Result<std::string> ApplyVirtualEnv(const fs::path& venv, Environment& env) {
  std::error_code ec;
  fs::path root = fs::absolute(venv, ec);
  fs::path python = root / "bin" / "python";
  if (ec || access(python.c_str(), X_OK) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} is not a Python virtual environment (no executable "
                                 "bin/python). Create one with `python3 -m venv {}`.",
                                 venv.string(), venv.string()));
  }
  std::string path(env.Get("PATH").value_or(""));
  env.Set("PATH", (root / "bin").string() + (path.empty() ? "" : ":" + path));
  env.Set("VIRTUAL_ENV", root.string());
  env.Unset("PYTHONHOME");
  return python.string();
}

}  // namespace

Result<std::unique_ptr<CommandLineCore>> CommandLineCore::Create(
    LocalExecutorOptions options, std::unique_ptr<ProcessRunner> runner) {
  if (auto valid = ValidateOptions(options); !valid) return tl::unexpected(valid.error());
  auto impl = std::make_unique<State>();
  impl->runner = std::move(runner);
  impl->base_env = Environment::FromOptions(options.env);
  if (!options.virtual_env.empty()) {
    auto python = ApplyVirtualEnv(options.virtual_env, impl->base_env);
    if (!python) return tl::unexpected(python.error());
    impl->python = *python;
  }
  impl->path_env = std::string(impl->base_env.Get("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
  if (!options.python.empty()) {
    auto python = FindProgram(options.python, impl->path_env);
    if (!python) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("the Python interpreter '{}' was not found or is not "
                                   "executable",
                                   options.python));
    }
    impl->python = *python;
  }
  auto folder = WorkFolder::Prepare(options.work_dir);
  if (!folder) return tl::unexpected(folder.error());
  impl->folder = std::move(*folder);
  if (options.run_log) {
    auto log = RunLog::Open(impl->folder.files(), kRunLogName);
    if (!log) return tl::unexpected(log.error());
    impl->run_log = std::move(*log);
  }
  impl->options = std::move(options);
  return std::unique_ptr<CommandLineCore>(new CommandLineCore(std::move(impl)));
}

Result<void> CommandLineCore::Validate(const LocalExecutorOptions& options) {
  return ValidateOptions(options);
}

CommandLineCore::CommandLineCore(std::unique_ptr<State> state) : state_(std::move(state)) {}
CommandLineCore::~CommandLineCore() = default;

const fs::path& CommandLineCore::work_dir() const { return state_->work_dir(); }
const ConfinedFolder& CommandLineCore::files() const { return state_->folder.files(); }
const LocalExecutorOptions& CommandLineCore::options() const { return state_->options; }

Result<RunOutcome> DirectRunner::Run(const SpawnSpec& spec, const RunLimits& limits,
                                     const CancellationToken& cancel, OutputCollector& output) {
  return RunToCompletion(spec, limits, cancel, output);
}

Result<void> CommandLineCore::Stop() {
  if (state_->stopped.exchange(true)) return {};
  state_->run_log = RunLog();
  return state_->folder.Remove();
}

Result<CodeResult> CommandLineCore::Execute(const std::vector<CodeBlock>& blocks,
                                            const CancellationToken& cancel) {
  if (state_->stopped) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the executor was stopped; create a new one to run more code");
  }
  Clock::time_point start = Clock::now();
  if (auto loaded = state_->LoadFunctions(cancel); !loaded) return tl::unexpected(loaded.error());
  OutputCollector output(state_->options.output_limit);
  CodeResult result;
  for (const CodeBlock& block : blocks) {
    Clock::time_point block_start = Clock::now();
    RunRecord record;
    auto go_on = state_->RunBlock(block, cancel, output, result, record);
    if (!go_on) return tl::unexpected(go_on.error());
    record.exit_code = result.exit_code;
    record.status = result.status;
    record.duration = Clock::now() - block_start;
    state_->run_log.Append(record);
    if (!*go_on) break;
  }
  output.FinishInto(result);
  result.duration = Clock::now() - start;
  return result;
}

}  // namespace codeexec
