// How a shell block (tagged bash, sh or shell) becomes a cell for an IPython kernel.
//
// People who use AutoGen's IPython executors write shell blocks in two ways: as IPython code
// (`!pip install numpy`, `!ls`, `%cd data`), which AutoGen sends to the kernel as written, and as
// real shell scripts (`cd data && ls`, loops, exit codes), which IPython runs only inside a
// %%bash / %%sh cell magic. A block that is all IPython escapes runs as written; any other runs
// as a script through the magic.
#ifndef CODEEXEC_SRC_JUPYTER_SHELL_CELL_H_
#define CODEEXEC_SRC_JUPYTER_SHELL_CELL_H_

#include <string>
#include <string_view>

namespace codeexec::jupyter {

// True when every line of `code` that is neither blank nor a `#` comment is an IPython escape: a
// shell escape (`!cmd`, `!!cmd`) or a line magic (`%magic`), each with the lines its trailing
// backslashes continue onto; or when the first such line is a cell magic (`%%bash`,
// `%%writefile f`), which takes the whole cell. At least one escape is needed, and a first line
// `#!...` (a shebang) marks a script. Lines may be indented and end in CR.
bool IsIPythonEscapeBlock(std::string_view code);

struct ShellCell {
  std::string code;
  // Wrapped in a %%bash / %%sh cell magic (a real shell script), rather than IPython code.
  bool script = false;
};

// The cell for a shell block whose canonical language is `shell` ("bash" or "sh"): `code` as
// written when IsIPythonEscapeBlock (`!pip install` lines quieted), else "%%SHELL\n" + code
// (`pip install` lines quieted).
ShellCell CellForShellBlock(std::string_view code, std::string_view shell);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_SHELL_CELL_H_
