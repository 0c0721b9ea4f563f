#include "server/router.h"

#include <strings.h>

#include <algorithm>

namespace codeexec::server {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

// Whether `segments` (the path's) fit `pattern`; fills `params`.
bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             std::map<std::string, std::string>& params) {
  params.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& part = pattern[i];
    bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (is_param && part.ends_with("...}")) {
      if (i >= segments.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < segments.size(); ++j) {
        rest += (j > i ? "/" : "") + segments[j];
      }
      if (rest.empty()) return false;
      params[part.substr(1, part.size() - 5)] = rest;
      return true;
    }
    if (i >= segments.size()) return false;
    if (is_param) {
      if (segments[i].empty()) return false;
      params[part.substr(1, part.size() - 2)] = segments[i];
    } else if (part != segments[i]) {
      return false;
    }
  }
  return pattern.size() == segments.size();
}

}  // namespace

std::optional<std::string> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

Response JsonResponse(int status, std::string body) {
  return Response{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  std::vector<std::string> segments = Split(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler), options});
}

std::variant<Router::Match, Router::Miss> Router::Find(std::string_view method,
                                                       std::string_view path) const {
  std::vector<std::string> segments = Split(path);
  Miss miss;
  std::map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (!Matches(route.segments, segments, params)) continue;
    if (route.method == method) {
      return Match{&route.handler, &route.options, route.pattern, std::move(params)};
    }
    miss.status = 405;
    miss.allowed.push_back(route.method);
  }
  return miss;
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> out;
  for (const Route& route : routes_) out.push_back(route.method + " " + route.pattern);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace codeexec::server
