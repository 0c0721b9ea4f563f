// The language table as clients see it: each language, its aliases and extension, whether it
// runs or is only saved, and whether its tool is installed here. `codeexec languages --json` and
// GET /v1/languages print the same list.
#ifndef CODEEXEC_SRC_SERVICE_LANGUAGES_INFO_H_
#define CODEEXEC_SRC_SERVICE_LANGUAGES_INFO_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/languages.h"

namespace codeexec::service {

struct LanguageRow {
  const LanguageSpec* spec;
  // The tool that runs it on `path_env` (absolute path); empty when save-only or not installed.
  std::string tool;
};

// Every language of the default table, with its tool looked up on `path_env` (a PATH value).
std::vector<LanguageRow> LanguageRows(std::string_view path_env);

// [{name, aliases, extension, policy: "run"|"save", available, tool|null}].
nlohmann::json LanguagesJson(const std::vector<LanguageRow>& rows);

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_LANGUAGES_INFO_H_
