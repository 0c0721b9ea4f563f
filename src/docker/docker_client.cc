#include "docker/docker_client.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "docker/multiplexed_stream.h"

namespace codeexec::docker {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// "1.41" -> {1, 41}; {0, 0} when malformed.
std::pair<int, int> ParseVersion(std::string_view version) {
  int major = 0, minor = 0;
  if (std::sscanf(std::string(version).c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
  return {major, minor};
}

ErrorCode CodeForStatus(unsigned status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kFailedPrecondition;
    default:
      return ErrorCode::kInternal;
  }
}

// Parses a JSON body; malformed JSON is the daemon's fault, reported as kInternal.
Result<json> ParseBody(const HttpResponse& response, std::string_view what) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("the Docker daemon's answer to {} is not JSON: {}", what,
                                 response.body.substr(0, 200)));
  }
  return body;
}

std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json ContainerBody(const ContainerConfig& config) {
  json host = {{"AutoRemove", config.auto_remove}};
  if (!config.binds.empty()) host["Binds"] = config.binds;
  if (!config.extra_hosts.empty()) host["ExtraHosts"] = config.extra_hosts;
  if (!config.network_mode.empty()) host["NetworkMode"] = config.network_mode;
  if (config.memory_bytes > 0) {
    host["Memory"] = config.memory_bytes;
    host["MemorySwap"] = config.memory_bytes;  // no swap beyond the limit
  }
  if (config.nano_cpus > 0) host["NanoCpus"] = config.nano_cpus;
  if (config.pids_limit > 0) host["PidsLimit"] = config.pids_limit;
  if (!config.tmpfs.empty()) host["Tmpfs"] = config.tmpfs;
  if (!config.cap_drop.empty()) host["CapDrop"] = config.cap_drop;
  if (!config.cap_add.empty()) host["CapAdd"] = config.cap_add;
  if (!config.security_opt.empty()) host["SecurityOpt"] = config.security_opt;
  for (const auto& [target, options] : config.tmpfs_volumes) {
    json driver = {{"Name", "local"},
                   {"Options", {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", options}}}};
    host["Mounts"].push_back(
        {{"Type", "volume"},
         {"Target", target},
         {"VolumeOptions", {{"Labels", config.labels}, {"DriverConfig", std::move(driver)}}}});
  }
  for (const auto& [name, limit] : config.ulimits) {
    host["Ulimits"].push_back({{"Name", name}, {"Soft", limit}, {"Hard", limit}});
  }
  json body = {{"Image", config.image},
               {"Entrypoint", config.entrypoint},
               {"Cmd", json::array()},
               {"Labels", config.labels},
               {"Tty", false},
               {"OpenStdin", config.open_stdin},
               {"StdinOnce", config.open_stdin && config.stdin_once},
               {"AttachStdin", config.open_stdin},
               {"HostConfig", std::move(host)}};
  if (!config.working_dir.empty()) body["WorkingDir"] = config.working_dir;
  if (!config.env.empty()) body["Env"] = config.env;
  if (!config.user.empty()) body["User"] = config.user;
  if (config.network_mode == "none") body["NetworkDisabled"] = true;
  return body;
}

}  // namespace

std::string DaemonMessage(const HttpResponse& response) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string message = body.is_object() ? StringField(body, "message") : std::string();
  if (message.empty()) message = response.body.empty() ? "(no message)" : response.body;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return "Docker: " + message;
}

namespace {

// The daemon's answer if it is a success; else the failure to reach it, or its refusal, as an
// error that says what could not be done.
Result<HttpResponse> Checked(Result<HttpResponse> response, std::string_view what) {
  if (!response) {
    return MakeError(response.error().code(),
                     fmt::format("cannot {}: {}", what, response.error().message()));
  }
  if (!response->ok()) {
    return MakeError(CodeForStatus(response->status),
                     fmt::format("cannot {}: {}", what, DaemonMessage(*response)));
  }
  return response;
}

Result<void> Done(const Result<HttpResponse>& response) {
  if (!response) return tl::unexpected(response.error());
  return {};
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<DockerClient> DockerClient::Connect(const DockerEndpoint& endpoint,
                                           std::chrono::milliseconds timeout) {
  DaemonHttpClient http(endpoint);
  auto ping = http.Request({"GET", "/_ping", "", ""}, timeout);
  if (!ping) {
    ErrorCode code = ping.error().code() == ErrorCode::kPermissionDenied
                         ? ErrorCode::kPermissionDenied
                         : ErrorCode::kUnavailable;
    return MakeError(code, UnreachableMessage(endpoint, ping.error()));
  }
  if (!ping->ok()) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("the Docker daemon at {} answered its health check with {}: {}",
                                 endpoint.address, ping->status, DaemonMessage(*ping)));
  }
  // Daemons before API 1.24 do not say their version; they are far older than the minimum.
  std::string server = ping->headers.contains("api-version") ? ping->headers["api-version"] : "";
  if (ParseVersion(server) < ParseVersion(kMinApiVersion)) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        fmt::format("the Docker daemon at {} speaks API {}; codeexec needs {} or "
                    "newer (Docker 1.13+). Upgrade Docker.",
                    endpoint.address, server.empty() ? "(unknown)" : server, kMinApiVersion));
  }
  std::string agreed =
      ParseVersion(server) < ParseVersion(kMaxApiVersion) ? server : std::string(kMaxApiVersion);
  return DockerClient(endpoint, agreed);
}

