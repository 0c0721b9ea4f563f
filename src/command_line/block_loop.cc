#include "command_line/block_loop.h"

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

#include "command_line/run_log.h"
#include "core/ascii.h"
#include "core/filename.h"
#include "core/limits.h"
#include "core/silence_pip.h"
#include "core/work_folder.h"
#include "process/call_recorder.h"
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
  std::optional<std::string> tool;  // as the runner found it, or nullopt when not installed
  Environment env;
};

// One block of a call while it runs.
struct BlockRun {
  const ExecutionContext& context;
  CallRecorder& recorder;
  OutputCollector& output;
  CodeResult& result;  // the call's: resource use adds up there
  BlockResult& block;
  RunRecord& record;

  // block_start, once the language and the file are known.
  void Start() { recorder.Started(); }
  // Ends the block with `exit_code` and `status`, and a note; returns false (execution stops).
  bool Fail(int exit_code, ExecutionStatus status, std::string_view note) {
    Start();
    block.exit_code = exit_code;
    block.status = status;
    output.AppendNote(note);
    return false;
  }
  std::string_view LineBreak() const { return output.AtLineStart() ? "" : "\n"; }
};

struct BlockLoop::State {
  CommandLineOptions options;
  WorkFolder folder;
  const fs::path& work_dir() const { return folder.path(); }
  std::atomic<bool> stopped{false};
  Environment base_env;
  std::string path_env;
  std::string python;  // resolved interpreter, or empty to use the table's tools
  RunLog run_log;
  std::unique_ptr<StepRunner> runner;
  std::string place;  // the work folder where steps run

  std::mutex mutex;  // guards `prepared`
  std::map<std::string, PreparedLanguage, std::less<>> prepared;
  // Lookups cut short by a cancellation: kept (for the call that made them) but not reused.
  std::vector<std::unique_ptr<PreparedLanguage>> interrupted_lookups;
  std::mutex functions_mutex;  // held while the functions load; guards `functions_loaded`
  bool functions_loaded = false;

  const PreparedLanguage& Prepare(const LanguageSpec& spec, const CancellationToken& cancel);
  ExecutionPolicy PolicyFor(const LanguageSpec& spec) const;
  Result<void> LoadFunctions(const CancellationToken& cancel);
  std::string InPlace(const fs::path& relative) const { return place + "/" + relative.string(); }
  // One compile or run step; `run` steps get the call's standard input and arguments.
  Result<RunOutcome> RunStep(const std::vector<std::string>& command,
                             const std::map<std::string_view, std::string>& vars,
                             const PreparedLanguage& language, Clock::time_point deadline,
                             const CancellationToken& cancel, OutputCollector& output,
                             const ExecutionContext* run);
  // Runs one block; returns false when execution must stop after it.
  Result<bool> RunBlock(const CodeBlock& code_block, BlockRun& run);
  Result<bool> RunSteps(const LanguageSpec& spec, const fs::path& relative, BlockRun& run,
                        Clock::time_point start);
};

const PreparedLanguage& BlockLoop::State::Prepare(const LanguageSpec& spec,
                                                  const CancellationToken& cancel) {
  std::lock_guard lock(mutex);
  auto it = prepared.find(spec.name);
  if (it != prepared.end()) return it->second;
  PreparedLanguage language;
  language.tool = spec.name == "python" && !python.empty()
                      ? std::optional(python)
                      : runner->ResolveTool(spec, path_env, cancel);
  language.env = base_env;
  for (const std::string& entry : spec.env) {
    std::size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    if (eq != std::string::npos && !options.env.set.contains(name)) {
      language.env.Set(name, entry.substr(eq + 1));
    }
  }
  language.env.envp();  // build the pointer array now, while we hold the lock
  // A lookup the cancellation cut short is not the answer: the next call looks again.
  if (cancel.IsCancelled()) {
    interrupted_lookups.push_back(std::make_unique<PreparedLanguage>(std::move(language)));
    return *interrupted_lookups.back();
  }
  return prepared.emplace(spec.name, std::move(language)).first->second;
}

ExecutionPolicy BlockLoop::State::PolicyFor(const LanguageSpec& spec) const {
  for (const auto& [tag, policy] : options.execution_policies) {
    const LanguageSpec* match = options.languages.Find(tag);
    if (match && match->name == spec.name) return policy;
  }
  return spec.default_policy;
}

