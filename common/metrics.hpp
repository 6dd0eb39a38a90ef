#pragma once

// A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4):
// counters, gauges and histograms with fixed buckets, each series identified by its family name
// and a label set. Series live as long as the registry; references to them stay valid. Every
// function is thread-safe; updating a counter or gauge is one atomic operation.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk_edge {

// Label name -> value, in the order given (rendered sorted by name).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

class MetricCounter {
 public:
  void Increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class MetricGauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed upper bounds (inclusive, ascending) plus +Inf.
class MetricHistogram {
 public:
  explicit MetricHistogram(std::vector<double> upper_bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> counts_;  // per bucket, the last one +Inf
  double sum_ = 0;
};

// Latency buckets in seconds, 1 ms .. 10 s.
std::span<const double> LatencyBucketsSeconds();

class MetricsRegistry {
 public:
  // The series `name{labels}`, made on first use. `help` is kept from the first call of a
  // family. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*;
  // a bad name, or a name already used for another type (or a histogram with other buckets),
  // is a programming error: the series returned is then a detached one that is never rendered
  // (and the error is logged).
  MetricCounter& Counter(std::string_view name, std::string_view help,
                         const MetricLabels& labels = {});
  MetricGauge& Gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  MetricHistogram& Histogram(std::string_view name, std::string_view help,
                             std::span<const double> upper_bounds, const MetricLabels& labels = {});

  // Every family in name order, each series in label order: "# HELP", "# TYPE", then samples.
  // Counter values are integers; other values the shortest text that reads back exactly, with
  // +Inf, -Inf and NaN spelled so. Label values escape \, " and newline; help text \ and newline.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<MetricCounter> counter;
    std::unique_ptr<MetricGauge> gauge;
    std::unique_ptr<MetricHistogram> histogram;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> upper_bounds;      // histograms
    std::map<std::string, Series> series;  // by rendered label text, e.g. {code="200"}
  };
  // The series for name{labels}, made if missing (a detached one on a programming error).
  Series& Find(std::string_view name, std::string_view help, Type type,
               std::span<const double> upper_bounds, const MetricLabels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::unique_ptr<Series>> detached_;  // returned for programming errors
};

// `value` as the exposition format writes it (shortest exact text, +Inf, -Inf, NaN).
std::string FormatMetricValue(double value);

}  // namespace kiosk_edge
