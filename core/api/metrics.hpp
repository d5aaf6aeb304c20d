#pragma once
// A small Prometheus metrics registry: counters and histograms with labels, rendered in the text
// exposition format. Thread-safe; a metric's reference stays valid for the registry's life, so
// hot paths look it up once.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace schakel::api {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double by = 1.0) { value_.fetch_add(by); }
  [[nodiscard]] double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Default latency buckets in seconds, 1 ms to 10 s.
const std::vector<double>& default_latency_buckets();

class MetricsRegistry {
 public:
  // The same name and labels give the same metric. A name used with another type, or with a
  // malformed name, is a programmer error (std::logic_error).
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                       const std::vector<double>& bounds = default_latency_buckets());

  // The Prometheus text exposition format, version 0.0.4.
  [[nodiscard]] std::string render() const;

 private:
  struct Family {
    std::string type;  // "counter" or "histogram"
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // by rendered labels
  };
  Family& family(const std::string& name, const std::string& type, const std::string& help);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace schakel::api
