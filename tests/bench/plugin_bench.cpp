// Plugin call overhead. Each benchmark delivers the same small document to the no-op sink:
//   direct      - the plugin's deliver() called through its descriptor, no host in between;
//   host        - PluginHost::deliver as the daemon calls it: queued to the connector, run on the
//                 worker pool under a deadline, receipt copied, result handed back and awaited with
//                 PluginHost::await as the delivery workers do (one at a time);
//   throughput  - many deliveries in flight to two connectors on a pool of two workers.
// HostOverhead times both in the same run and reports the difference per call.
//   cmake --preset bench && cmake --build --preset bench --target plugin_bench
//   build/bench/tests/bench/plugin_bench
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <benchmark/benchmark.h>

#include "plugin_host/library.hpp"
#include "plugin_host/plugin_host.hpp"

namespace fs = std::filesystem;
using namespace schakel::plugin_host;

namespace {

// CPU time of the whole process (caller and workers), to tell work from waiting for a wake-up.
double process_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

const std::string k_document = R"({"student":{"naam":{"roepnaam":"Daan","achternaam":"Visser"}},"groep":5})";

// A plugin directory with the no-op sink installed as an admin would (mode 0755).
struct Fixture {
  fs::path dir;
  fs::path plugin;
  HostOptions options;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "schakel-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    plugin = dir / "libschakel_noop_sink.so";
    fs::copy_file(fs::path(SCHAKEL_BINARY_DIR) / "plugins" / "libschakel_noop_sink.so", plugin);
    ::chmod(plugin.c_str(), 0755);
    options.load.plugin_dirs = {dir};
    options.load.schema_dir = fs::path(SCHAKEL_SOURCE_DIR) / "schemas";
    options.load.daemon_uid = ::geteuid();
    options.on_log = [](const std::string&, int, const std::string&) {};
    options.on_event = [](const HostEvent&) {};
  }
  ~Fixture() { fs::remove_all(dir); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// The same plugin, called directly through its descriptor with a do-nothing services table.
struct Direct {
  std::shared_ptr<PluginLibrary> lib;
  schakel_host_services services{};
  void* instance = nullptr;
  Direct() {
    auto opened = PluginLibrary::open(fixture().plugin, fixture().options.load, std::nullopt);
    if (!opened) std::abort();
    lib = *opened;
    services.struct_size = sizeof(services);
    services.log = [](schakel_host_context*, schakel_log_level, const char*) {};
    services.set_error = [](schakel_host_context*, const char*) {};
    if (lib->descriptor().create(&services, nullptr, "{}", &instance) != SCHAKEL_OK) std::abort();
  }
  ~Direct() { lib->descriptor().destroy(instance); }
  std::string deliver(const std::string& key) {
    schakel_outcome out{};
    out.struct_size = sizeof(out);
    lib->descriptor().deliver(instance, k_document.data(), k_document.size(), key.c_str(), &out);
    return out.receipt_json;  // copied, as the host copies it
  }
};

void BM_DirectDeliver(benchmark::State& state) {
  Direct direct;
  for (auto _ : state) benchmark::DoNotOptimize(direct.deliver("route-1:student-9:v3"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectDeliver);

void BM_HostDeliver(benchmark::State& state) {
  auto o = fixture().options;
  o.workers = 2;
  PluginHost host(o);
  if (!host.add_connector({"noop", fixture().plugin, std::nullopt, {}})) std::abort();
  for (auto _ : state) {
    auto r = host.deliver("noop", k_document, "route-1:student-9:v3").get();
    benchmark::DoNotOptimize(r.receipt_json);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HostDeliver)->UseRealTime();

// Both in one run, interleaved in blocks, so machine noise hits both alike.
void BM_HostOverhead(benchmark::State& state) {
  auto o = fixture().options;
  o.workers = 2;
  PluginHost host(o);
  if (!host.add_connector({"noop", fixture().plugin, std::nullopt, {}})) std::abort();
  Direct direct;
  using clock = std::chrono::steady_clock;
  constexpr int k_block = 200;
  clock::duration direct_time{}, host_time{};
  double direct_cpu = 0, host_cpu = 0;
  std::int64_t calls = 0;
  for (auto _ : state) {
    const double c0 = process_cpu_us();
    auto t0 = clock::now();
    for (int i = 0; i < k_block; ++i) benchmark::DoNotOptimize(direct.deliver("route-1:student-9:v3"));
    auto t1 = clock::now();
    const double c1 = process_cpu_us();
    for (int i = 0; i < k_block; ++i)
      benchmark::DoNotOptimize(PluginHost::await(host.deliver("noop", k_document, "route-1:student-9:v3")).receipt_json);
    auto t2 = clock::now();
    const double c2 = process_cpu_us();
    direct_time += t1 - t0;
    host_time += t2 - t1;
    direct_cpu += c1 - c0;
    host_cpu += c2 - c1;
    calls += k_block;
  }
  const double direct_us = std::chrono::duration<double, std::micro>(direct_time).count() / static_cast<double>(calls);
  const double host_us = std::chrono::duration<double, std::micro>(host_time).count() / static_cast<double>(calls);
  state.counters["direct_us"] = direct_us;
  state.counters["host_us"] = host_us;
  state.counters["overhead_us"] = host_us - direct_us;
  state.counters["ratio"] = host_us / direct_us;
  // Process CPU per call (caller + worker): the host's own work, without scheduler wake-up delay.
  state.counters["host_cpu_us"] = host_cpu / static_cast<double>(calls);
  state.counters["direct_cpu_us"] = direct_cpu / static_cast<double>(calls);
}
BENCHMARK(BM_HostOverhead)->UseRealTime()->Unit(benchmark::kMillisecond);

// Pool throughput with 2 workers: two connectors (calls on one instance never overlap), many
// deliveries in flight, completion counted in the callbacks.
void BM_PoolThroughput2Workers(benchmark::State& state) {
  auto o = fixture().options;
  o.workers = 2;
  o.max_pending_per_connector = 1 << 20;
  PluginHost host(o);
  if (!host.add_connector({"a", fixture().plugin, std::nullopt, {}})) std::abort();
  if (!host.add_connector({"b", fixture().plugin, std::nullopt, {}})) std::abort();
  host.check("a").get();
  host.check("b").get();
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, failed = 0;
    for (int i = 0; i < batch; ++i) {
      host.deliver(i % 2 ? "a" : "b", k_document, "key", [&](CallResult r) {
        std::lock_guard lock(mu);
        ++done;
        failed += r.code == CallCode::ok ? 0 : 1;
        if (done == batch) cv.notify_one();
      });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == batch; });
    if (failed) state.SkipWithError("deliveries failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_PoolThroughput2Workers)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
