#include "jupyter/shell_cell.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/silence_pip.h"

namespace codeexec::jupyter {
namespace {

// `line` without its indentation and its CR (CRLF blocks).
std::string_view Trimmed(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  std::size_t first = line.find_first_not_of(" \t");
  return first == std::string_view::npos ? std::string_view() : line.substr(first);
}

}  // namespace

bool IsIPythonEscapeBlock(std::string_view code) {
  bool at_start = true;     // no line but blank ones seen yet
  bool continued = false;   // the escape on the previous line ends in a backslash
  bool any_escape = false;  // comments alone are not IPython code
  std::size_t start = 0;
  while (start <= code.size()) {
    std::size_t end = std::min(code.find('\n', start), code.size());
    std::string_view line = Trimmed(code.substr(start, end - start));
    start = end + 1;
    if (continued) {  // a continuation line of the escape above, whatever it holds
      continued = line.ends_with('\\');
      continue;
    }
    if (line.empty()) continue;
    // IPython takes a cell magic only on the first line; a shebang there marks a script.
    if (line.starts_with("%%")) return at_start;
    if (at_start && line.starts_with("#!")) return false;
    at_start = false;
    if (line.starts_with('#')) continue;
    if (!line.starts_with('!') && !line.starts_with('%')) return false;
    any_escape = true;
    continued = line.ends_with('\\');
  }
  return any_escape;
}

ShellCell CellForShellBlock(std::string_view code, std::string_view shell) {
  if (IsIPythonEscapeBlock(code)) return {SilencePip(code, "python"), false};
  return {fmt::format("%%{}\n{}", shell, SilencePip(code, shell)), true};
}

}  // namespace codeexec::jupyter
