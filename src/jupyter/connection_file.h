// ConnectionInfo: where a kernel listens and the key that signs its messages (the "connection
// file" of the Jupyter docs), and how a client picks them for a kernel it starts.
#ifndef CODEEXEC_SRC_JUPYTER_CONNECTION_FILE_H_
#define CODEEXEC_SRC_JUPYTER_CONNECTION_FILE_H_

#include <filesystem>
#include <string>

#include "codeexec/error.h"

namespace codeexec::jupyter {

struct ConnectionInfo {
  std::string transport = "tcp";  // or "ipc"
  std::string ip = "127.0.0.1";
  int shell_port = 0;
  int iopub_port = 0;
  int stdin_port = 0;
  int control_port = 0;
  int hb_port = 0;
  std::string key;
  std::string signature_scheme = "hmac-sha256";
  std::string kernel_name;

  // "tcp://127.0.0.1:PORT", or "ipc://IP-PORT" for the ipc transport.
  std::string Endpoint(int port) const;
  // The connection file's JSON text.
  std::string ToJson() const;
  static Result<ConnectionInfo> FromJson(std::string_view text);
};

// A connection for a kernel this process starts on 127.0.0.1: a random 128-bit key and five
// free TCP ports. The ports are found by binding to port 0 and closing again, as jupyter_client
// does; that leaves a short window in which another program could take one, so ports handed out
// by this process are not handed out again soon.
Result<ConnectionInfo> NewLocalConnection(std::string kernel_name);

// A connection over Unix-domain sockets (transport "ipc"): a random key and the five paths
// `<prefix>-1` ... `<prefix>-5`, Jupyter's naming of ipc endpoints (`ip` holds the prefix).
// Fails when the paths do not fit in a socket address (107 bytes).
Result<ConnectionInfo> NewIpcConnection(std::string kernel_name,
                                        const std::filesystem::path& prefix);

// Writes `info` to a new file `path` readable only by its owner (0600). Fails if it exists.
Result<void> WriteConnectionFile(const std::filesystem::path& path, const ConnectionInfo& info);

Result<ConnectionInfo> ReadConnectionFile(const std::filesystem::path& path);

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_CONNECTION_FILE_H_
