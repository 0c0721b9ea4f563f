// Piston's API (engineer-man/piston v2), so that Piston's client libraries work against codeexec
// unchanged:
//   GET  /api/v2/runtimes  -> [{"language", "version", "aliases"}], one per language that runs
//                             here, its version read from its tool (`python3 --version`, ...)
//   POST /api/v2/execute   {"language", "version", "files": [{"name", "content", "encoding":
//                          "utf8"|"base64"|"hex"}], "stdin", "args", "run_timeout",
//                          "compile_timeout" (ms), "run_memory_limit", "compile_memory_limit"
//                          (bytes, -1: the server's), "run_cpu_time", "compile_cpu_time" (ms)}
//                          -> {"language", "version", "run": {"stdout", "stderr", "output",
//                          "code", "signal", "message", "status", "cpu_time", "wall_time",
//                          "memory"}}; errors 400 {"message"}.
// Each request is a one-shot execution with the server's default executor: the first file is
// the program, the others are placed beside it. `version` is accepted whatever it says (each
// language has one runtime here). codeexec compiles and runs in one step, so a compiled
// language's "compile" stage is folded into "run", and its timeout is run_timeout +
// compile_timeout. Timeouts below codeexec's minimum of 1 s are raised to it.
#ifndef CODEEXEC_SRC_SERVER_PISTON_H_
#define CODEEXEC_SRC_SERVER_PISTON_H_

#include <nlohmann/json.hpp>

#include "codeexec/types.h"
#include "server/router.h"
#include "service/requests.h"
#include "service/service.h"
#include "service/work_queue.h"

namespace codeexec::server {

// A Piston execute request as the service's, with the executor configuration it implies; or a
// message for a 400 answer.
service::ServiceResult<service::ExecuteRequest> PistonToExecuteRequest(const nlohmann::json& body);

// Piston's "run" object for a result.
nlohmann::json PistonRun(const CodeResult& result);

void AddPistonApi(Router& router, service::Service& service, service::WorkQueue& control);

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_PISTON_H_
