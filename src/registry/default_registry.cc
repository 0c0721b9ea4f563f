#include "codeexec/docker_executor.h"
#include "codeexec/jupyter_executor.h"
#include "codeexec/local_executor.h"
#include "codeexec/registry.h"
#include "codeexec/sandbox_executor.h"

namespace codeexec {

ExecutorRegistry& DefaultExecutorRegistry() {
  static ExecutorRegistry* registry = [] {
    auto* built = new ExecutorRegistry();  // never destroyed: usable during static destruction
    [[maybe_unused]] auto local = built->Register("local", &LocalCommandLineCodeExecutor::FromJson);
    [[maybe_unused]] auto docker =
        built->Register("docker", &DockerCommandLineCodeExecutor::FromJson);
    [[maybe_unused]] auto sandbox = built->Register("sandbox", &SandboxExecutor::FromJson);
    [[maybe_unused]] auto jupyter = built->Register("jupyter", &JupyterCodeExecutor::FromJson);
    RegisterAutoGenAliases(*built);
    return built;
  }();
  return *registry;
}

}  // namespace codeexec
