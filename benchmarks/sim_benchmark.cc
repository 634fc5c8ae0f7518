// The simulator's speed: whole runs of the bundled scenarios on the real engine, and the
// simulator's own future-event list.
//
//   build/release/benchmarks/sim_benchmark
//
// BM_LargeCentreDay is one day of a 5,000-agent centre (examples/data/large_centre_day.json:
// ten lines of 500 agents, about a million calls); BM_DefaultScenario is the week of the bundled
// mid-size centre. Counters: contacts and engine commands per second of the run; the *EngineShare
// runs time every engine call too (two clock reads each) and report the share of the run spent
// inside the engine, the rest being the simulator's own work (its event list, sampling,
// bookkeeping, reports).
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "event_queue.h"
#include "random.h"
#include "scenario.h"
#include "simulator.h"

namespace {

constexpr const char* kLargeCentre = OMNIROUTE_BENCHMARK_DATA_DIR "/large_centre_day.json";
constexpr const char* kDefault = OMNIROUTE_BENCHMARK_DATA_DIR "/default_scenario.json";

void RunScenario(benchmark::State& state, const char* path, bool time_engine) {
  absl::StatusOr<omniroute::sim::Scenario> scenario = omniroute::sim::LoadScenarioFile(path);
  if (!scenario.ok()) {
    state.SkipWithError(std::string(scenario.status().message()).c_str());
    return;
  }
  omniroute::sim::RunCost cost;
  for (auto _ : state) {
    absl::StatusOr<omniroute::sim::Report> report =
        omniroute::sim::Simulate(*scenario, {.time_engine = time_engine});
    if (!report.ok()) {
      state.SkipWithError(std::string(report.status().message()).c_str());
      return;
    }
    cost = report->cost;
    benchmark::DoNotOptimize(report->total.answered);
  }
  state.counters["contacts"] = static_cast<double>(cost.contacts);
  state.counters["contacts/s"] = benchmark::Counter(
      static_cast<double>(cost.contacts) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["commands/s"] = benchmark::Counter(
      static_cast<double>(cost.engine_commands) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["events/contact"] =
      static_cast<double>(cost.engine_events) / static_cast<double>(cost.contacts);
  if (time_engine) state.counters["engine_share"] = cost.engine_seconds / cost.wall_seconds;
}

void BM_LargeCentreDay(benchmark::State& state) { RunScenario(state, kLargeCentre, false); }
BENCHMARK(BM_LargeCentreDay)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_LargeCentreDayEngineShare(benchmark::State& state) {
  RunScenario(state, kLargeCentre, true);
}
BENCHMARK(BM_LargeCentreDayEngineShare)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

void BM_DefaultScenario(benchmark::State& state) { RunScenario(state, kDefault, false); }
BENCHMARK(BM_DefaultScenario)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DefaultScenarioEngineShare(benchmark::State& state) { RunScenario(state, kDefault, true); }
BENCHMARK(BM_DefaultScenarioEngineShare)->Unit(benchmark::kMillisecond)->UseRealTime();

// One push and one pop on a future-event list holding range(0) events at random times (a day in
// nanoseconds), as in a run: the simulator's per-event overhead.
void BM_EventQueuePushPop(benchmark::State& state) {
  const int64_t pending = state.range(0);
  omniroute::sim::Random rng(1);
  omniroute::sim::EventQueue queue;
  const double day = 86400e9;
  int64_t now = 0;
  for (int64_t i = 0; i < pending; ++i) {
    queue.Push(static_cast<int64_t>(rng.Uniform() * day), {});
  }
  std::vector<int64_t> offsets(4096);
  for (int64_t& offset : offsets) offset = static_cast<int64_t>(rng.Exponential(day / 100));
  size_t next = 0;
  for (auto _ : state) {
    const omniroute::sim::Event event = queue.Pop();
    now = event.time;
    queue.Push(now + offsets[next++ & 4095], {});
  }
  benchmark::DoNotOptimize(now);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueuePushPop)->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
