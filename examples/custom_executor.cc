// A custom executor, registered by name so that everything that creates executors through the
// registry (the CLI, the agent) can use it.
//
// DryRunExecutor runs nothing: it reports which blocks would run, in which language, and how many
// lines each has. A review step can use it to show a person what an agent wants to execute. Its
// JSON configuration has one key, "prefix", put before every line of its report.
//
//   custom_executor < message.md
#include <algorithm>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "codeexec/codeexec.h"

namespace {

class DryRunExecutor final : public codeexec::CodeExecutor {
 public:
  explicit DryRunExecutor(std::string prefix) : prefix_(std::move(prefix)) {}

  static codeexec::Result<std::unique_ptr<codeexec::CodeExecutor>> FromJson(
      std::string_view json_config) {
    auto config = nlohmann::json::parse(json_config, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) {
      return codeexec::MakeError(codeexec::ErrorCode::kInvalidArgument,
                                 "dry-run: the configuration must be a JSON object");
    }
    return std::make_unique<DryRunExecutor>(config.value("prefix", "would run"));
  }

 protected:
  codeexec::Result<void> DoRestart() override { return {}; }
  codeexec::Result<void> DoStop() override { return {}; }
  codeexec::Result<codeexec::CodeResult> DoExecuteCodeBlocks(
      const std::vector<codeexec::CodeBlock>& blocks, const codeexec::ExecutionContext&) override {
    codeexec::CodeResult result;
    for (const auto& block : blocks) {
      auto lines = 1 + std::count(block.code.begin(), block.code.end(), '\n');
      result.output += prefix_ + ": " + (block.language.empty() ? "(unknown)" : block.language) +
                       ", " + std::to_string(lines) + " line(s)\n";
    }
    result.stdout_text = result.output;
    return result;
  }

 private:
  std::string prefix_;
};

}  // namespace

int main() {
  auto& registry = codeexec::DefaultExecutorRegistry();
  if (auto registered = registry.Register("dry-run", &DryRunExecutor::FromJson); !registered) {
    std::cerr << registered.error().ToString() << "\n";
    return 2;
  }
  auto executor = registry.Create("dry-run", R"({"prefix": "would run"})");
  if (!executor) {
    std::cerr << executor.error().ToString() << "\n";
    return 2;
  }
  std::string message(std::istreambuf_iterator<char>(std::cin), {});
  auto blocks = (*executor)->code_extractor().ExtractCodeBlocks(std::string_view(message));
  auto result = (*executor)->ExecuteCodeBlocks(blocks);
  if (!result) {
    std::cerr << result.error().ToString() << "\n";
    return 1;
  }
  std::cout << codeexec::FormatReply(*result);
  return 0;
}
