#include "cli/service_flags.h"

#include "cli/executor_flags.h"

namespace codeexec::cli {

void AddServiceFlags(CLI::App* command, ServiceFlags* flags, const std::string& files_api) {
  command
      ->add_option("-e,--executor", flags->executor,
                   "The default executor: sandbox, docker, jupyter; local only with "
                   "--allow-unisolated.")
      ->capture_default_str();
  command->add_option("--config", flags->config,
                      "The executor's configuration, JSON or @FILE (limits, image, kernel...): "
                      "the limits clients may lower, never raise.");
  command->add_flag("--allow-unisolated", flags->allow_unisolated,
                    "Allow executors that do not isolate code from this host (local; jupyter "
                    "with a kernel on the host).");
  command->add_option("--max-concurrent", flags->max_concurrent,
                      "Executions at once (default: the number of cores).");
  command
      ->add_option("--max-file-size", flags->max_file_size,
                   "Bytes of a file written or read through " + files_api + ".")
      ->capture_default_str();
  command->add_option("--work-root", flags->work_root,
                      "Where work folders are made (default: $TMPDIR or /tmp).");
}

bool ApplyServiceFlags(const ServiceFlags& flags, service::ServiceOptions* options,
                       std::string* error) {
  auto config = TextOrFile(flags.config, error);
  if (!config) return false;
  options->policy.default_executor = flags.executor;
  options->policy.allow_unisolated = flags.allow_unisolated;
  options->policy.configs[flags.executor] = *config;
  options->max_concurrent = flags.max_concurrent;
  options->max_file_bytes = flags.max_file_size;
  options->work_root = flags.work_root;
  return true;
}

}  // namespace codeexec::cli
