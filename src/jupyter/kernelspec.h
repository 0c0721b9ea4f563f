// Kernelspecs: how to start a kernel, as installed by Jupyter packages
// (`<dir>/kernels/<name>/kernel.json`).
//
// The search path is jupyter_client's on Linux: each entry of $JUPYTER_PATH, the user's data
// folder ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter),
// /usr/local/share/jupyter, /usr/share/jupyter (Debian's python3-ipykernel installs
// /usr/share/jupyter/kernels/python3). The first folder holding a name wins. Names are matched
// case-insensitively and may use only letters, digits, '.', '_' and '-'.
#ifndef CODEEXEC_SRC_JUPYTER_KERNELSPEC_H_
#define CODEEXEC_SRC_JUPYTER_KERNELSPEC_H_

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"

namespace codeexec::jupyter {

struct KernelSpec {
  std::string name;                    // the folder name, as installed
  std::filesystem::path resource_dir;  // the folder holding kernel.json
  std::vector<std::string> argv;       // with {connection_file} etc. still in place
  std::string display_name;
  std::string language;
  std::string interrupt_mode = "signal";   // or "message"
  std::map<std::string, std::string> env;  // ${VAR} not yet expanded
};

// The kernelspec ipykernel installs as "python3" (`python3 -m ipykernel_launcher -f
// {connection_file}`), for kernels that run where this host's kernelspecs are not (a container).
KernelSpec IpykernelSpec();

// The folders that hold `kernels/` subfolders, in search order, from this process's environment.
std::vector<std::filesystem::path> KernelSearchPath();

// The kernelspec called `name` (case-insensitive) in `search_path`. Errors: kNotFound with
// "Kernel NAME is not installed." (and the installed names), kInvalidArgument for a name with
// other characters or a kernel.json that cannot be used (saying which file and why).
Result<KernelSpec> FindKernelSpec(std::string_view name,
                                  const std::vector<std::filesystem::path>& search_path);

// Reads one kernel.json.
Result<KernelSpec> LoadKernelSpec(const std::filesystem::path& resource_dir, std::string name);

// The installed kernel names (first occurrence of each), sorted.
std::vector<std::string> ListKernelNames(const std::vector<std::filesystem::path>& search_path);

// Substitutes {connection_file}, {resource_dir} and {prefix} in the argv; unknown {x} stay.
std::vector<std::string> ExpandArgv(const KernelSpec& spec,
                                    const std::filesystem::path& connection_file);

// `value` with each ${NAME} replaced by that variable from `lookup` (empty when unset).
std::string ExpandEnvValue(std::string_view value,
                           const std::function<std::string(std::string_view)>& lookup);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_KERNELSPEC_H_
