#include "service/languages_info.h"

namespace codeexec::service {

std::vector<LanguageRow> LanguageRows(std::string_view path_env) {
  std::vector<LanguageRow> rows;
  for (const auto& spec : LanguageTable::Default().languages()) {
    LanguageRow row{&spec, ""};
    if (spec.default_policy == ExecutionPolicy::kRun) {
      row.tool = FindTool(spec, path_env).value_or("");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json LanguagesJson(const std::vector<LanguageRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const LanguageRow& row : rows) {
    bool runs = row.spec->default_policy == ExecutionPolicy::kRun;
    bool available = !runs || !row.tool.empty();
    out.push_back({{"name", row.spec->name},
                   {"aliases", row.spec->aliases},
                   {"extension", row.spec->extension},
                   {"policy", runs ? "run" : "save"},
                   {"available", available},
                   {"tool", runs && available ? nlohmann::json(row.tool) : nullptr}});
  }
  return out;
}

}  // namespace codeexec::service
