// Running a command in a container through the daemon's exec API: the Docker executor's path
// when its runner cannot be used (see container.h), and the kill that ends an exec'd block.
#ifndef CODEEXEC_SRC_DOCKER_EXEC_RUN_H_
#define CODEEXEC_SRC_DOCKER_EXEC_RUN_H_

#include <chrono>
#include <string_view>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "docker/docker_client.h"
#include "process/output_collector.h"

namespace codeexec::docker {

struct ExecOutcome {
  int exit_code = 0;
  bool timed_out = false;
  bool cancelled = false;
  bool out_of_memory = false;  // the kernel's OOM killer acted in the container during the block
};

// Runs `config` in the container, streaming its output into `output`, until it ends, the
// deadline or cancellation. When it ends, whatever it left running (of its user: all of them as
// root) is killed. At the deadline or cancellation every process in the container but its PID 1
// is killed while the stream is still read, so output produced up to the kill still arrives;
// every request before that ends with them too. Errors come from the daemon as they are (the
// caller tells whether the container is gone).
Result<ExecOutcome> RunExec(const DockerClient& client, std::string_view container_id,
                            const ExecConfig& config,
                            std::chrono::steady_clock::time_point deadline,
                            const CancellationToken& cancel, OutputCollector& output);

// Kills every process in the container except its PID 1 (`kill -9 -1`, as root, from inside).
Result<void> KillAllButInit(const DockerClient& client, std::string_view container_id);

// Seconds since the epoch, as the daemon's event filters take them.
double WallSeconds();

// Whether the daemon recorded an OOM kill in the container since `since`; the event may lag the
// kill a little, so it looks again briefly before answering no.
Result<bool> WaitForOomEvent(const DockerClient& client, std::string_view container_id,
                             double since);

}  // namespace codeexec::docker

#endif  // CODEEXEC_SRC_DOCKER_EXEC_RUN_H_
