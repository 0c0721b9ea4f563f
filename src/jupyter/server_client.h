// ServerClient: the REST calls codeexec makes to a Jupyter Server (jupyter-server, Notebook,
// Kernel Gateway): list kernelspecs, create, interrupt and delete kernels.
//
// Every call sends "Authorization: token TOKEN" and has its own deadline. With https the
// server's certificate and host name are verified against `ca_file`, or else OpenSSL's default
// CA store (which honours SSL_CERT_FILE and SSL_CERT_DIR). Failures say what to do:
// kPermissionDenied when the server refuses the token (401 or 403), kUnavailable when it cannot
// be reached, its certificate cannot be verified or it answers with an error, kNotFound for an
// unknown kernel. Tokens never appear in messages. Thread-safe (each call has its own
// connection).
#ifndef CODEEXEC_SRC_JUPYTER_SERVER_CLIENT_H_
#define CODEEXEC_SRC_JUPYTER_SERVER_CLIENT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "codeexec/error.h"
#include "jupyter/message.h"

namespace codeexec::jupyter {

struct ServerInfo {
  std::string host = "127.0.0.1";
  int port = 8888;
  std::string token;
  bool https = false;
  // PEM file with the CA (or self-signed) certificates to trust for https; empty: the default
  // store.
  std::string ca_file;
};

// `error` with advice on trusting the server's certificate added when TLS certificate
// verification is what failed; otherwise `error` as it is.
Error WithCertificateAdvice(Error error);

class ServerClient {
 public:
  explicit ServerClient(ServerInfo info,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

  const ServerInfo& info() const { return info_; }
  // "http://HOST:PORT", for messages.
  std::string Origin() const;

  // The names of the server's kernelspecs (GET /api/kernelspecs), with their specs by name.
  Result<json> KernelSpecs() const;
  // GET /api/kernels: the ids of the kernels the server runs.
  Result<std::vector<std::string>> KernelIds() const;
  // POST /api/kernels: the new kernel's id.
  Result<std::string> CreateKernel(std::string_view name) const;
  Result<void> InterruptKernel(std::string_view id) const;
  Result<void> DeleteKernel(std::string_view id) const;

 private:
  struct Answer {
    int status = 0;
    std::string body;
  };
  Result<Answer> Call(std::string_view method, std::string_view path, std::string body,
                      std::string_view what) const;
  Result<json> ParseJson(const Answer& answer, std::string_view what) const;

  ServerInfo info_;
  std::chrono::milliseconds timeout_;
};

}  // namespace codeexec::jupyter

#endif  // CODEEXEC_SRC_JUPYTER_SERVER_CLIENT_H_