std::string DockerClient::Versioned(std::string_view path) const {
  return fmt::format("/v{}{}", api_version_, path);
}

Result<HttpResponse> DockerClient::Call(std::string_view method, std::string_view path,
                                        std::string body, std::string_view what,
                                        std::chrono::milliseconds timeout) const {
  HttpRequest request{std::string(method), Versioned(path), std::move(body)};
  return Checked(http_.Request(request, timeout), what);
}

DockerClient DockerClient::Bounded(Clock::time_point deadline,
                                   const CancellationToken& cancel) const {
  DockerClient bounded = *this;
  bounded.cancel_ = cancel;
  bounded.http_.set_bound({deadline, cancel.wait_fd()});
  return bounded;
}

Result<ServerVersion> DockerClient::Version() const {
  auto response = Call("GET", "/version", "", "read the daemon's version");
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "/version");
  if (!body) return tl::unexpected(body.error());
  return ServerVersion{StringField(*body, "Version"), StringField(*body, "ApiVersion"),
                       StringField(*body, "Os"), StringField(*body, "Arch")};
}

Result<void> DockerClient::InspectImage(std::string_view image) const {
  auto response = Call("GET", fmt::format("/images/{}/json", UrlEncode(image)), "",
                       fmt::format("inspect the image {}", image));
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<void> DockerClient::PullImage(std::string_view image,
                                     const std::function<void(std::string_view)>& progress) const {
  // Without a tag the daemon would pull every tag of the repository.
  std::string name(image), tag = "latest";
  std::size_t slash = name.rfind('/'), colon = name.rfind(':');
  if (std::size_t at = name.find('@'); at != std::string::npos) {
    tag = name.substr(at + 1);
    name.resize(at);
  } else if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name.resize(colon);
  }
  HttpRequest request{
      "POST",
      Versioned(fmt::format("/images/create?fromImage={}&tag={}", UrlEncode(name), UrlEncode(tag))),
      ""};
  // Progress comes as a JSON object per line, as the pull goes on; a failure arrives as one with
  // "error", after a 200 status.
  std::string pending, failure;
  auto on_line = [&](std::string_view text) {
    json line = json::parse(text, nullptr, false);
    if (!line.is_object()) return;
    if (line.contains("error")) failure = StringField(line, "error");
    std::string status = StringField(line, "status");
    if (progress && !status.empty()) {
      std::string detail = StringField(line, "progress");
      progress(detail.empty() ? status : status + " " + detail);
    }
  };
  auto response = http_.Download(request, std::chrono::minutes(30), [&](std::string_view bytes) {
    pending.append(bytes);
    for (std::size_t end; (end = pending.find('\n')) != std::string::npos;) {
      on_line(std::string_view(pending).substr(0, end));
      pending.erase(0, end + 1);
    }
    return Result<void>();
  });
  if (!response) {
    return MakeError(response.error().code(), fmt::format("cannot pull the image {}: {}", image,
                                                          response.error().message()));
  }
  if (!response->ok()) {
    return MakeError(CodeForStatus(response->status),
                     fmt::format("cannot pull the image {}: {}", image, DaemonMessage(*response)));
  }
  on_line(pending);
  if (!failure.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("cannot pull the image {}: Docker: {}", image, failure));
  }
  return {};
}

