#include "codeexec/jupyter_executor.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>

#include "codeexec/languages.h"
#include "codeexec/log.h"
#include "core/ascii.h"
#include "core/limits.h"
#include "core/ordered_mutex.h"
#include "core/silence_pip.h"
#include "core/work_folder.h"
#include "docker/container_options.h"
#include "jupyter/docker_kernel.h"
#include "jupyter/execute_cell.h"
#include "jupyter/kernelspec.h"
#include "jupyter/local_kernel.h"
#include "jupyter/remote_kernel.h"
#include "jupyter/sandboxed_kernel.h"
#include "jupyter/shell_cell.h"
#include "process/call_recorder.h"

namespace codeexec {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<void> ValidateOptions(const JupyterExecutorOptions& options) {
  if (auto checked = CheckTimeout(options.timeout); !checked) return checked;
  if (auto checked = CheckOutputLimit(options.output_limit); !checked) return checked;
  if (options.startup_timeout > kMaxDuration || options.interrupt_grace > kMaxDuration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "startup_timeout and interrupt_grace must be at most 30 days");
  }
  if (options.startup_timeout <= std::chrono::milliseconds(0) ||
      options.interrupt_grace < std::chrono::milliseconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "startup_timeout must be positive and interrupt_grace not negative");
  }
  const EnvironmentOptions& env = options.env;
  if (options.server && (!options.work_dir.empty() || !options.python.empty() || env.clear ||
                         !env.set.empty() || !env.unset.empty())) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "work_dir, python and env do not apply to a kernel on a Jupyter Server (it "
                     "runs where and how the server runs it); remove them, or run the kernel "
                     "locally");
  }
  if (options.server && options.isolation != JupyterIsolation::kNone) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "isolation does not apply to a kernel on a Jupyter Server (it runs where the "
                     "server runs it); remove it, or run the kernel locally");
  }
  if (options.isolation == JupyterIsolation::kDocker) {
    if (AsciiLower(options.kernel_name) != "python3") {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("a kernel in a container is the image's ipykernel "
                                   "(kernel_name \"python3\"), not {}: remove kernel_name, or run "
                                   "that kernel on this host or in the sandbox",
                                   options.kernel_name));
    }
    DockerContainerOptions container = options.docker;  // checked before anything is made
    if (auto checked = docker::CheckContainerOptions(container); !checked) return checked;
  }
  if (options.server &&
      (options.server->host.empty() || options.server->port <= 0 || options.server->port > 65535)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "jupyter_server needs a host and a port from 1 to 65535");
  }
  if (options.server && options.server->liveness_timeout < std::chrono::milliseconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "jupyter_server's liveness_timeout must not be negative (0 turns it off)");
  }
  if (options.server && !options.server->ca_file.empty() && !options.server->https) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "jupyter_server's ca_file is for https: set https to true as well");
  }
  if (options.server && !options.server->ca_file.empty() &&
      !fs::is_regular_file(options.server->ca_file)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("jupyter_server's ca_file {} is not a file; give the PEM file "
                                 "with the server's certificate or its CA",
                                 options.server->ca_file.string()));
  }
  if (!options.output_dir.empty() && !fs::is_directory(options.output_dir)) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("Output directory {} does not exist.",
                                                              options.output_dir.string()));
  }
  return {};
}

}  // namespace

struct JupyterCodeExecutor::Impl {
  JupyterExecutorOptions options;
  jupyter::KernelSpec spec;
  WorkFolder work_folder;
  fs::path output_dir;
  OrderedMutex turn;                                    // one call at a time, in arrival order
  std::unique_ptr<jupyter::KernelSandbox> sandbox;      // isolation kSandbox; outlives the kernel
  std::unique_ptr<jupyter::KernelContainer> container;  // isolation kDocker; outlives the kernel
  std::unique_ptr<jupyter::Kernel> kernel;
  std::string death;  // why the kernel died, until Restart()

