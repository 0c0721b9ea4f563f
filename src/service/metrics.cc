#include "service/metrics.h"

#include <fmt/format.h>

namespace codeexec::service {
namespace {

// A label value with Prometheus' escapes (backslash, double quote, newline).
std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Gauge(std::string& out, std::string_view name, std::string_view help, std::size_t value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
}

}  // namespace

void Metrics::CountRequest(std::string_view route, std::string_view method, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
}

void Metrics::CountExecution(std::string_view executor, std::string_view status,
                             std::chrono::nanoseconds duration) {
  std::lock_guard lock(mutex_);
  ++executions_[{std::string(executor), std::string(status)}];
  Histogram& histogram = durations_[std::string(executor)];
  double seconds = std::chrono::duration<double>(duration).count();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++histogram.counts[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::string out;
  std::lock_guard lock(mutex_);
  out +=
      "# HELP codeexec_http_requests_total HTTP requests answered, by route, method and status.\n"
      "# TYPE codeexec_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out +=
        fmt::format("codeexec_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                    Escape(route), Escape(method), status, count);
  }
  out +=
      "# HELP codeexec_executions_total Executions ended, by executor and result status.\n"
      "# TYPE codeexec_executions_total counter\n";
  for (const auto& [key, count] : executions_) {
    out += fmt::format("codeexec_executions_total{{executor=\"{}\",status=\"{}\"}} {}\n",
                       Escape(key.first), Escape(key.second), count);
  }
  out +=
      "# HELP codeexec_execution_duration_seconds Wall time of executions.\n"
      "# TYPE codeexec_execution_duration_seconds histogram\n";
  for (const auto& [executor, histogram] : durations_) {
    uint64_t cumulative = 0;
    std::string label = Escape(executor);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.counts[i];
      out += fmt::format(
          "codeexec_execution_duration_seconds_bucket{{executor=\"{}\",le=\"{}\"}} {}\n", label,
          kBuckets[i], cumulative);
    }
    out += fmt::format(
        "codeexec_execution_duration_seconds_bucket{{executor=\"{}\",le=\"+Inf\"}} {}\n", label,
        histogram.count);
    out += fmt::format("codeexec_execution_duration_seconds_sum{{executor=\"{}\"}} {}\n", label,
                       histogram.sum);
    out += fmt::format("codeexec_execution_duration_seconds_count{{executor=\"{}\"}} {}\n", label,
                       histogram.count);
  }
  Gauge(out, "codeexec_queue_length", "Executions waiting for a worker.", gauges.queue_length);
  Gauge(out, "codeexec_executions_running", "Executions running now.", gauges.running);
  Gauge(out, "codeexec_sessions", "Open sessions.", gauges.sessions);
  Gauge(out, "codeexec_ready_executors", "Executors started ahead for one-shot requests.",
        gauges.ready_executors);
  return out;
}

}  // namespace codeexec::service
