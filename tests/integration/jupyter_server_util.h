// A real Jupyter Server for the tests: /usr/bin/jupyter-server on 127.0.0.1 with a token, a free
// port, private root, runtime and config folders, stopped (SIGTERM, then SIGKILL) with its
// kernels at destruction. With `https`, it serves TLS with a self-signed certificate for
// 127.0.0.1 made by the openssl command in its folder (ca_file()).
#ifndef CODEEXEC_TESTS_INTEGRATION_JUPYTER_SERVER_UTIL_H_
#define CODEEXEC_TESTS_INTEGRATION_JUPYTER_SERVER_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jupyter/server_client.h"
#include "process/child_process.h"
#include "process/environment.h"
#include "testing/test_util.h"

namespace codeexec::testing {

inline constexpr char kJupyterServer[] = "/usr/bin/jupyter-server";

struct JupyterServerOptions {
  std::string token = "codeexec-test-token";
  bool https = false;
  std::vector<std::string> extra_args;  // --Class.trait=value
};

class JupyterServerProcess {
 public:
  // Throws when the server cannot start (the test then fails with its log).
  explicit JupyterServerProcess(JupyterServerOptions options = {})
      : token_(options.token), https_(options.https) {
    port_ = FreePort();
    std::filesystem::create_directories(dir_.path() / "root");
    if (https_) MakeCertificate();
    EnvironmentOptions env_options;
    env_options.unset = {"MPLBACKEND", "JUPYTER_TOKEN"};
    env_options.set = {{"JUPYTER_RUNTIME_DIR", (dir_.path() / "runtime").string()},
                       {"JUPYTER_CONFIG_DIR", (dir_.path() / "config").string()},
                       {"JUPYTER_DATA_DIR", (dir_.path() / "data").string()}};
    Environment env = Environment::FromOptions(env_options);
    SpawnSpec spec;
    spec.program = kJupyterServer;
    spec.argv = {kJupyterServer, "--ip=127.0.0.1", "--port=" + std::to_string(port_),
                 "--port-retries=0", "--no-browser", "--allow-root", "--ServerApp.token=" + token_,
                 "--ServerApp.root_dir=" + (dir_.path() / "root").string(),
                 // Our own output cap is under test, not the server's rate limiter.
                 "--ServerApp.iopub_data_rate_limit=1e12", "--ServerApp.iopub_msg_rate_limit=1e9"};
    if (https_) {
      spec.argv.push_back("--ServerApp.certfile=" + ca_file());
      spec.argv.push_back("--ServerApp.keyfile=" + (dir_.path() / "key.pem").string());
    }
    spec.argv.insert(spec.argv.end(), options.extra_args.begin(), options.extra_args.end());
    spec.envp = env.envp();
    int log = open((dir_.path() / "server.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    spec.output_fd = log;
    auto child = Spawn(spec);
    close(log);
    if (!child) throw std::runtime_error("cannot start jupyter-server: " + child.error().message());
    child_.emplace(std::move(*child));
    WaitUntilAnswering();
  }

  ~JupyterServerProcess() {
    if (!child_) return;
    child_->SignalGroup(SIGTERM);
    pollfd item{child_->pidfd(), POLLIN, 0};
    if (poll(&item, 1, 10000) <= 0) child_->SignalGroup(SIGKILL);
    child_->SignalGroup(SIGKILL);  // kernels left in the group
    [[maybe_unused]] auto exit = child_->Reap();
  }

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  jupyter::ServerInfo info() const {
    return {"127.0.0.1", port_, token_, https_, https_ ? ca_file() : ""};
  }
  // The server's self-signed certificate (PEM), with https.
  std::string ca_file() const { return (dir_.path() / "cert.pem").string(); }

  std::string Log() const {
    std::ifstream in(dir_.path() / "server.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
  }

  // A self-signed certificate for 127.0.0.1 (as its subject alternative name, which host name
  // verification checks), valid for a day.
  void MakeCertificate() {
    std::string key = (dir_.path() / "key.pem").string();
    // clang-format off
    std::vector<std::string> argv = {
        "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", key, "-out", ca_file(), "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"};
    // clang-format on
    int log = open((dir_.path() / "openssl.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    SpawnSpec spec;
    spec.program = argv[0];
    spec.argv = argv;
    spec.envp = environ;
    spec.output_fd = log;
    auto child = Spawn(spec);
    close(log);
    if (!child) throw std::runtime_error("cannot run openssl: " + child.error().message());
    auto exit = child->Reap();
    if (!exit || exit->exit_code != 0 || !std::filesystem::exists(ca_file())) {
      throw std::runtime_error("openssl could not make a certificate");
    }
  }

  void WaitUntilAnswering() {
    jupyter::ServerClient client(info(), std::chrono::seconds(2));
    for (int attempt = 0; attempt < 300; ++attempt) {
      if (client.KernelSpecs()) return;
      pollfd item{child_->pidfd(), POLLIN, 0};
      if (poll(&item, 1, 100) > 0) break;  // the server exited
    }
    throw std::runtime_error("jupyter-server did not answer; its log:\n" + Log());
  }

  std::string token_;
  bool https_ = false;
  int port_ = 0;
  TempDir dir_{"jupyter-server"};
  std::optional<ChildProcess> child_;
};

}  // namespace codeexec::testing

#endif  // CODEEXEC_TESTS_INTEGRATION_JUPYTER_SERVER_UTIL_H_
