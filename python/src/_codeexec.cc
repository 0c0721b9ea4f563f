// codeexec._codeexec: the C++ library as seen from Python. The package `codeexec` (pure Python)
// builds AutoGen's classes on top of it; this module only moves data across and keeps the
// library's thread contract with the GIL:
//
// - Every call that may wait (creating an executor, running blocks, Restart, Stop) releases the
//   GIL, so other Python threads run meanwhile, and Stop() or cancel() from another thread can
//   reach a running call.
// - An on_event callback runs on one of the executor's threads, with the GIL taken for it. If it
//   raises, the call is cancelled and the exception is raised from execute() when it returns.
// - On the main thread, Ctrl-C (KeyboardInterrupt) cancels the call, waits for its processes to
//   be killed, then raises (InterruptWatcher).
// - Executor failures (codeexec::Error) raise the exception class the package registered for the
//   error's code (set_error_types), with the library's message.
// Python.h (through pybind11) must come before the system headers.
// clang-format off
#include <pybind11/pybind11.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>
// clang-format on

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codeexec/codeexec.h"

namespace py = pybind11;

namespace codeexec {
namespace {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kInternal:
      break;
  }
  return "internal";
}

// code name -> exception class, given by the package at import (codeexec/_errors.py).
py::dict& ErrorTypes() {
  static auto* types = new py::dict();  // never destroyed: outlives interpreter teardown order
  return *types;
}

// Raises the package's exception for `error`. Needs the GIL.
[[noreturn]] void RaiseError(const Error& error) {
  py::object type = py::reinterpret_borrow<py::object>(PyExc_RuntimeError);
  py::str key(std::string(ErrorCodeName(error.code())));
  if (ErrorTypes().contains(key)) type = ErrorTypes()[key];
  PyErr_SetString(type.ptr(), error.message().c_str());
  throw py::error_already_set();
}

template <typename T>
T ValueOrRaise(Result<T>&& result) {
  if (!result) RaiseError(result.error());
  return std::move(*result);
}

void OkOrRaise(const Result<void>& result) {
  if (!result) RaiseError(result.error());
}

// A block from any object with `language` and `code` (ours, AutoGen 0.2's pydantic model, 0.4's
// dataclass), or a (language, code) pair.
CodeBlock ToBlock(const py::handle& item) {
  if (py::isinstance<py::tuple>(item)) {
    auto pair = item.cast<py::tuple>();
    if (pair.size() != 2) throw py::value_error("a code block tuple is (language, code)");
    return CodeBlock{pair[0].cast<std::string>(), pair[1].cast<std::string>()};
  }
  if (!py::hasattr(item, "code") || !py::hasattr(item, "language")) {
    throw py::type_error("a code block needs `code` and `language` attributes (CodeBlock)");
  }
  py::object language = item.attr("language");
  return CodeBlock{language.is_none() ? std::string() : language.cast<std::string>(),
                   item.attr("code").cast<std::string>()};
}

std::optional<std::string> PathOrNone(const std::optional<std::filesystem::path>& path) {
  if (!path) return std::nullopt;
  return path->string();
}

double Seconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

bool OnMainThread() {
  static const uint64_t main_ident =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<uint64_t>();
  return PyThread_get_thread_ident() == main_ident;
}

// Ctrl-C during a call on the main thread. Python's own SIGINT handler only sets a flag that the
// interpreter checks between bytecodes, which a call blocked in C++ never reaches; but it also
// writes the signal's number to Python's wakeup fd. While a call runs, that fd is this watcher's
// pipe, and its thread cancels the call's token when SIGINT comes through. The call then ends as
// cancelled (the block's processes killed) and PyErr_CheckSignals raises KeyboardInterrupt.
class InterruptWatcher {
 public:
  static InterruptWatcher& Get() {
    static auto* watcher = new InterruptWatcher();  // never destroyed: its thread runs forever
    return *watcher;
  }

  bool usable() const { return write_fd_ >= 0; }

  // With the GIL, on the main thread. Returns the wakeup fd to restore.
  int Arm(const CancellationToken& token) {
    {
      std::lock_guard lock(mutex_);
      armed_ = token;
    }
    return SetWakeupFd(write_fd_);
  }

