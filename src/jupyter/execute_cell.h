// Running one cell on a kernel: send execute_request, collect what the kernel publishes about it
// until the cell is complete, and render it.
//
// Complete means both the execute_reply (shell) and the status "idle" (iopub) whose parent is the
// request have arrived, in either order: the protocol does not order the two channels. Messages
// for other requests (late replies, other clients) are ignored. iopub is read the whole time, so
// no output waits in a queue (a full queue drops messages, the final idle among them).
//
// Stream text goes to the collector as it arrives, never joined with extra newlines (one print
// may come in several stream messages). Results and displays are rendered by RenderMimeBundle;
// errors by FormatError, to stderr.
//
// On the deadline or cancellation the kernel is interrupted once and the cell keeps being read
// for `interrupt_grace`, so that its state is kept and the output so far too; what the interrupt
// itself produces (the KeyboardInterrupt traceback) is not shown. A kernel that dies, or that
// does not finish within the grace after an interrupt, ends the wait at once.
#ifndef CODEEXEC_SRC_JUPYTER_EXECUTE_CELL_H_
#define CODEEXEC_SRC_JUPYTER_EXECUTE_CELL_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "jupyter/kernel.h"
#include "process/output_collector.h"

namespace codeexec::jupyter {

struct CellLimits {
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds interrupt_grace{std::chrono::seconds(5)};
  // Show errors with their traceback; false shows only "ename: evalue" (for cells that wrap
  // the user's code in a magic, whose traceback would be about the wrapper).
  bool show_traceback = true;
};

enum class CellStatus {
  kOk,
  kError,             // the code raised (or the kernel replied "error"/"aborted")
  kTimeout,           // interrupted at the deadline; the kernel finished the cell
  kCancelled,         // interrupted on cancellation; the kernel finished the cell
  kInterruptIgnored,  // interrupted (timeout or cancellation) but the cell did not finish
  kKernelDied,        // the kernel died while running the cell
};

struct CellOutcome {
  CellStatus status = CellStatus::kOk;
  bool cancelled = false;  // with kInterruptIgnored: the interrupt was for cancellation
  std::string death;       // with kKernelDied: why (from Kernel::DeathDescription)
};

// Called for each file the cell's output was saved to, as it is saved.
using SavedFileSink = std::function<void(const std::filesystem::path& path, std::string_view mime)>;

// Errors are for failing to send the request; everything the code does is in the outcome.
Result<CellOutcome> ExecuteCell(Kernel& kernel, std::string_view code, const CellLimits& limits,
                                const CancellationToken& cancel,
                                const std::filesystem::path& output_dir, OutputCollector& output,
                                std::vector<std::filesystem::path>& output_files,
                                const SavedFileSink& on_file = {});

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_EXECUTE_CELL_H_