  Result<void> StartKernel();
  // Starts a new kernel while the old one shuts down: a restart costs about one kernel start,
  // and a kernel that ignores the shutdown request is killed once its successor is ready
  // instead of being waited for (its state is being thrown away anyway).
  Result<void> ReplaceKernel();
  // The cell to send for `block`, or nullopt for a language this kernel cannot run.
  struct Cell {
    std::string code;
    bool shell = false;  // a shell script wrapped in a %%bash / %%sh magic
  };
  std::optional<Cell> CellFor(const CodeBlock& block) const;
  // Runs one block (the call's `index`th); returns false when execution must stop after it.
  Result<bool> RunBlock(const CodeBlock& block, int index, const ExecutionContext& context,
                        CallRecorder& recorder, BlockResult& result);
};

Result<void> JupyterCodeExecutor::Impl::StartKernel() {
  death.clear();
  if (options.server) {
    jupyter::RemoteKernelOptions remote;
    remote.server = {options.server->host, options.server->port, options.server->token,
                     options.server->https, options.server->ca_file.string()};
    remote.liveness.timeout = options.server->liveness_timeout;
    remote.liveness.interval = std::clamp(options.server->liveness_timeout / 4,
                                          std::chrono::milliseconds(10), remote.liveness.interval);
    remote.kernel_name = options.kernel_name;
    remote.startup_timeout = options.startup_timeout;
    auto started = jupyter::RemoteKernel::Start(remote);
    if (!started) return tl::unexpected(started.error());
    if (!(*started)->language().empty()) spec.language = (*started)->language();
    kernel = std::move(*started);
    return {};
  }
  jupyter::LocalKernelOptions kernel_options;
  kernel_options.python = options.python;
  kernel_options.cwd = work_folder.path();
  kernel_options.env = options.env;
  kernel_options.startup_timeout = options.startup_timeout;
  if (sandbox || container) {
    // Neither the sandbox nor the container has a network the host can reach.
    kernel_options.transport = "ipc";
    kernel_options.folder_parent = work_folder.path();
    kernel_options.env = jupyter::SandboxedKernelEnvironment(options.env);
  }
  if (sandbox) kernel_options.launcher = sandbox->launcher();
  if (container) {
    if (auto running = container->EnsureRunning(); !running) return running;
    kernel_options.launcher = container->launcher();
    kernel_options.folder_parent_in_kernel = jupyter::KernelContainer::WorkFolderInContainer();
  }
  auto started = jupyter::LocalKernel::Start(spec, kernel_options);
  if (!started) return tl::unexpected(started.error());
  kernel = std::move(*started);
  return {};
}

Result<void> JupyterCodeExecutor::Impl::ReplaceKernel() {
  std::unique_ptr<jupyter::Kernel> old = std::move(kernel);
  if (old) old->RequestShutdown();
  // An isolated kernel's run scrubs the work folder of special files as it ends: it must end
  // before its successor binds its sockets there. It dies at once, so this costs little.
  if (old && (sandbox || container)) old->Terminate();
  auto started = StartKernel();
  if (old) old->Terminate();
  return started;
}

std::optional<JupyterCodeExecutor::Impl::Cell> JupyterCodeExecutor::Impl::CellFor(
    const CodeBlock& block) const {
  const LanguageTable& table = LanguageTable::Default();
  auto canonical = [&](std::string_view tag) {
    const LanguageSpec* language = table.Find(tag);
    return language ? language->name : AsciiLower(tag);
  };
  std::string language = canonical(block.language);
  std::string kernel_language = canonical(spec.language);
  if (!language.empty() && language == kernel_language) {
    return Cell{SilencePip(block.code, language)};
  }
  if (kernel_language == "python" && (language == "bash" || language == "sh")) {
    jupyter::ShellCell cell = jupyter::CellForShellBlock(block.code, language);
    return Cell{std::move(cell.code), cell.script};
  }
  return std::nullopt;
}