  void Disarm(int previous_fd) {
    SetWakeupFd(previous_fd);
    std::lock_guard lock(mutex_);
    armed_.reset();
  }

 private:
  InterruptWatcher() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    int flags = fcntl(fds[0], F_GETFL);
    fcntl(fds[0], F_SETFL, flags & ~O_NONBLOCK);  // the watcher blocks; Python writes non-blocking
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    std::thread([this] { Run(); }).detach();
  }

  // signal.set_wakeup_fd (the C API's PySignal_SetWakeupFd is not exported by every build).
  static int SetWakeupFd(int fd) {
    static auto* set_wakeup_fd =
        new py::object(py::module_::import("signal").attr("set_wakeup_fd"));
    return (*set_wakeup_fd)(fd).cast<int>();
  }

  void Run() {
    unsigned char signals[64];
    for (;;) {
      ssize_t n = read(read_fd_, signals, sizeof(signals));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (std::find(signals, signals + n, SIGINT) == signals + n) continue;
      std::lock_guard lock(mutex_);
      if (armed_) armed_->Cancel();
    }
  }

  int read_fd_ = -1;
  int write_fd_ = -1;
  std::mutex mutex_;
  std::optional<CancellationToken> armed_;
};

// One executor, as the package holds it.
class Executor {
 public:
  explicit Executor(std::unique_ptr<CodeExecutor> executor) : executor_(std::move(executor)) {}
  ~Executor() {
    // Stop() may wait for a container or a kernel; other Python threads go on meanwhile.
    py::gil_scoped_release release;
    executor_.reset();
  }

  CodeResult Execute(const py::iterable& py_blocks, const py::object& on_event,
                     std::optional<double> timeout, std::optional<std::string> standard_input,
                     std::vector<std::string> args, std::optional<CancellationToken> cancel) {
    std::vector<CodeBlock> blocks;
    for (const auto& item : py_blocks) blocks.push_back(ToBlock(item));

    ExecutionOptions options;
    options.cancel = cancel.value_or(CancellationToken());
    if (timeout) {
      options.timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1000));
    }
    options.standard_input = std::move(standard_input);
    options.args = std::move(args);
    std::optional<py::error_already_set> callback_error;
    if (!on_event.is_none()) {
      options.on_event = [&on_event, &callback_error,
                          token = options.cancel](const ExecutionEvent& event) {
        py::gil_scoped_acquire acquire;
        if (callback_error) return;
        try {
          on_event(event);
        } catch (py::error_already_set& error) {
          callback_error.emplace(std::move(error));
          token.Cancel();
        }
      };
    }

    uint64_t registration = Register(options.cancel);
    std::optional<Result<CodeResult>> result;
    bool watch = OnMainThread() && InterruptWatcher::Get().usable();
    if (watch && PyErr_CheckSignals() != 0) {
      Unregister(registration);
      throw py::error_already_set();
    }
    int previous_fd = watch ? InterruptWatcher::Get().Arm(options.cancel) : -1;
    {
      py::gil_scoped_release release;
      result.emplace(executor_->ExecuteCodeBlocks(blocks, options));
    }
    if (watch) InterruptWatcher::Get().Disarm(previous_fd);
    Unregister(registration);

    // KeyboardInterrupt (or what another signal handler raised), once the code is gone.
    if (watch && PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (callback_error) throw std::move(*callback_error);
    return ValueOrRaise(std::move(*result));
  }

  void Restart() {
    Result<void> result;
    {
      py::gil_scoped_release release;
      result = executor_->Restart();
    }
    OkOrRaise(result);
  }

  void Stop() {
    Result<void> result;
    {
      py::gil_scoped_release release;
      result = executor_->Stop();
    }
    OkOrRaise(result);
  }

  // Cancels every call running now (from any thread); later calls are not affected.
  void Cancel() {
    std::lock_guard lock(mutex_);
    for (const auto& [id, token] : running_) token.Cancel();
  }

  // For the benchmark: the mean seconds of `rounds` calls made from C++, with no Python in
  // between (what the package's own calls are compared against).
  double TimeCalls(const py::iterable& py_blocks, int rounds) {
    std::vector<CodeBlock> blocks;
    for (const auto& item : py_blocks) blocks.push_back(ToBlock(item));
    std::optional<Error> error;
    std::chrono::steady_clock::duration elapsed{};
    {
      py::gil_scoped_release release;
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < rounds && !error; ++i) {
        auto result = executor_->ExecuteCodeBlocks(blocks);
        if (!result) error = result.error();
      }
      elapsed = std::chrono::steady_clock::now() - start;
    }
    if (error) RaiseError(*error);
    return std::chrono::duration<double>(elapsed).count() / std::max(rounds, 1);
  }

  py::dict Info() const {
    py::dict info;
    if (auto* local = dynamic_cast<LocalCommandLineCodeExecutor*>(executor_.get())) {
      info["work_dir"] = local->work_dir().string();
    } else if (auto* docker = dynamic_cast<DockerCommandLineCodeExecutor*>(executor_.get())) {
      info["work_dir"] = docker->work_dir().string();
      info["container_name"] = docker->container_name();
      info["container_id"] = docker->container_id();
      info["uses_runner"] = docker->uses_runner();
    } else if (auto* jupyter = dynamic_cast<JupyterCodeExecutor*>(executor_.get())) {
      info["work_dir"] = jupyter->work_dir().string();
      info["output_dir"] = jupyter->output_dir().string();
      info["kernel_pid"] = jupyter->kernel_pid();
    } else if (auto* sandbox = dynamic_cast<SandboxExecutor*>(executor_.get())) {
      info["work_dir"] = sandbox->work_dir().string();
    }
    return info;
  }

 private:
  uint64_t Register(const CancellationToken& token) {
    std::lock_guard lock(mutex_);
    uint64_t id = next_id_++;
    running_.emplace_back(id, token);
    return id;
  }
  void Unregister(uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(running_, [id](const auto& entry) { return entry.first == id; });
  }

  std::unique_ptr<CodeExecutor> executor_;
  std::mutex mutex_;
  uint64_t next_id_ = 0;
  std::vector<std::pair<uint64_t, CancellationToken>> running_;
};

