#include "jupyter/rich_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "jupyter/ids.h"
#include "process/unique_fd.h"

namespace codeexec::jupyter {
namespace {

namespace fs = std::filesystem;

// Mime strings may arrive as a list of lines (the notebook file form).
std::optional<std::string> MimeText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& part : value) {
      if (!part.is_string()) return std::nullopt;
      joined += part.get_ref<const std::string&>();
    }
    return joined;
  }
  return std::nullopt;
}

std::string EndLine(std::string text) {
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

// Writes a new file `<dir>/<random hex><extension>`; returns its path or an error text.
std::optional<fs::path> SaveFile(const fs::path& dir, std::string_view extension,
                                 std::string_view bytes, std::string& error) {
  fs::path path = dir / (NewHexId() + std::string(extension));
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  std::size_t done = 0;
  while (fd.valid() && done < bytes.size()) {
    ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (!fd.valid() || done < bytes.size()) {
    error += fmt::format("Could not save {} output to {}: {}\n", extension, path.string(),
                         std::strerror(errno));
    if (fd.valid()) unlink(path.c_str());
    return std::nullopt;
  }
  return path;
}

}  // namespace

RenderedBundle RenderMimeBundle(const json& data, const fs::path& output_dir) {
  RenderedBundle out;
  if (!data.is_object()) return out;
  auto text_of = [&](std::string_view mime) -> std::optional<std::string> {
    auto it = data.find(mime);
    return it == data.end() ? std::nullopt : MimeText(*it);
  };
  if (auto plain = text_of("text/plain")) {
    out.text += EndLine(*plain);
  } else if (auto markdown = text_of("text/markdown")) {
    out.text += EndLine(*markdown);
  } else if (auto latex = text_of("text/latex")) {
    out.text += EndLine(*latex);
  } else if (auto it = data.find("application/json"); it != data.end()) {
    out.text += EndLine(DumpJson(*it));
  }
  struct Saved {
    std::string_view mime, extension, label;
    bool base64;
  };
  static constexpr std::array<Saved, 4> kSaved = {{{"image/png", ".png", "Image", true},
                                                   {"image/jpeg", ".jpeg", "Image", true},
                                                   {"image/svg+xml", ".svg", "Image", false},
                                                   {"text/html", ".html", "HTML", false}}};
  for (const Saved& saved : kSaved) {
    auto content = text_of(saved.mime);
    if (!content) continue;
    std::optional<std::string> bytes = saved.base64 ? DecodeBase64(*content) : content;
    if (!bytes) {
      out.errors += fmt::format("Could not save {} output: it is not valid base64\n", saved.mime);
      continue;
    }
    if (auto path = SaveFile(output_dir, saved.extension, *bytes, out.errors)) {
      out.text += fmt::format("{} data saved to {}\n", saved.label, path->string());
      out.files.push_back(std::move(*path));
      out.mimes.emplace_back(saved.mime);
    }
  }
  return out;
}

std::string FormatError(const json& error_content) {
  std::string ename(Message::StringField(error_content, "ename"));
  std::string evalue(Message::StringField(error_content, "evalue"));
  std::string summary = evalue.empty() ? ename : fmt::format("{}: {}", ename, evalue);
  std::string text;
  if (auto it = error_content.find("traceback"); it != error_content.end() && it->is_array()) {
    for (const auto& frame : *it) {
      if (!frame.is_string()) continue;
      if (!text.empty() && text.back() != '\n') text.push_back('\n');
      text += StripAnsi(frame.get_ref<const std::string&>());
    }
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t last_line = text.rfind('\n');
  std::string_view last =
      last_line == std::string::npos ? text : std::string_view(text).substr(last_line + 1);
  if (!summary.empty() && last != summary) {
    if (!text.empty()) text.push_back('\n');
    text += summary;
  }
  return text + "\n";
}

std::string StripAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char kind = text[i + 1];
    if (kind == '[') {  // CSI: parameters and intermediates, then a final byte @..~
      std::size_t j = i + 2;
      while (j < text.size() && (text[j] < '@' || text[j] > '~')) ++j;
      i = j;
    } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
      std::size_t j = i + 2;
      while (j < text.size() && text[j] != '\a' &&
             !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\')) {
        ++j;
      }
      i = j < text.size() && text[j] == '\x1b' ? j + 1 : j;
    } else {
      i += 1;  // a two-byte escape
    }
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t accumulator = 0;
  int bits = 0, padding = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding > 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  if (padding > 2 || bits >= 6) return std::nullopt;
  return out;
}

}  // namespace codeexec::jupyter
