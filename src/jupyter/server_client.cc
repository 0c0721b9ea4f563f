#include "jupyter/server_client.h"

#include <fmt/format.h>

#include "net/http_client.h"
#include "net/url.h"

namespace codeexec::jupyter {

namespace {

// OpenSSL's reason for a certificate that does not verify (also a host name mismatch).
bool IsCertificateFailure(std::string_view message) {
  return message.find("certificate verify failed") != std::string_view::npos;
}

}  // namespace

Error WithCertificateAdvice(Error error) {
  if (!IsCertificateFailure(error.message())) return error;
  return Error(error.code(),
               error.message() +
                   "\nThe Jupyter Server's TLS certificate could not be verified (certificate "
                   "verification failed): it is self-signed, from a CA this host does not trust, "
                   "or not issued for the host name used. To trust it, set ca_file to the "
                   "server's certificate or its CA in PEM form (JSON: \"jupyter_server\": "
                   "{\"ca_file\": \"PATH\"}), or add it to SSL_CERT_FILE or the system's CA "
                   "store; and connect with a host name the certificate names.");
}

ServerClient::ServerClient(ServerInfo info, std::chrono::milliseconds timeout)
    : info_(std::move(info)), timeout_(timeout) {}

std::string ServerClient::Origin() const {
  bool ipv6 = info_.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", info_.https ? "https" : "http", ipv6 ? "[" : "", info_.host,
                     ipv6 ? "]" : "", info_.port);
}

Result<ServerClient::Answer> ServerClient::Call(std::string_view method, std::string_view path,
                                                std::string body, std::string_view what) const {
  auto url = net::ParseUrl(Origin() + std::string(path));
  if (!url) return tl::unexpected(url.error());
  net::HttpRequest request;
  request.method = std::string(method);
  request.url = std::move(*url);
  if (!info_.token.empty()) request.headers.emplace_back("Authorization", "token " + info_.token);
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(body);
  net::HttpOptions options;
  options.timeout = timeout_;
  options.ca_file = info_.ca_file;
  auto response = net::SendHttpRequest(request, options, CancellationToken());
  if (!response) {
    if (response.error().code() == ErrorCode::kInvalidArgument) {  // an unreadable ca_file
      return tl::unexpected(response.error());
    }
    const std::string& reason = response.error().message();
    if (IsCertificateFailure(reason)) {
      return tl::unexpected(WithCertificateAdvice(Error(
          ErrorCode::kUnavailable, fmt::format("cannot connect securely to the Jupyter Server "
                                               "at {} to {}: {}",
                                               Origin(), what, reason))));
    }
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot reach the Jupyter Server at {} to {}: {}. Check that it "
                                 "runs there (jupyter server --ip=HOST --port=PORT "
                                 "--ServerApp.token=TOKEN) and the host, port and https options.",
                                 Origin(), what, reason));
  }
  if (response->status == 401 || response->status == 403) {
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("the Jupyter Server at {} refused the token (HTTP {}) when asked "
                                 "to {}: authentication failed. Check the `token` option; it "
                                 "must be the server's token (--ServerApp.token, JUPYTER_TOKEN).",
                                 Origin(), response->status, what));
  }
  return Answer{response->status, std::move(response->body)};
}

Result<json> ServerClient::ParseJson(const Answer& answer, std::string_view what) const {
  json body = json::parse(answer.body, nullptr, false);
  if (answer.status / 100 != 2 || body.is_discarded()) {
    std::string reason(body.is_object() ? Message::StringField(body, "message") : "");
    return MakeError(answer.status == 404 ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                     fmt::format("the Jupyter Server at {} could not {} (HTTP {}{}{})", Origin(),
                                 what, answer.status, reason.empty() ? "" : ": ", reason));
  }
  return body;
}

Result<json> ServerClient::KernelSpecs() const {
  auto answer = Call("GET", "/api/kernelspecs", "", "list its kernels");
  if (!answer) return tl::unexpected(answer.error());
  auto body = ParseJson(*answer, "list its kernels");
  if (!body) return body;
  if (!body->contains("kernelspecs") || !(*body)["kernelspecs"].is_object()) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("the Jupyter Server at {} sent no kernelspecs", Origin()));
  }
  return std::move((*body)["kernelspecs"]);
}

Result<std::vector<std::string>> ServerClient::KernelIds() const {
  auto answer = Call("GET", "/api/kernels", "", "list its running kernels");
  if (!answer) return tl::unexpected(answer.error());
  auto body = ParseJson(*answer, "list its running kernels");
  if (!body) return tl::unexpected(body.error());
  std::vector<std::string> ids;
  if (body->is_array()) {
    for (const auto& kernel : *body) ids.emplace_back(Message::StringField(kernel, "id"));
  }
  return ids;
}

Result<std::string> ServerClient::CreateKernel(std::string_view name) const {
  std::string what = fmt::format("start a {} kernel", name);
  auto answer = Call("POST", "/api/kernels", DumpJson(json{{"name", name}}), what);
  if (!answer) return tl::unexpected(answer.error());
  auto body = ParseJson(*answer, what);
  if (!body) return tl::unexpected(body.error());
  std::string id(Message::StringField(*body, "id"));
  if (id.empty()) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("the Jupyter Server at {} started a kernel without an id", Origin()));
  }
  return id;
}

Result<void> ServerClient::InterruptKernel(std::string_view id) const {
  auto answer =
      Call("POST", fmt::format("/api/kernels/{}/interrupt", id), "", "interrupt a kernel");
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status / 100 != 2)
    return tl::unexpected(ParseJson(*answer, "interrupt a kernel").error());
  return {};
}

Result<void> ServerClient::DeleteKernel(std::string_view id) const {
  auto answer = Call("DELETE", fmt::format("/api/kernels/{}", id), "", "shut a kernel down");
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status / 100 != 2 && answer->status != 404) {
    return tl::unexpected(ParseJson(*answer, "shut a kernel down").error());
  }
  return {};
}

}  // namespace codeexec::jupyter
