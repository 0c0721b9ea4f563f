// Router: maps a method and a path to a handler through route templates made of literal
// segments, `{name}` (one segment) and a last `{name...}` (the rest of the path, slashes
// included), e.g. "/v1/sessions/{id}/files/{path...}".
//
// How to mount another front end (the seam MCP's Streamable HTTP uses): register its handlers
// before the server starts, one per method on one path, e.g.
//   router.Add("POST", "/mcp", handler);  router.Add("GET", "/mcp", handler);
//   router.Add("DELETE", "/mcp", handler);
// Every route gets the server's checks first (Host/Origin on loopback listeners, the bearer
// token unless the route is public, the body limit), its requests are counted in the metrics
// under the template, and its handler answers through the Responder (http_types.h): a Server-Sent
// Events reply is StartStream(200, {{"Content-Type", "text/event-stream"}}) and one Write() per
// event. Not thread-safe to add to once the server runs; Find() is then safe from any thread.
#ifndef CODEEXEC_SRC_SERVER_ROUTER_H_
#define CODEEXEC_SRC_SERVER_ROUTER_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/http_types.h"

namespace codeexec::server {

struct RouteOptions {
  // Answered without the token (only /v1/health).
  bool public_route = false;
  // The largest body the route accepts; 0: the server's --max-body.
  std::size_t max_body = 0;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;
    const RouteOptions* options = nullptr;
    std::string route;  // the template
    std::map<std::string, std::string> params;
  };
  struct Miss {
    int status = 404;                  // 404: no such path; 405: not with this method
    std::vector<std::string> allowed;  // the methods the path takes (405)
  };
  // The route for `method` and `path` (percent-decoded), or why there is none.
  std::variant<Match, Miss> Find(std::string_view method, std::string_view path) const;

  // Every route as "METHOD TEMPLATE", sorted (to check the OpenAPI document against).
  std::vector<std::string> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Route> routes_;
};

}  // namespace codeexec::server

#endif  // CODEEXEC_SRC_SERVER_ROUTER_H_
