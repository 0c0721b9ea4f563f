// The file-name rule: which file in the work folder a code block is written to.
//
// A block chooses its file name with a comment on its first line: `# filename: NAME`,
// `// filename: NAME`, `/* filename: NAME */` or `<!-- filename: NAME -->`. The bare forms
// (`# test.py`) count only when the comment is a single token that looks like a file name with a
// known extension, so that an ordinary first-line comment (`# Calculate the sum`) is not taken for
// one (an AutoGen 0.2 defect). Other blocks get `tmp_code_<hash of the code>.<ext>`.
#ifndef CODEEXEC_SRC_CORE_FILENAME_H_
#define CODEEXEC_SRC_CORE_FILENAME_H_

#include <optional>
#include <string>
#include <string_view>

#include "codeexec/languages.h"

namespace codeexec {

// The text of the error a block gets when its file would land outside the work folder.
inline constexpr std::string_view kNotInWorkspace = "Filename is not in the workspace";

// The name requested on the first line of `code`, if any. `table` supplies the known extensions
// for the bare form.
std::optional<std::string> RequestedFileName(std::string_view code, const LanguageTable& table);

// "tmp_code_<16 hex digits>.<extension>", the digits a stable hash of `code`.
std::string DefaultFileName(std::string_view code, std::string_view extension);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_FILENAME_H_
