// The metrics registry's exposition text, byte for byte, and its thread safety.
#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace kiosk_edge {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsExactly) {
  MetricsRegistry registry;
  registry.Counter("http_responses_total", "Responses by code", {{"code", "200"}}).Increment(3);
  registry.Counter("http_responses_total", "ignored: the first help stays", {{"code", "404"}})
      .Increment();
  registry.Gauge("journal_depth", "Unsynced events").Set(12);
  const double buckets[] = {0.25, 0.5, 1};
  MetricHistogram& latency = registry.Histogram("upload_seconds", "Upload time", buckets);
  latency.Observe(0.125);
  latency.Observe(0.25);  // bounds are inclusive
  latency.Observe(0.75);
  latency.Observe(3);
  EXPECT_EQ(registry.Render(),
            "# HELP http_responses_total Responses by code\n"
            "# TYPE http_responses_total counter\n"
            "http_responses_total{code=\"200\"} 3\n"
            "http_responses_total{code=\"404\"} 1\n"
            "# HELP journal_depth Unsynced events\n"
            "# TYPE journal_depth gauge\n"
            "journal_depth 12\n"
            "# HELP upload_seconds Upload time\n"
            "# TYPE upload_seconds histogram\n"
            "upload_seconds_bucket{le=\"0.25\"} 2\n"
            "upload_seconds_bucket{le=\"0.5\"} 2\n"
            "upload_seconds_bucket{le=\"1\"} 3\n"
            "upload_seconds_bucket{le=\"+Inf\"} 4\n"
            "upload_seconds_sum 4.125\n"
            "upload_seconds_count 4\n");
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameSeriesWhateverTheLabelOrder) {
  MetricsRegistry registry;
  MetricCounter& first = registry.Counter("refusals_total", "Refusals", {{"b", "2"}, {"a", "1"}});
  MetricCounter& second = registry.Counter("refusals_total", "Refusals", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(&first, &second);
  first.Increment();
  second.Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP refusals_total Refusals\n"
            "# TYPE refusals_total counter\n"
            "refusals_total{a=\"1\",b=\"2\"} 2\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.Gauge("odd", "back\\slash\nnew line", {{"path", "a\"b\\c\nd"}}).Set(-0.5);
  EXPECT_EQ(registry.Render(),
            "# HELP odd back\\\\slash\\nnew line\n"
            "# TYPE odd gauge\n"
            "odd{path=\"a\\\"b\\\\c\\nd\"} -0.5\n");
}

TEST(MetricsTest, HistogramWithLabelsPutsLeLast) {
  MetricsRegistry registry;
  const double buckets[] = {1};
  registry.Histogram("decode_seconds", "Decode", buckets, {{"source", "camera"}}).Observe(0.25);
  EXPECT_EQ(registry.Render(),
            "# HELP decode_seconds Decode\n"
            "# TYPE decode_seconds histogram\n"
            "decode_seconds_bucket{source=\"camera\",le=\"1\"} 1\n"
            "decode_seconds_bucket{source=\"camera\",le=\"+Inf\"} 1\n"
            "decode_seconds_sum{source=\"camera\"} 0.25\n"
            "decode_seconds_count{source=\"camera\"} 1\n");
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(1e-3), "0.001");
  EXPECT_EQ(FormatMetricValue(123456789), "123456789");
}

TEST(MetricsTest, MisdefinedMetricsAreNeverRendered) {
  MetricsRegistry registry;
  registry.Counter("taken", "A counter").Increment();
  registry.Gauge("taken", "Now a gauge").Set(5);                         // another type
  registry.Counter("bad name", "Spaces").Increment();                    // a bad name
  registry.Counter("labelled", "Bad label", {{"le", "1"}}).Increment();  // a reserved label
  const double one[] = {1}, two[] = {2};
  registry.Histogram("timed", "Timed", one).Observe(0.5);
  registry.Histogram("timed", "Timed", two).Observe(0.5);  // other buckets
  EXPECT_EQ(registry.Render(),
            "# HELP taken A counter\n"
            "# TYPE taken counter\n"
            "taken 1\n"
            "# HELP timed Timed\n"
            "# TYPE timed histogram\n"
            "timed_bucket{le=\"1\"} 1\n"
            "timed_bucket{le=\"+Inf\"} 1\n"
            "timed_sum 0.5\n"
            "timed_count 1\n");
}

TEST(MetricsTest, CountsExactlyUnderConcurrentUpdates) {
  MetricsRegistry registry;
  const double buckets[] = {1};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, &buckets, t] {
      for (int i = 0; i < 10'000; ++i) {
        registry.Counter("hits_total", "Hits", {{"code", t % 2 == 0 ? "200" : "500"}}).Increment();
        registry.Histogram("seconds", "Seconds", buckets).Observe(2);
        registry.Gauge("level", "Level").Add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.Render(),
            "# HELP hits_total Hits\n"
            "# TYPE hits_total counter\n"
            "hits_total{code=\"200\"} 20000\n"
            "hits_total{code=\"500\"} 20000\n"
            "# HELP level Level\n"
            "# TYPE level gauge\n"
            "level 40000\n"
            "# HELP seconds Seconds\n"
            "# TYPE seconds histogram\n"
            "seconds_bucket{le=\"1\"} 0\n"
            "seconds_bucket{le=\"+Inf\"} 40000\n"
            "seconds_sum 80000\n"
            "seconds_count 40000\n");
}

}  // namespace
}  // namespace kiosk_edge