std::unique_ptr<Executor> CreateExecutor(const std::string& name, const std::string& config) {
  Result<std::unique_ptr<CodeExecutor>> created = MakeError(ErrorCode::kInternal, "not created");
  {
    py::gil_scoped_release release;
    created = DefaultExecutorRegistry().Create(name, config);
  }
  return std::make_unique<Executor>(ValueOrRaise(std::move(created)));
}

py::list ExtractCodeBlocks(const std::string& text) {
  static const MarkdownCodeExtractor extractor;
  py::list blocks;
  for (auto& block : extractor.ExtractCodeBlocks(std::string_view(text))) {
    blocks.append(py::make_tuple(block.language, block.code));
  }
  return blocks;
}

std::optional<std::string> CanonicalLanguage(const std::string& tag) {
  const LanguageSpec* spec = LanguageTable::Default().Find(tag);
  if (spec == nullptr) return std::nullopt;
  return spec->name;
}

void BindResults(py::module_& m) {
  py::class_<BlockResult>(m, "BlockResult")
      .def_readonly("language", &BlockResult::language)
      .def_property_readonly("code_file",
                             [](const BlockResult& r) { return PathOrNone(r.code_file); })
      .def_readonly("exit_code", &BlockResult::exit_code)
      .def_property_readonly("status",
                             [](const BlockResult& r) { return std::string(ToString(r.status)); })
      .def_readonly("output", &BlockResult::output)
      .def_readonly("stdout", &BlockResult::stdout_text)
      .def_readonly("stderr", &BlockResult::stderr_text)
      .def_property_readonly("output_files",
                             [](const BlockResult& r) {
                               std::vector<std::string> files;
                               for (const auto& f : r.output_files) files.push_back(f.string());
                               return files;
                             })
      .def_property_readonly("duration", [](const BlockResult& r) { return Seconds(r.duration); });

  py::class_<CodeResult>(m, "CodeResult")
      .def_readonly("exit_code", &CodeResult::exit_code)
      .def_readonly("output", &CodeResult::output)
      .def_property_readonly("code_file",
                             [](const CodeResult& r) { return PathOrNone(r.code_file); })
      .def_property_readonly("output_files",
                             [](const CodeResult& r) {
                               std::vector<std::string> files;
                               for (const auto& f : r.output_files) files.push_back(f.string());
                               return files;
                             })
      .def_property_readonly("status",
                             [](const CodeResult& r) { return std::string(ToString(r.status)); })
      .def_readonly("stdout", &CodeResult::stdout_text)
      .def_readonly("stderr", &CodeResult::stderr_text)
      .def_property_readonly("duration", [](const CodeResult& r) { return Seconds(r.duration); })
      .def_readonly("truncated", &CodeResult::truncated)
      .def_readonly("peak_memory_bytes", &CodeResult::peak_memory_bytes)
      .def_property_readonly("cpu_time", [](const CodeResult& r) { return Seconds(r.cpu_time); })
      .def_readonly("blocks", &CodeResult::blocks);
}

