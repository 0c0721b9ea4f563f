// The README's library example, built against an installed codeexec: runs a Python block with
// the local executor and prints the reply.
#include <iostream>
#include <string_view>

#include "codeexec/codeexec.h"

int main() {
  constexpr std::string_view kMessage =
      "Here is the code:\n"
      "```python\n"
      "print('consumer says', 6 * 7)\n"
      "```\n";

  codeexec::LocalExecutorOptions options;
  options.timeout = std::chrono::seconds(30);
  auto executor = codeexec::LocalCommandLineCodeExecutor::Create(options);
  if (!executor) {
    std::cerr << executor.error().ToString() << "\n";
    return 2;
  }
  auto blocks = executor->code_extractor().ExtractCodeBlocks(kMessage);
  auto result = executor->ExecuteCodeBlocks(blocks);
  if (!result) {
    std::cerr << result.error().ToString() << "\n";
    return 1;
  }
  std::cout << codeexec::FormatReply(*result);
  return result->exit_code;
}
