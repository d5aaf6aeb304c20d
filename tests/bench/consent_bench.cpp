// Consent decisions per second on one core: 40,000 students with 3 consents each (target at least
// 1,000,000 decisions per second). The baseline is a bare hash lookup of the same student ids,
// measured in the same run, so the ratio says what the rules cost on top of finding the student.
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "consent/consent_index.hpp"

namespace {

using nlohmann::json;
using schakel::consent::ConsentIndex;
using schakel::consent::Recipient;

constexpr int k_students = 40000;

struct Fixture {
  ConsentIndex index;
  std::vector<std::string> ids;
  std::vector<std::size_t> order;  // a random visiting order, so caches do not flatter the figure
  schakel::TimePoint at{};

  Fixture() {
    schakel::parse_rfc3339("2026-03-04T10:00:00Z", at);
    const std::vector<std::string> roles = {"youth_nurse", "teacher", "wijkteam_worker"};
    const std::vector<std::vector<std::string>> categories = {
        {"identity", "education", "wellbeing"}, {"identity", "education"}, {"health", "family", "case"}};
    for (int i = 0; i < k_students; ++i) {
      const std::string s = "student-" + std::to_string(i), g = "guardian-" + std::to_string(i);
      // Ages 4 to 17, so that every age rule is exercised.
      const std::string birth = std::to_string(2009 + i % 14) + "-0" + std::to_string(1 + i % 9) + "-15";
      (void)index.apply_student({{"id", s}, {"school_id", "school-1"}, {"birth_date", birth}});
      (void)index.apply_guardian({{"id", g}, {"children", {{{"student_id", s}, {"gezag", "yes"}}}}});
      for (int c = 0; c < 3; ++c) {
        json doc = {{"id", s + "-c" + std::to_string(c)}, {"student_id", s},
                    {"grantors", {{{"kind", "guardian"}, {"guardian_id", g}}, {{"kind", "student"}}}},
                    {"recipients", {{{"organisation", "GGD"}, {"role", roles[std::size_t(c)]}}}},
                    {"purposes", {"ot_meeting", "youth_health"}}, {"categories", categories[std::size_t(c)]},
                    {"valid_from", "2025-08-01"}, {"legal_basis", "consent"},
                    {"evidence", {{"form_version", "1"}, {"recorded_by", "ib-1"}}}};
        if (!index.record(doc, at)) std::abort();
      }
      ids.push_back(s);
    }
    order.resize(ids.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

const Recipient k_nurse{"GGD", "youth_nurse", "A. Bos", ""};

void BM_decide_one_category(benchmark::State& state) {
  auto& f = fixture();
  const std::vector<std::string> categories = {"wellbeing"};
  std::size_t i = 0, permits = 0;
  for (auto _ : state) {
    auto d = f.index.decide(f.ids[f.order[i++ % f.order.size()]], k_nurse, "ot_meeting", categories, f.at);
    permits += d.categories[0].permitted;
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  state.counters["permit_share"] = double(permits) / double(state.iterations());
}

void BM_decide_three_categories(benchmark::State& state) {
  auto& f = fixture();
  const std::vector<std::string> categories = {"identity", "education", "health"};
  std::size_t i = 0;
  for (auto _ : state) {
    auto d = f.index.decide(f.ids[f.order[i++ % f.order.size()]], k_nurse, "ot_meeting", categories, f.at);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}

// The floor: finding the student by id in a hash map, nothing else.
void BM_baseline_lookup(benchmark::State& state) {
  auto& f = fixture();
  static const std::unordered_map<std::string, int> map = [&] {
    std::unordered_map<std::string, int> m;
    for (std::size_t i = 0; i < f.ids.size(); ++i) m[f.ids[i]] = int(i);
    return m;
  }();
  std::size_t i = 0;
  for (auto _ : state) {
    auto it = map.find(f.ids[f.order[i++ % f.order.size()]]);
    benchmark::DoNotOptimize(it);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
}

BENCHMARK(BM_baseline_lookup);
BENCHMARK(BM_decide_one_category);
BENCHMARK(BM_decide_three_categories);

}  // namespace

BENCHMARK_MAIN();
