// MCP over stdio, the transport desktop hosts launch a server with: newline-delimited JSON-RPC
// messages in on one descriptor and out on another, one McpSession for the whole connection.
// Nothing but MCP messages is written to `out` (logs go to stderr through the log sink).
//
// ServeStdio returns when the input ends (the host closed it: the session is over), when `stop`
// fires (SIGTERM), or when the output breaks (the host went away). Before returning it closes the
// session, which cancels what still runs and frees the session's executor and work folder.
//
// A line longer than `max_message_bytes` is answered with an Invalid Request error and skipped
// without being held in memory; a line that is not JSON gets a Parse error; both keep the
// session going, as do all other bad messages.
#ifndef CODEEXEC_SRC_MCP_STDIO_TRANSPORT_H_
#define CODEEXEC_SRC_MCP_STDIO_TRANSPORT_H_

#include <cstddef>

#include "codeexec/cancellation.h"
#include "codeexec/error.h"
#include "mcp/session.h"

namespace codeexec::mcp {

struct StdioOptions {
  std::size_t max_message_bytes = std::size_t{10} << 20;
};

// Serves until the end of input; an error only when reading fails for another reason.
Result<void> ServeStdio(const McpContext& context, int in_fd, int out_fd,
                        const CancellationToken& stop, const StdioOptions& options = {});

}  // namespace codeexec::mcp

#endif  // CODEEXEC_SRC_MCP_STDIO_TRANSPORT_H_
