// `codeexec languages`: every language in the table, its aliases, and whether it runs here.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdlib.h>

#include <iostream>

#include "cli/commands.h"
#include "codeexec/languages.h"
#include "service/languages_info.h"

namespace codeexec::cli {
namespace {

// "save only", the tool's path, or what to install.
std::string Status(const service::LanguageRow& row) {
  if (row.spec->default_policy == ExecutionPolicy::kSave) return "save only";
  if (!row.tool.empty()) return row.tool;
  return fmt::format("not installed (needs {})", fmt::join(row.spec->tools, " or "));
}

void PrintTable(const std::vector<service::LanguageRow>& rows) {
  fmt::print("{:<12} {:<26} {:<6} {}\n", "LANGUAGE", "ALIASES", "EXT", "RUNS WITH");
  for (const auto& row : rows) {
    // Joined first: a width given to fmt::join pads each alias, not the column.
    fmt::print("{:<12} {:<26} {:<6} {}\n", row.spec->name,
               fmt::format("{}", fmt::join(row.spec->aliases, ", ")), row.spec->extension,
               Status(row));
  }
}

}  // namespace

void AddLanguagesCommand(CLI::App& app, int* status) {
  auto* command = app.add_subcommand(
      "languages", "List the languages codeexec knows and whether each can run on this machine.");
  auto json = std::make_shared<bool>(false);
  command->add_flag("--json", *json, "Print the list as JSON.");
  command->callback([json, status] {
    const char* path = getenv("PATH");
    auto rows = service::LanguageRows(path ? path : "");
    if (*json) {
      std::cout << service::LanguagesJson(rows).dump(2) << "\n";
    } else {
      PrintTable(rows);
    }
    *status = 0;
  });
}

}  // namespace codeexec::cli