Result<RunOutcome> BlockLoop::State::RunStep(const std::vector<std::string>& command,
                                             const std::map<std::string_view, std::string>& vars,
                                             const PreparedLanguage& language,
                                             Clock::time_point deadline,
                                             const CancellationToken& cancel,
                                             OutputCollector& output, const ExecutionContext* run) {
  Step step;
  for (const auto& arg : command) step.argv.push_back(Substitute(arg, vars));
  step.env = &language.env;
  step.working_folder = place;
  if (run != nullptr) {
    step.argv.insert(step.argv.end(), run->args().begin(), run->args().end());
    if (run->standard_input()) step.standard_input = &*run->standard_input();
  }
  RunLimits limits;
  limits.deadline = deadline;
  limits.kill_grace = options.kill_grace;
  return runner->Run(step, limits, cancel, output);
}

Result<bool> BlockLoop::State::RunBlock(const CodeBlock& code_block, BlockRun& run) {
  Clock::time_point start = Clock::now();
  BlockResult& block = run.block;
  std::string tag = AsciiLower(code_block.language);
  const LanguageSpec* spec = options.languages.Find(tag);
  block.language = spec ? spec->name : code_block.language;
  run.record.language = block.language;
  if (spec == nullptr) return run.Fail(1, ExecutionStatus::kError, "\nunknown language " + tag);
  std::string code = SilencePip(code_block.code, spec->name);
  std::string name =
      RequestedFileName(code, options.languages).value_or(DefaultFileName(code, spec->extension));
  // Links in the work folder are never followed: a name reaching through one, or naming one, is
  // outside the workspace (it may point anywhere).
  auto relative = folder.files().Relative(name);
  auto kind = relative ? folder.files().KindOf(*relative) : Result<FileKind>(FileKind::kMissing);
  if (!relative || !kind || *kind == FileKind::kLink) {
    return run.Fail(1, ExecutionStatus::kError,
                    fmt::format("{}{}", run.LineBreak(), kNotInWorkspace));
  }
  fs::path path = work_dir() / *relative;
  if (auto written = WriteCodeFile(folder.files(), *relative, code); !written) {
    return run.Fail(1, ExecutionStatus::kError,
                    fmt::format("{}{}\n", run.LineBreak(), written.error().message()));
  }
  block.code_file = path;
  run.record.file = path;
  run.Start();
  if (PolicyFor(*spec) == ExecutionPolicy::kSave) {
    run.output.AppendNote(fmt::format("Code saved to {}\n", path.string()));
    return true;
  }
  return RunSteps(*spec, *relative, run, start);
}

Result<bool> BlockLoop::State::RunSteps(const LanguageSpec& spec, const fs::path& relative,
                                        BlockRun& run, Clock::time_point start) {
  const PreparedLanguage& language = Prepare(spec, run.context.cancel());
  if (!language.tool) {
    return run.Fail(127, ExecutionStatus::kSetupError,
                    fmt::format("{}cannot run {} code: none of {} is installed here. Use another "
                                "language, or install one of them.\n",
                                run.LineBreak(), spec.name, fmt::join(spec.tools, ", ")));
  }
  fs::path exe_relative = fs::path(relative).replace_extension();
  if (exe_relative == relative) exe_relative += ".out";
  std::map<std::string_view, std::string> vars = {{"tool", *language.tool},
                                                  {"file", InPlace(relative)},
                                                  {"exe", InPlace(exe_relative)},
                                                  {"dir", place}};
  Clock::time_point deadline = start + run.context.TimeoutOr(options.timeout);
  RunOutcome outcome;
  for (const auto* command : {&spec.compile, &spec.run}) {
    if (command->empty()) continue;
    auto step = RunStep(*command, vars, language, deadline, run.context.cancel(), run.output,
                        command == &spec.run ? &run.context : nullptr);
    if (!step) {
      if (step.error().code() != ErrorCode::kNotFound &&
          step.error().code() != ErrorCode::kPermissionDenied) {
        return tl::unexpected(step.error());
      }
      return run.Fail(127, ExecutionStatus::kSetupError,
                      fmt::format("{}{}\n", run.LineBreak(), step.error().message()));
    }
    outcome = *step;
    if (!outcome.note.empty()) run.output.AppendNote(outcome.note);
    if (outcome.timed_out || outcome.cancelled || outcome.exit_code != 0) break;
  }
  if (options.cleanup_code_files) {
    [[maybe_unused]] auto removed = folder.files().Remove(relative.string());
    if (!spec.compile.empty()) {
      [[maybe_unused]] auto removed_exe = folder.files().Remove(exe_relative.string());
    }
  }
  BlockResult& block = run.block;
  block.exit_code = outcome.exit_code;
  run.result.peak_memory_bytes = std::max(run.result.peak_memory_bytes, outcome.peak_memory_bytes);
  run.result.cpu_time += outcome.cpu_time;
  if (outcome.timed_out) return run.Fail(124, ExecutionStatus::kTimeout, "\nTimeout");
  if (outcome.cancelled) return run.Fail(125, ExecutionStatus::kCancelled, "\nCancelled");
  if (outcome.memory_limit_exceeded) {
    return run.Fail(outcome.exit_code == 0 ? 137 : outcome.exit_code, ExecutionStatus::kMemoryLimit,
                    "\nMemory limit exceeded");
  }
  if (outcome.policy_violation) {
    return run.Fail(outcome.exit_code, ExecutionStatus::kPolicyViolation,
                    "\nKilled: a system call the sandbox forbids");
  }
  if (outcome.exit_code != 0) {
    return run.Fail(
        outcome.exit_code,
        outcome.process_limit_reached ? ExecutionStatus::kProcessLimit : ExecutionStatus::kError,
        outcome.process_limit_reached ? "\nProcess limit reached" : "");
  }
  return true;
}

