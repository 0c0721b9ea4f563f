// Metrics: the service's counters, rendered in Prometheus' text format (version 0.0.4) for
// GET /metrics:
//   codeexec_http_requests_total{route, method, status}    requests answered, by route template
//   codeexec_executions_total{executor, status}            executions ended, by result status
//                                                          ("failed" when the executor failed)
//   codeexec_execution_duration_seconds{executor}          histogram of execution wall time
//   codeexec_queue_length, codeexec_executions_running, codeexec_sessions,
//   codeexec_ready_executors                               gauges, read at render time
// Route labels are templates ("/v1/sessions/{id}"), never raw paths, so that the number of series
// stays bounded whatever clients send. Thread-safe.
#ifndef CODEEXEC_SRC_SERVICE_METRICS_H_
#define CODEEXEC_SRC_SERVICE_METRICS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace codeexec::service {

class Metrics {
 public:
  struct Gauges {
    std::size_t queue_length = 0;
    std::size_t running = 0;
    std::size_t sessions = 0;
    std::size_t ready_executors = 0;
  };

  void CountRequest(std::string_view route, std::string_view method, int status);
  void CountExecution(std::string_view executor, std::string_view status,
                      std::chrono::nanoseconds duration);

  std::string Render(const Gauges& gauges) const;

  // The histogram's upper bounds in seconds (+Inf implied).
  static constexpr std::array<double, 13> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,  60};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, uint64_t> executions_;
  std::map<std::string, Histogram> durations_;
};

}  // namespace codeexec::service

#endif  // CODEEXEC_SRC_SERVICE_METRICS_H_
