#include "common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                      0.25,  0.5,    1,     2.5,  5,     10};

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `a="1",b="2"`, sorted by label name; empty for no labels.
std::string LabelText(MetricLabels labels) {
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out += ',';
    out += StrCat(name, "=\"", EscapeLabelValue(value), "\"");
  }
  return out;
}

// `{labels}`, with `extra` (already rendered) appended; empty when both are empty.
std::string Braced(const std::string& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  if (labels.empty()) return StrCat("{", extra, "}");
  if (extra.empty()) return StrCat("{", labels, "}");
  return StrCat("{", labels, ",", extra, "}");
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  return std::string(digits, end);
}

std::span<const double> LatencyBucketsSeconds() { return kLatencyBuckets; }

MetricHistogram::MetricHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {}

void MetricHistogram::Observe(double value) {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

MetricHistogram::Snapshot MetricHistogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::uint64_t count : counts_) {
    running += count;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_;
  return snapshot;
}

MetricsRegistry::Series& MetricsRegistry::Find(std::string_view name, std::string_view help,
                                               Type type, std::span<const double> upper_bounds,
                                               const MetricLabels& labels) {
  bool valid = IsValidName(name, true);
  for (const auto& [label, value] : labels) {
    valid = valid && IsValidName(label, false) && label != "le" && !label.starts_with("__");
  }
  std::lock_guard lock(mutex_);
  auto family = families_.find(name);
  if (valid && family == families_.end()) {
    Family made;
    made.type = type;
    made.help = std::string(help);
    made.upper_bounds.assign(upper_bounds.begin(), upper_bounds.end());
    family = families_.emplace(std::string(name), std::move(made)).first;
  }
  Series* series = nullptr;
  if (valid && family->second.type == type &&
      std::equal(upper_bounds.begin(), upper_bounds.end(), family->second.upper_bounds.begin(),
                 family->second.upper_bounds.end())) {
    series = &family->second.series[LabelText(labels)];
  } else {
    LogError("metrics", "metric ", name, " is misdefined (name, labels, type or buckets)");
    series = detached_.emplace_back(std::make_unique<Series>()).get();
  }
  if (type == Type::kCounter && !series->counter) {
    series->counter = std::make_unique<MetricCounter>();
  }
  if (type == Type::kGauge && !series->gauge) series->gauge = std::make_unique<MetricGauge>();
  if (type == Type::kHistogram && !series->histogram) {
    series->histogram = std::make_unique<MetricHistogram>(
        std::vector<double>(upper_bounds.begin(), upper_bounds.end()));
  }
  return *series;
}

MetricCounter& MetricsRegistry::Counter(std::string_view name, std::string_view help,
                                        const MetricLabels& labels) {
  return *Find(name, help, Type::kCounter, {}, labels).counter;
}

MetricGauge& MetricsRegistry::Gauge(std::string_view name, std::string_view help,
                                    const MetricLabels& labels) {
  return *Find(name, help, Type::kGauge, {}, labels).gauge;
}

MetricHistogram& MetricsRegistry::Histogram(std::string_view name, std::string_view help,
                                            std::span<const double> upper_bounds,
                                            const MetricLabels& labels) {
  return *Find(name, help, Type::kHistogram, upper_bounds, labels).histogram;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    const char* type = family.type == Type::kCounter ? "counter"
                       : family.type == Type::kGauge ? "gauge"
                                                     : "histogram";
    out +=
        StrCat("# HELP ", name, " ", EscapeHelp(family.help), "\n# TYPE ", name, " ", type, "\n");
    for (const auto& [labels, series] : family.series) {
      if (family.type == Type::kCounter) {
        out += StrCat(name, Braced(labels), " ", series.counter->Value(), "\n");
      } else if (family.type == Type::kGauge) {
        out += StrCat(name, Braced(labels), " ", FormatMetricValue(series.gauge->Value()), "\n");
      } else {
        const MetricHistogram::Snapshot snapshot = series.histogram->Read();
        for (std::size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
          const std::string bound = i < snapshot.upper_bounds.size()
                                        ? FormatMetricValue(snapshot.upper_bounds[i])
                                        : std::string("+Inf");
          out += StrCat(name, "_bucket", Braced(labels, StrCat("le=\"", bound, "\"")), " ",
                        snapshot.cumulative_counts[i], "\n");
        }
        out += StrCat(name, "_sum", Braced(labels), " ", FormatMetricValue(snapshot.sum), "\n");
        out += StrCat(name, "_count", Braced(labels), " ", snapshot.count, "\n");
      }
    }
  }
  return out;
}

}  // namespace kiosk_edge