Result<bool> JupyterCodeExecutor::Impl::RunBlock(const CodeBlock& block, int index,
                                                 const ExecutionContext& context,
                                                 CallRecorder& recorder, BlockResult& result) {
  OutputCollector& output = recorder.output();
  auto stop = [&](int exit_code, ExecutionStatus status, std::string_view note) {
    result.exit_code = exit_code;
    result.status = status;
    output.AppendNote(note);
    return false;
  };
  std::optional<Cell> cell = CellFor(block);
  const LanguageSpec* language = LanguageTable::Default().Find(block.language);
  result.language = language ? language->name : block.language;
  recorder.Started();
  if (!cell) {
    return stop(1, ExecutionStatus::kError, "\nunknown language " + AsciiLower(block.language));
  }
  jupyter::CellLimits limits;
  limits.deadline = Clock::now() + context.TimeoutOr(options.timeout);
  limits.interrupt_grace = options.interrupt_grace;
  limits.show_traceback = !cell->shell;  // a shell block's traceback is about the magic
  jupyter::SavedFileSink on_file;
  if (context.streaming()) {
    on_file = [&](const fs::path& path, std::string_view mime) {
      ExecutionEvent file;
      file.type = ExecutionEvent::Type::kFile;
      file.block = index;
      file.path = path;
      file.mime = std::string(mime);
      context.Emit(file);
    };
  }
  auto outcome = jupyter::ExecuteCell(*kernel, cell->code, limits, context.cancel(), output_dir,
                                      output, result.output_files, on_file);
  if (!outcome) return tl::unexpected(outcome.error());
  using jupyter::CellStatus;
  switch (outcome->status) {
    case CellStatus::kOk:
      return true;
    case CellStatus::kError:
      return stop(1, ExecutionStatus::kError, "");
    case CellStatus::kTimeout:
      return stop(1, ExecutionStatus::kTimeout, "\nTimeout");
    case CellStatus::kCancelled:
      return stop(125, ExecutionStatus::kCancelled, "\nCancelled");
    case CellStatus::kInterruptIgnored: {
      bool cancelled = outcome->cancelled;
      stop(cancelled ? 125 : 1, cancelled ? ExecutionStatus::kCancelled : ExecutionStatus::kTimeout,
           cancelled ? "\nCancelled" : "\nTimeout");
      if (auto restarted = ReplaceKernel(); !restarted) {
        death = "it ignored an interrupt and could not be restarted";
        output.AppendNote(
            fmt::format("\nThe kernel did not stop when interrupted, and starting a "
                        "new one failed: {}",
                        restarted.error().message()));
        return false;
      }
      output.AppendNote(
          "\nThe kernel did not stop when interrupted and was restarted: its state was lost.");
      return false;
    }
    case CellStatus::kKernelDied:
      death = outcome->death;
      kernel.reset();
      return stop(1, ExecutionStatus::kError,
                  fmt::format("{}The kernel died ({}): its state is lost. Call Restart() to "
                              "start a new kernel.",
                              output.AtLineStart() ? "" : "\n", death));
  }
  return false;
}

Result<JupyterCodeExecutor> JupyterCodeExecutor::Create(JupyterExecutorOptions options) {
  if (auto valid = ValidateOptions(options); !valid) return tl::unexpected(valid.error());
  auto impl = std::make_unique<Impl>();
  if (options.server) {
    impl->spec.name = options.kernel_name;
    impl->spec.language = "python";  // refined from the server's kernelspec when the kernel runs
  } else if (options.isolation == JupyterIsolation::kDocker) {
    impl->spec = jupyter::IpykernelSpec();  // the image's, whatever this host has
  } else {
    auto spec = jupyter::FindKernelSpec(options.kernel_name, jupyter::KernelSearchPath());
    if (!spec) return tl::unexpected(spec.error());
    impl->spec = std::move(*spec);
  }
  auto work_folder = WorkFolder::Prepare(options.work_dir);
  if (!work_folder) return tl::unexpected(work_folder.error());
  impl->work_folder = std::move(*work_folder);
  impl->output_dir =
      options.output_dir.empty() ? impl->work_folder.path() : fs::canonical(options.output_dir);
  impl->options = std::move(options);
  JupyterCodeExecutor executor(std::move(impl));  // from here Stop() cleans up on failure
  Impl& state = *executor.impl_;
  if (state.options.isolation == JupyterIsolation::kSandbox) {
    auto sandbox = jupyter::KernelSandbox::Create(state.work_folder.path(), state.options.sandbox);
    if (!sandbox) return tl::unexpected(sandbox.error());
    state.sandbox = std::move(*sandbox);
  }
  if (state.options.isolation == JupyterIsolation::kDocker) {
    auto container =
        jupyter::KernelContainer::Create(state.work_folder.path(), state.options.docker);
    if (!container) return tl::unexpected(container.error());
    state.container = std::move(*container);
  }
  if (auto started = executor.impl_->StartKernel(); !started) {
    return tl::unexpected(started.error());
  }
  return executor;
}

