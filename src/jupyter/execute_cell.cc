#include "jupyter/execute_cell.h"

#include <algorithm>

#include "jupyter/rich_output.h"

namespace codeexec::jupyter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The state of one cell while its messages come in.
class CellState {
 public:
  CellState(std::string msg_id, bool show_traceback, const std::filesystem::path& output_dir,
            OutputCollector& output, std::vector<std::filesystem::path>& files,
            const SavedFileSink& on_file)
      : msg_id_(std::move(msg_id)),
        show_traceback_(show_traceback),
        output_dir_(output_dir),
        output_(output),
        files_(files),
        on_file_(on_file) {}

  // Takes one message; returns true if it belonged to this cell.
  bool Take(Kernel& kernel, const Incoming& incoming);
  bool complete() const { return replied_ && idle_; }
  bool failed() const { return failed_; }
  void set_interrupted() { interrupted_ = true; }

 private:
  void TakeIopub(const Message& message);
  void TakeReply(const Message& message);
  void ShowError(const json& content);
  void Write(OutputStream stream, std::string_view text);

  std::string msg_id_;
  bool show_traceback_;
  const std::filesystem::path& output_dir_;
  OutputCollector& output_;
  std::vector<std::filesystem::path>& files_;
  const SavedFileSink& on_file_;
  bool replied_ = false, idle_ = false, failed_ = false, error_shown_ = false;
  bool interrupted_ = false;
};

bool CellState::Take(Kernel& kernel, const Incoming& incoming) {
  const Message& message = incoming.message;
  if (message.parent_id() != msg_id_) return false;
  switch (incoming.channel) {
    case Channel::kIopub:
      TakeIopub(message);
      break;
    case Channel::kShell:
      if (message.msg_type() == "execute_reply") TakeReply(message);
      break;
    case Channel::kStdin:
      // Not expected with allow_stdin false; answer anyway so that no kernel waits forever.
      if (message.msg_type() == "input_request") {
        Message reply = kernel.session().MakeRequest("input_reply", {{"value", ""}});
        reply.parent_header = message.header;
        [[maybe_unused]] auto sent = kernel.Send(Channel::kStdin, reply);
        Write(OutputStream::kStderr, "\ninput() is not supported: there is no one to answer.\n");
      }
      break;
    case Channel::kControl:
      break;
  }
  return true;
}

void CellState::TakeIopub(const Message& message) {
  std::string_view type = message.msg_type();
  const json& content = message.content;
  if (type == "stream") {
    auto stream = Message::StringField(content, "name") == "stderr" ? OutputStream::kStderr
                                                                    : OutputStream::kStdout;
    output_.Append(stream, Message::StringField(content, "text"));
  } else if (type == "execute_result" || type == "display_data" || type == "update_display_data") {
    auto data = content.find("data");
    if (data == content.end()) return;
    RenderedBundle rendered = RenderMimeBundle(*data, output_dir_);
    Write(OutputStream::kStdout, rendered.text);
    Write(OutputStream::kStderr, rendered.errors);
    files_.insert(files_.end(), rendered.files.begin(), rendered.files.end());
    for (std::size_t i = 0; on_file_ && i < rendered.files.size(); ++i) {
      on_file_(rendered.files[i], rendered.mimes[i]);
    }
  } else if (type == "error") {
    failed_ = true;
    ShowError(content);
  } else if (type == "status") {
    if (Message::StringField(content, "execution_state") == "idle") idle_ = true;
  }
}

void CellState::TakeReply(const Message& message) {
  replied_ = true;
  std::string_view status = Message::StringField(message.content, "status");
  if (status == "error") {
    failed_ = true;
    ShowError(message.content);  // kernels that publish no iopub error still show one
  } else if (status == "aborted") {
    failed_ = true;
    Write(OutputStream::kStderr, "The kernel aborted the execution.\n");
  }
}

void CellState::ShowError(const json& content) {
  // The interrupt's own KeyboardInterrupt is an artefact of the timeout, not the code's output.
  if (error_shown_ || interrupted_) return;
  error_shown_ = true;
  if (show_traceback_) {
    Write(OutputStream::kStderr, FormatError(content));
  } else {
    Write(OutputStream::kStderr, FormatError({{"ename", content.value("ename", json())},
                                              {"evalue", content.value("evalue", json())}}));
  }
}

// Rendered text starts on a line of its own, as a terminal shows it.
void CellState::Write(OutputStream stream, std::string_view text) {
  if (text.empty()) return;
  if (!output_.AtLineStart()) output_.Append(stream, "\n");
  output_.Append(stream, text);
}

}  // namespace

Result<CellOutcome> ExecuteCell(Kernel& kernel, std::string_view code, const CellLimits& limits,
                                const CancellationToken& cancel,
                                const std::filesystem::path& output_dir, OutputCollector& output,
                                std::vector<std::filesystem::path>& output_files,
                                const SavedFileSink& on_file) {
  Message request = kernel.session().MakeRequest("execute_request", ExecuteRequestContent(code));
  if (auto sent = kernel.Send(Channel::kShell, request); !sent) return tl::unexpected(sent.error());
  CellState cell(std::string(request.msg_id()), limits.show_traceback, output_dir, output,
                 output_files, on_file);
  CellOutcome outcome;
  std::optional<Clock::time_point> interrupted_at;
  const int cancel_fd = cancel.wait_fd();
  while (true) {
    while (auto incoming = kernel.TryReceive()) cell.Take(kernel, *incoming);
    if (cell.complete()) break;
    if (kernel.IsDead()) {
      outcome.status = CellStatus::kKernelDied;
      outcome.death = kernel.DeathDescription();
      return outcome;
    }
    Clock::time_point now = Clock::now();
    if (!interrupted_at && (now >= limits.deadline || cancel.IsCancelled())) {
      outcome.cancelled = now < limits.deadline;
      outcome.status = outcome.cancelled ? CellStatus::kCancelled : CellStatus::kTimeout;
      interrupted_at = now;
      cell.set_interrupted();
      [[maybe_unused]] auto interrupted = kernel.Interrupt();
    }
    if (interrupted_at && now - *interrupted_at >= limits.interrupt_grace) {
      outcome.status = CellStatus::kInterruptIgnored;
      return outcome;
    }
    Clock::time_point until =
        interrupted_at ? *interrupted_at + limits.interrupt_grace : limits.deadline;
    auto wait = std::chrono::ceil<milliseconds>(until - now);
    wait = std::clamp(wait, milliseconds(0), milliseconds(1000));
    int fds[] = {cancel_fd};
    kernel.Wait(
        wait, interrupted_at || cancel_fd < 0 ? std::span<const int>() : std::span<const int>(fds));
  }
  if (!interrupted_at) outcome.status = cell.failed() ? CellStatus::kError : CellStatus::kOk;
  return outcome;
}

}  // namespace codeexec::jupyter
