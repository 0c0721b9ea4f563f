// The upper layer of a sandbox run: what the code wrote to the work folder, held apart in a tmpfs
// of the run's own (whose size and file count are the work folder's remaining allowance), and
// applied to the host's folder once the run is over and nothing in the sandbox can change it.
//
// Applying is the only way code's files reach the host, so it decides what may: regular files,
// folders and links, each owned by the work folder's owner, without setuid, setgid or sticky
// bits, with their modification times; deletions (the overlay's whiteouts) and replaced folders
// (opaque ones). FIFOs, sockets and device nodes are not carried over. Nothing is followed on
// either side: the layer is read without following links and the host folder is written through
// ConfinedFolder.
#ifndef CODEEXEC_SRC_SANDBOX_UPPER_LAYER_H_
#define CODEEXEC_SRC_SANDBOX_UPPER_LAYER_H_

#include <sys/types.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <string>

#include "codeexec/error.h"
#include "core/confined_folder.h"

namespace codeexec {

struct LayerReport {
  int64_t bytes_added = 0;    // the folder's net growth in bytes of regular files (may be < 0)
  int64_t entries_added = 0;  // and in entries (files, folders and links)
  int skipped = 0;            // FIFOs, sockets and devices not carried over
  int dropped = 0;            // new entries not carried over: past the budget
  bool full = false;          // the layer ran out of space or entries: the code hit the limit
};

// What the folder may still grow by; deletions applied first add to it.
struct LayerBudget {
  int64_t bytes = INT64_MAX;
  int64_t entries = INT64_MAX;
};

// Applies the layer mounted at `layer` (the run's tmpfs, holding the overlay's "upper" folder)
// to `work`, creating what it adds as `owner`:`group`. Deletions first (whiteouts, replaced
// folders, anything a file took the place of), then what was added or changed; a new entry that
// the budget no longer allows is dropped (changes to existing files always apply: the layer's size
// bounded them).
Result<LayerReport> ApplyUpperLayer(int layer, const ConfinedFolder& work, uid_t owner, gid_t group,
                                    LayerBudget budget = {});

// How much the code of an executor may add to its work folder, over the executor's life: the
// limits, and the growth applied so far (it shrinks when code deletes). Thread-safe.
class WorkFolderAllowance {
 public:
  WorkFolderAllowance(uint64_t bytes, uint64_t entries) : bytes_(bytes), entries_(entries) {}

  // The tmpfs options of the next run's layer: what is left of the size limit (its writes) and
  // the whole file limit (deleting takes an entry in the layer too: a block can always delete).
  std::string LayerOptions() const;
  // What is left, for applying a run's layer.
  LayerBudget Budget() const;
  void Record(const LayerReport& report);
  // "512 MiB and 16384 files", for messages.
  std::string Describe() const;

 private:
  uint64_t bytes_, entries_;
  std::atomic<int64_t> bytes_used_{0}, entries_used_{0};
};

}  // namespace codeexec

#endif  // CODEEXEC_SRC_SANDBOX_UPPER_LAYER_H_
