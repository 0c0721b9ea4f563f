#include "service/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace codeexec::service {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountsRequestsByRouteTemplateAndStatus) {
  Metrics metrics;
  metrics.CountRequest("/v1/sessions/{id}", "GET", 404);
  metrics.CountRequest("/v1/sessions/{id}", "GET", 404);
  std::string text = metrics.Render({});
  EXPECT_THAT(text, HasSubstr("codeexec_http_requests_total{route=\"/v1/sessions/{id}\","
                              "method=\"GET\",status=\"404\"} 2\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.CountExecution("local", "ok", std::chrono::milliseconds(3));
  metrics.CountExecution("local", "timeout", std::chrono::seconds(2));
  std::string text = metrics.Render({});
  EXPECT_THAT(text, HasSubstr("codeexec_execution_duration_seconds_bucket{executor=\"local\","
                              "le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("codeexec_execution_duration_seconds_bucket{executor=\"local\","
                              "le=\"2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("codeexec_execution_duration_seconds_count{executor=\"local\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("codeexec_executions_total{executor=\"local\",status=\"timeout\"} 1"));
}

TEST(MetricsTest, GaugesAndEscapes) {
  Metrics metrics;
  metrics.CountExecution("we\"ird\n", "ok", std::chrono::milliseconds(1));
  std::string text = metrics.Render({3, 2, 5, 1});
  EXPECT_THAT(text, HasSubstr("codeexec_queue_length 3\n"));
  EXPECT_THAT(text, HasSubstr("codeexec_sessions 5\n"));
  EXPECT_THAT(text, HasSubstr("executor=\"we\\\"ird\\n\""));
}

}  // namespace
}  // namespace codeexec::service