void BindEvent(py::module_& m) {
  py::class_<ExecutionEvent>(m, "Event")
      .def_property_readonly("type",
                             [](const ExecutionEvent& e) { return std::string(ToString(e.type)); })
      .def_readonly("block", &ExecutionEvent::block)
      .def_readonly("language", &ExecutionEvent::language)
      .def_property_readonly("code_file",
                             [](const ExecutionEvent& e) { return PathOrNone(e.code_file); })
      .def_readonly("text", &ExecutionEvent::text)
      .def_property_readonly("path",
                             [](const ExecutionEvent& e) {
                               return e.type == ExecutionEvent::Type::kFile
                                          ? std::optional<std::string>(e.path.string())
                                          : std::nullopt;
                             })
      .def_readonly("mime", &ExecutionEvent::mime)
      .def_readonly("exit_code", &ExecutionEvent::exit_code)
      .def_property_readonly(
          "status", [](const ExecutionEvent& e) { return std::string(ToString(e.status)); })
      .def_property_readonly("duration",
                             [](const ExecutionEvent& e) { return Seconds(e.duration); })
      .def("to_json", [](const ExecutionEvent& e) { return EventToJson(e); })
      .def("__repr__", [](const ExecutionEvent& e) { return "<Event " + EventToJson(e) + ">"; });
}

}  // namespace
}  // namespace codeexec

PYBIND11_MODULE(_codeexec, m) {
  using namespace codeexec;
  m.doc() = "codeexec's C++ executors; use the `codeexec` package rather than this module.";

  m.def(
      "set_error_types", [](py::dict types) { ErrorTypes() = std::move(types); },
      "Exception classes by error code name.");

  py::class_<CancellationToken>(m, "CancellationToken")
      .def(py::init<>())
      .def("cancel", &CancellationToken::Cancel)
      .def("is_cancelled", &CancellationToken::IsCancelled);

  BindResults(m);
  BindEvent(m);

  py::class_<Executor>(m, "Executor")
      .def("execute", &Executor::Execute, py::arg("blocks"), py::arg("on_event") = py::none(),
           py::arg("timeout") = py::none(), py::arg("stdin") = py::none(),
           py::arg("args") = std::vector<std::string>(), py::arg("cancel") = py::none())
      .def("restart", &Executor::Restart)
      .def("stop", &Executor::Stop)
      .def("cancel", &Executor::Cancel)
      .def("info", &Executor::Info)
      .def("time_calls", &Executor::TimeCalls, py::arg("blocks"), py::arg("rounds"));

  m.def("create", &CreateExecutor, py::arg("name"), py::arg("config") = "{}",
        "Creates a built-in executor by name from a JSON configuration.");
  m.def("extract_code_blocks", &ExtractCodeBlocks, py::arg("text"),
        "(language, code) for each Markdown code block of `text`.");
  m.def("infer_language", [](const std::string& code) { return InferLanguage(code); });
  m.def("canonical_language", &CanonicalLanguage, py::arg("tag"),
        "The language table's name for a fence tag or alias, or None when unknown.");
  m.def("format_reply", [](const std::string& output, int exit_code) {
    CodeResult result;
    result.exit_code = exit_code;
    result.output = output;
    return FormatReply(result);
  });
}