JupyterCodeExecutor::JupyterCodeExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JupyterCodeExecutor::JupyterCodeExecutor(JupyterCodeExecutor&&) noexcept = default;
JupyterCodeExecutor& JupyterCodeExecutor::operator=(JupyterCodeExecutor&& other) noexcept {
  if (this != &other) {
    if (impl_) [[maybe_unused]]
      auto stopped = Stop();
    CodeExecutor::operator=(std::move(other));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

JupyterCodeExecutor::~JupyterCodeExecutor() {
  if (impl_) [[maybe_unused]]
    auto stopped = Stop();
}

const JupyterExecutorOptions& JupyterCodeExecutor::options() const { return impl_->options; }
const fs::path& JupyterCodeExecutor::output_dir() const { return impl_->output_dir; }
const fs::path& JupyterCodeExecutor::work_dir() const { return impl_->work_folder.path(); }

int JupyterCodeExecutor::kernel_pid() const {
  auto* local = dynamic_cast<jupyter::LocalKernel*>(impl_->kernel.get());
  return local ? static_cast<int>(local->pid()) : -1;
}

fs::path JupyterCodeExecutor::connection_file() const {
  auto* local = dynamic_cast<jupyter::LocalKernel*>(impl_->kernel.get());
  return local ? local->connection_file() : fs::path();
}

std::string JupyterCodeExecutor::remote_kernel_id() const {
  auto* remote = dynamic_cast<jupyter::RemoteKernel*>(impl_->kernel.get());
  return remote ? remote->kernel_id() : std::string();
}

Result<void> JupyterCodeExecutor::DoRestart() { return impl_->ReplaceKernel(); }

Result<void> JupyterCodeExecutor::DoStop() {
  impl_->kernel.reset();
  impl_->sandbox.reset();
  impl_->container.reset();  // removes the container, which mounts the work folder
  return impl_->work_folder.Remove();
}

Result<CodeResult> JupyterCodeExecutor::DoExecuteCodeBlocks(const std::vector<CodeBlock>& blocks,
                                                            const ExecutionContext& context) {
  if (context.standard_input() || !context.args().empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the jupyter executor runs cells in a kernel: it has no standard input and "
                     "no program arguments; use a command-line executor (local, sandbox, docker) "
                     "for those");
  }
  // The kernel runs one cell at a time: calls take turns in arrival order.
  OrderedLock turn(impl_->turn, context.cancel());
  if (!impl_->kernel) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the kernel is not running ({}): call Restart() to start a new "
                                 "one",
                                 impl_->death.empty() ? "it failed to start" : impl_->death));
  }
  CodeResult result;
  CallRecorder recorder(impl_->options.output_limit, context, result);
  if ((!turn.held() || context.cancel().IsCancelled()) && !blocks.empty()) {
    result.exit_code = 125;
    result.status = ExecutionStatus::kCancelled;
    recorder.output().AppendNote("\nCancelled");
  }
  for (const CodeBlock& code_block : blocks) {
    if (result.exit_code != 0) break;
    BlockResult& block = recorder.BeginBlock();
    int index = static_cast<int>(result.blocks.size()) - 1;
    auto go_on = impl_->RunBlock(code_block, index, context, recorder, block);
    if (!go_on) return tl::unexpected(go_on.error());
    recorder.EndBlock();
    if (!*go_on) break;
  }
  recorder.Finish();
  return result;
}

}  // namespace codeexec