Result<void> BlockLoop::State::LoadFunctions(const CancellationToken& cancel) {
  if (options.functions.empty()) return {};
  std::lock_guard lock(functions_mutex);
  if (functions_loaded) return {};
  auto module = BuildFunctionsModule(options.functions);
  if (!module) return tl::unexpected(module.error());
  std::string module_name = options.functions_module + ".py";
  if (auto written = WriteCodeFile(folder.files(), module_name, *module); !written) return written;

  const LanguageSpec* python_spec = options.languages.Find("python");
  const PreparedLanguage* python_language = python_spec ? &Prepare(*python_spec, cancel) : nullptr;
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
                                                  {"file", InPlace(module_name)}};
  auto run = [&](std::vector<std::string> command, std::string_view what) -> Result<void> {
    OutputCollector output(options.output_limit);
    auto outcome = RunStep(command, vars, *python_language, Clock::now() + options.timeout, cancel,
                           output, nullptr);
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

Result<void> ValidateOptions(const CommandLineOptions& options) {
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

Result<std::unique_ptr<BlockLoop>> BlockLoop::Create(CommandLineOptions options,
                                                     fs::path virtual_env,
                                                     std::unique_ptr<StepRunner> runner) {
  if (auto valid = ValidateOptions(options); !valid) return tl::unexpected(valid.error());
  auto impl = std::make_unique<State>();
  impl->runner = std::move(runner);
  impl->base_env = Environment::FromOptions(options.env);
  if (!virtual_env.empty()) {
    auto python = ApplyVirtualEnv(virtual_env, impl->base_env);
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
  // Not in a temporary folder: it goes with the executor, and nobody would read the log.
  if (options.run_log && !impl->folder.owned()) {
    auto log = RunLog::Open(impl->folder.files(), kRunLogName);
    if (!log) return tl::unexpected(log.error());
    impl->run_log = std::move(*log);
  }
  impl->place = impl->runner->WorkFolderPath(impl->folder.path());
  impl->options = std::move(options);
  return std::unique_ptr<BlockLoop>(new BlockLoop(std::move(impl)));
}

Result<void> BlockLoop::CheckOptions(const CommandLineOptions& options) {
  return ValidateOptions(options);
}

BlockLoop::BlockLoop(std::unique_ptr<State> state) : state_(std::move(state)) {}
BlockLoop::~BlockLoop() = default;

const fs::path& BlockLoop::work_dir() const { return state_->work_dir(); }
const ConfinedFolder& BlockLoop::files() const { return state_->folder.files(); }
const CommandLineOptions& BlockLoop::options() const { return state_->options; }

Result<void> BlockLoop::Stop() {
  if (state_->stopped.exchange(true)) return {};
  state_->run_log = RunLog();
  return state_->folder.Remove();
}

Result<CodeResult> BlockLoop::Execute(const std::vector<CodeBlock>& blocks,
                                      const ExecutionContext& context) {
  if (state_->stopped) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the executor was stopped; create a new one to run more code");
  }
  if (auto loaded = state_->LoadFunctions(context.cancel()); !loaded) {
    return tl::unexpected(loaded.error());
  }
  CodeResult result;
  CallRecorder recorder(state_->options.output_limit, context, result);
  for (const CodeBlock& code_block : blocks) {
    BlockResult& block = recorder.BeginBlock();
    RunRecord record;
    BlockRun run{context, recorder, recorder.output(), result, block, record};
    auto go_on = state_->RunBlock(code_block, run);
    if (!go_on) return tl::unexpected(go_on.error());
    recorder.EndBlock();
    record.exit_code = block.exit_code;
    record.status = block.status;
    record.duration = block.duration;
    state_->run_log.Append(record);
    if (!*go_on) break;
  }
  recorder.Finish();
  return result;
}

}  // namespace codeexec
