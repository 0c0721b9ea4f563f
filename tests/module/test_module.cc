// A shared module, as the Python extension is: it links codeexec::codeexec and exports one C
// function, which module_test.cc calls after dlopen.
#include <string>

#include "codeexec/codeexec.h"

// The reply to `message` (its blocks run by a local executor), or the executor's error; valid
// until the next call.
extern "C" __attribute__((visibility("default"))) const char* codeexec_test_module_reply(
    const char* message) {
  static std::string reply;
  auto executor = codeexec::LocalCommandLineCodeExecutor::Create();
  if (!executor) return (reply = executor.error().ToString()).c_str();
  auto result = executor->ExecuteCodeBlocks(
      executor->code_extractor().ExtractCodeBlocks(std::string_view(message)));
  reply = result ? codeexec::FormatReply(*result) : result.error().ToString();
  return reply.c_str();
}