Result<std::string> DockerClient::CreateContainer(const ContainerConfig& config) const {
  std::string path = "/containers/create";
  if (!config.name.empty()) path += "?name=" + UrlEncode(config.name);
  auto response = Call("POST", path, ContainerBody(config).dump(),
                       fmt::format("create a container from {}", config.image));
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "create");
  if (!body) return tl::unexpected(body.error());
  return StringField(*body, "Id");
}

Result<void> DockerClient::StartContainer(std::string_view id) const {
  // 304 (already started) counts as success: Call treats only 2xx as success, so check here.
  HttpRequest request{"POST", Versioned(fmt::format("/containers/{}/start", id)), ""};
  auto response = http_.Request(request, 1min);
  if (!response) {
    return MakeError(response.error().code(),
                     fmt::format("cannot start the container: {}", response.error().message()));
  }
  if (!response->ok() && response->status != 304) {
    return MakeError(CodeForStatus(response->status),
                     fmt::format("cannot start the container: {}", DaemonMessage(*response)));
  }
  return {};
}

Result<ContainerState> DockerClient::InspectContainer(std::string_view id) const {
  auto response =
      Call("GET", fmt::format("/containers/{}/json", UrlEncode(id)), "", "inspect the container");
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "inspect");
  if (!body) return tl::unexpected(body.error());
  ContainerState state;
  state.id = StringField(*body, "Id");
  state.name = StringField(*body, "Name");
  if (state.name.starts_with('/')) state.name.erase(0, 1);
  const json& s = (*body)["State"];
  if (s.is_object()) {
    state.status = StringField(s, "Status");
    state.running = s.value("Running", false);
    state.exit_code = s.value("ExitCode", 0);
    state.oom_killed = s.value("OOMKilled", false);
    state.error = StringField(s, "Error");
  }
  return state;
}

