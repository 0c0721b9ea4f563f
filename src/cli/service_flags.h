// The flags `codeexec serve` and `codeexec mcp` share: which executor runs code and with which
// configuration, whether unisolated executors are allowed, and the service's limits on
// concurrency, files and the work root. One definition, so that the two front ends cannot drift.
#ifndef CODEEXEC_SRC_CLI_SERVICE_FLAGS_H_
#define CODEEXEC_SRC_CLI_SERVICE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <optional>
#include <string>

#include "service/service.h"

namespace codeexec::cli {

struct ServiceFlags {
  std::string executor = "sandbox";
  std::string config = "{}";
  bool allow_unisolated = false;
  std::size_t max_concurrent = 0;
  std::size_t max_file_size = std::size_t{64} << 20;
  std::string work_root;
};

// Registers -e/--executor, --config, --allow-unisolated, --max-concurrent, --max-file-size and
// --work-root on `command`; `files_api` names what the file limit applies to in the help.
void AddServiceFlags(CLI::App* command, ServiceFlags* flags, const std::string& files_api);

// Sets the default executor, its configuration and the limits in `options`; false with a
// message when --config names a file that cannot be read.
bool ApplyServiceFlags(const ServiceFlags& flags, service::ServiceOptions* options,
                       std::string* error);

}  // namespace codeexec::cli

#endif  // CODEEXEC_SRC_CLI_SERVICE_FLAGS_H_
