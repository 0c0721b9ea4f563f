#include "core/filename.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/ascii.h"

namespace codeexec {
namespace {

// The inside of a first-line comment in one of the four accepted forms, or nullopt.
std::optional<std::string_view> CommentText(std::string_view line) {
  struct Form {
    std::string_view open, close;
  };
  static constexpr Form kForms[] = {{"<!--", "-->"}, {"/*", "*/"}, {"//", ""}, {"#", ""}};
  for (const Form& form : kForms) {
    if (!line.starts_with(form.open) || !line.ends_with(form.close)) continue;
    if (line.size() < form.open.size() + form.close.size()) continue;
    std::string_view inner =
        line.substr(form.open.size(), line.size() - form.open.size() - form.close.size());
    // `#!` (a shebang) and `#filename:` are not comments of this rule: a space must follow.
    if (form.open == "#" && (inner.empty() || (inner[0] != ' ' && inner[0] != '\t'))) {
      return std::nullopt;
    }
    return TrimBlanks(inner);
  }
  return std::nullopt;
}

bool IsKnownExtension(std::string_view ext, const LanguageTable& table) {
  static constexpr std::string_view kDataExtensions[] = {
      "txt", "md",  "json", "csv", "tsv", "yaml", "yml", "toml", "xml", "ini",
      "cfg", "sql", "ts",   "jsx", "tsx", "h",    "hpp", "cc",   "cxx", "ipynb"};
  auto same = [&](std::string_view other) {
    return ext.size() == other.size() && StartsWithNoCase(ext, other);
  };
  for (const auto& spec : table.languages()) {
    if (same(spec.extension)) return true;
  }
  return std::any_of(std::begin(kDataExtensions), std::end(kDataExtensions), same);
}

// A single token such as `test.py` or `src/main.rs` whose extension is a known one.
bool LooksLikeFileName(std::string_view token, const LanguageTable& table) {
  if (token.empty() || token.front() == '-') return false;
  bool plain = std::all_of(token.begin(), token.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-';
  });
  std::size_t dot = token.rfind('.');
  if (!plain || dot == std::string_view::npos || dot == 0 || token[dot - 1] == '/') return false;
  return IsKnownExtension(token.substr(dot + 1), table);
}

}  // namespace

std::optional<std::string> RequestedFileName(std::string_view code, const LanguageTable& table) {
  std::string_view line = TrimBlanks(code.substr(0, code.find('\n')));
  std::optional<std::string_view> comment = CommentText(line);
  if (!comment) return std::nullopt;
  constexpr std::string_view kKey = "filename:";
  if (StartsWithNoCase(*comment, kKey)) {
    std::string_view name = TrimBlanks(comment->substr(kKey.size()));
    if (name.empty()) return std::nullopt;
    return std::string(name);
  }
  if (LooksLikeFileName(*comment, table)) return std::string(*comment);
  return std::nullopt;
}

std::string DefaultFileName(std::string_view code, std::string_view extension) {
  // FNV-1a, 64 bits: stable across platforms and runs, which std::hash is not.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : code) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("tmp_code_{:016x}.{}", hash, extension);
}

}  // namespace codeexec