Result<void> DockerClient::StopContainer(std::string_view id, int grace_seconds) const {
  auto response = Call("POST", fmt::format("/containers/{}/stop?t={}", id, grace_seconds), "",
                       "stop the container", std::chrono::seconds(grace_seconds) + 1min);
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<void> DockerClient::KillContainer(std::string_view id) const {
  auto response = Call("POST", fmt::format("/containers/{}/kill", id), "", "kill the container");
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<void> DockerClient::RestartContainer(std::string_view id, int grace_seconds) const {
  auto response = Call("POST", fmt::format("/containers/{}/restart?t={}", id, grace_seconds), "",
                       "restart the container", std::chrono::seconds(grace_seconds) + 1min);
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<void> DockerClient::RemoveContainer(std::string_view id, bool force) const {
  auto response = Call("DELETE", fmt::format("/containers/{}?force={}&v=1", id, force ? 1 : 0), "",
                       "remove the container");
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<std::vector<ContainerSummary>> DockerClient::ListContainers(
    const std::vector<std::string>& labels) const {
  json filters = {{"label", labels}};
  auto response = Call("GET", "/containers/json?all=1&filters=" + UrlEncode(filters.dump()), "",
                       "list containers");
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "list");
  if (!body) return tl::unexpected(body.error());
  std::vector<ContainerSummary> containers;
  for (const json& item : *body) {
    ContainerSummary summary;
    summary.id = StringField(item, "Id");
    summary.state = StringField(item, "State");
    if (item.contains("Names") && !item["Names"].empty()) {
      summary.name = item["Names"][0].get<std::string>();
      if (summary.name.starts_with('/')) summary.name.erase(0, 1);
    }
    if (item.contains("Labels") && item["Labels"].is_object()) {
      summary.labels = item["Labels"].get<std::map<std::string, std::string>>();
    }
    containers.push_back(std::move(summary));
  }
  return containers;
}

Result<std::vector<std::string>> DockerClient::ListVolumes(
    const std::vector<std::string>& labels) const {
  json filters = {{"label", labels}};
  auto response = Call("GET", "/volumes?filters=" + UrlEncode(filters.dump()), "", "list volumes");
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "volumes");
  if (!body) return tl::unexpected(body.error());
  std::vector<std::string> names;
  if (body->contains("Volumes") && (*body)["Volumes"].is_array()) {
    for (const json& volume : (*body)["Volumes"]) names.push_back(StringField(volume, "Name"));
  }
  return names;
}

Result<HeldConnection> DockerClient::Attach(std::string_view id, bool output) const {
  HttpRequest request{"POST",
                      Versioned(fmt::format("/containers/{}/attach?stream=1&stdin=1{}", id,
                                            output ? "&stdout=1&stderr=1" : "")),
                      ""};
  auto held = http_.Hold(request, 1min);
  if (!held) {
    return MakeError(held.error().code(),
                     fmt::format("cannot attach to the container: {}", held.error().message()));
  }
  return held;
}

Result<void> DockerClient::PutArchive(std::string_view id, std::string_view path,
                                      std::string tar) const {
  HttpRequest request{"PUT",
                      Versioned(fmt::format("/containers/{}/archive?path={}", id, UrlEncode(path))),
                      std::move(tar), "application/x-tar"};
  return Done(Checked(http_.Request(request, 10min),
                      fmt::format("copy files into the container's {}", path)));
}

Result<void> DockerClient::GetArchive(std::string_view id, std::string_view path,
                                      const DaemonHttpClient::BodySink& sink) const {
  HttpRequest request{
      "GET", Versioned(fmt::format("/containers/{}/archive?path={}", id, UrlEncode(path))), ""};
  return Done(Checked(http_.Download(request, 10min, sink),
                      fmt::format("copy files out of the container's {}", path)));
}

Result<std::string> DockerClient::CreateExec(std::string_view container_id,
                                             const ExecConfig& config) const {
  json body = {{"AttachStdin", false},
               {"AttachStdout", true},
               {"AttachStderr", true},
               {"Tty", false},
               {"Cmd", config.command}};
  if (!config.env.empty()) body["Env"] = config.env;
  if (!config.working_dir.empty()) body["WorkingDir"] = config.working_dir;
  if (!config.user.empty()) body["User"] = config.user;
  auto response = Call("POST", fmt::format("/containers/{}/exec", container_id), body.dump(),
                       "run a command in the container");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseBody(*response, "exec create");
  if (!parsed) return tl::unexpected(parsed.error());
  return StringField(*parsed, "Id");
}

Result<StreamEnd> DockerClient::StartExec(std::string_view exec_id, const StreamControl& control,
                                          const OutputSink& sink) const {
  HttpRequest request{"POST", Versioned(fmt::format("/exec/{}/start", exec_id)),
                      R"({"Detach":false,"Tty":false})"};
  MultiplexedStreamDecoder decoder(sink);
  auto result =
      http_.Stream(request, 1min, control, [&](std::string_view bytes) { decoder.Feed(bytes); });
  if (!result) {
    return MakeError(result.error().code(), fmt::format("cannot run a command in the container: {}",
                                                        result.error().message()));
  }
  if (!result->response.ok() && result->response.status != 101) {
    return MakeError(
        CodeForStatus(result->response.status),
        fmt::format("cannot run a command in the container: {}", DaemonMessage(result->response)));
  }
  return result->end;
}

Result<ExecState> DockerClient::InspectExec(std::string_view exec_id) const {
  auto response = Call("GET", fmt::format("/exec/{}/json", exec_id), "", "inspect a command");
  if (!response) return tl::unexpected(response.error());
  auto body = ParseBody(*response, "exec inspect");
  if (!body) return tl::unexpected(body.error());
  ExecState state;
  state.running = body->value("Running", false);
  if (body->contains("ExitCode") && (*body)["ExitCode"].is_number_integer()) {
    state.exit_code = (*body)["ExitCode"].get<int>();
  }
  state.pid = body->value("Pid", int64_t{0});
  return state;
}

Result<bool> DockerClient::OomEventBetween(std::string_view container_id, double since,
                                           double until) const {
  json filters = {{"container", {container_id}}, {"event", {"oom"}}};
  auto response = Call("GET",
                       fmt::format("/events?since={:.6f}&until={:.6f}&filters={}", since, until,
                                   UrlEncode(filters.dump())),
                       "", "read the container's events", 30s);
  if (!response) return tl::unexpected(response.error());
  return response->body.find("\"oom\"") != std::string::npos;
}

}  // namespace codeexec::docker
