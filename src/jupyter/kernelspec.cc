#include "jupyter/kernelspec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/ascii.h"

namespace codeexec::jupyter {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Getenv(const char* name) {
  const char* value = getenv(name);
  return value ? value : "";
}

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Each kernel folder under the search path, first occurrence of a (lowercased) name only.
std::map<std::string, fs::path> InstalledKernels(const std::vector<fs::path>& search_path) {
  std::map<std::string, fs::path> found;
  for (const fs::path& root : search_path) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "kernels", ec)) {
      std::string name = entry.path().filename().string();
      if (IsValidName(name) && fs::is_regular_file(entry.path() / "kernel.json", ec)) {
        found.emplace(AsciiLower(name), entry.path());
      }
    }
  }
  return found;
}

Result<void> Invalid(const fs::path& file, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("the kernelspec {} cannot be used: {}", file.string(), why));
}

}  // namespace

std::vector<fs::path> KernelSearchPath() {
  std::vector<fs::path> path;
  std::stringstream jupyter_path(Getenv("JUPYTER_PATH"));
  for (std::string entry; std::getline(jupyter_path, entry, ':');) {
    if (!entry.empty()) path.emplace_back(entry);
  }
  if (std::string data = Getenv("JUPYTER_DATA_DIR"); !data.empty()) {
    path.emplace_back(data);
  } else if (std::string xdg = Getenv("XDG_DATA_HOME"); !xdg.empty()) {
    path.push_back(fs::path(xdg) / "jupyter");
  } else if (std::string home = Getenv("HOME"); !home.empty()) {
    path.push_back(fs::path(home) / ".local/share/jupyter");
  }
  path.emplace_back("/usr/local/share/jupyter");
  path.emplace_back("/usr/share/jupyter");
  return path;
}

Result<KernelSpec> LoadKernelSpec(const fs::path& resource_dir, std::string name) {
  fs::path file = resource_dir / "kernel.json";
  std::ifstream in(file);
  if (!in) return tl::unexpected(Invalid(file, "it cannot be read").error());
  json spec = json::parse(in, nullptr, false);
  if (!spec.is_object()) return tl::unexpected(Invalid(file, "it is not a JSON object").error());
  KernelSpec out;
  out.name = std::move(name);
  out.resource_dir = resource_dir;
  try {
    out.argv = spec.at("argv").get<std::vector<std::string>>();
    out.display_name = spec.value("display_name", out.name);
    out.language = spec.value("language", "");
    out.interrupt_mode = spec.value("interrupt_mode", "signal");
    out.env = spec.value("env", std::map<std::string, std::string>{});
  } catch (const json::exception& e) {
    return tl::unexpected(Invalid(file, e.what()).error());
  }
  if (out.argv.empty()) return tl::unexpected(Invalid(file, "its argv is empty").error());
  if (out.interrupt_mode != "signal" && out.interrupt_mode != "message") {
    return tl::unexpected(
        Invalid(file, "interrupt_mode must be \"signal\" or \"message\"").error());
  }
  return out;
}

Result<KernelSpec> FindKernelSpec(std::string_view name, const std::vector<fs::path>& search_path) {
  if (!IsValidName(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("Kernel name '{}' is not valid: kernel names use only letters, "
                                 "digits, '.', '_' and '-'.",
                                 name));
  }
  auto installed = InstalledKernels(search_path);
  auto it = installed.find(AsciiLower(name));
  if (it == installed.end()) {
    std::vector<std::string> names;
    for (const auto& [lower, dir] : installed) names.push_back(dir.filename().string());
    return MakeError(
        ErrorCode::kNotFound,
        fmt::format("Kernel {} is not installed. Installed kernels: {}.", name,
                    names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  return LoadKernelSpec(it->second, it->second.filename().string());
}

std::vector<std::string> ListKernelNames(const std::vector<fs::path>& search_path) {
  std::vector<std::string> names;
  for (const auto& [lower, dir] : InstalledKernels(search_path)) {
    names.push_back(dir.filename().string());
  }
  return names;
}

KernelSpec IpykernelSpec() {
  KernelSpec spec;
  spec.name = "python3";
  spec.argv = {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"};
  spec.display_name = "Python 3 (ipykernel)";
  spec.language = "python";
  return spec;
}

std::vector<std::string> ExpandArgv(const KernelSpec& spec, const fs::path& connection_file) {
  const std::pair<std::string_view, std::string> vars[] = {
      {"{connection_file}", connection_file.string()},
      {"{resource_dir}", spec.resource_dir.string()},
      // <prefix>/share/jupyter/kernels/<name>, the layout every installer uses.
      {"{prefix}",
       spec.resource_dir.parent_path().parent_path().parent_path().parent_path().string()}};
  std::vector<std::string> argv;
  for (std::string arg : spec.argv) {
    for (const auto& [pattern, value] : vars) {
      for (std::size_t at = arg.find(pattern); at != std::string::npos;
           at = arg.find(pattern, at + value.size())) {
        arg.replace(at, pattern.size(), value);
      }
    }
    argv.push_back(std::move(arg));
  }
  return argv;
}

std::string ExpandEnvValue(std::string_view value,
                           const std::function<std::string(std::string_view)>& lookup) {
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t open = value.find("${", i);
    std::size_t close = open == std::string_view::npos ? open : value.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out.append(value.substr(i, open - i));
    out.append(lookup(value.substr(open + 2, close - open - 2)));
    i = close + 1;
  }
  out.append(value.substr(std::min(i, value.size())));
  return out;
}

}  // namespace codeexec::jupyter
