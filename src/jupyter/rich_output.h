// Turning what a kernel displays into what an agent reads: text, and files for everything that
// is not text (AutoGen's JupyterCodeExecutor behaviour).
//
// For a mime bundle (execute_result, display_data): text/plain is shown as text; image/png and
// image/jpeg (base64) and image/svg+xml are saved to `output_dir` as <random hex>.<ext> with a
// line "Image data saved to PATH"; text/html is saved as .html with "HTML data saved to PATH".
// Without text/plain, text/markdown, text/latex or application/json stand in as text.
#ifndef CODEEXEC_SRC_JUPYTER_RICH_OUTPUT_H_
#define CODEEXEC_SRC_JUPYTER_RICH_OUTPUT_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jupyter/message.h"

namespace codeexec::jupyter {

struct RenderedBundle {
  std::string text;                          // lines to show, each ending with '\n'
  std::vector<std::filesystem::path> files;  // saved, in the order of their lines
  std::vector<std::string> mimes;            // each file's MIME type
  std::string errors;                        // files that could not be saved, one line each
};

RenderedBundle RenderMimeBundle(const json& data, const std::filesystem::path& output_dir);

// A traceback as a terminal shows it, without the ANSI colour codes kernels put in: the frames
// joined by newlines, ending with "ename: evalue" (added when the traceback lacks it), and '\n'.
std::string FormatError(const json& error_content);

// `text` without ANSI escape sequences (CSI "ESC [ ... letter" and OSC "ESC ] ... BEL/ST").
std::string StripAnsi(std::string_view text);

// Base64 decoding that skips whitespace (Jupyter's base64 images end with "\n"); nullopt for
// any other character outside the alphabet or bad padding.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_RICH_OUTPUT_H_
