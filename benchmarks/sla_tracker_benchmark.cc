// The SLA tracker at the scale of a large contact centre: 10^5 and 10^6 work items created at
// random instants over one day, their first-response and resolution clocks running on the bundled
// office calendar (America/New_York, Thanksgiving week), and the tracker advanced minute by minute
// through a simulated week from Monday 2026-11-23 08:00, draining its events at every step.
//
// - AdvanceWeek: nobody answers, so every clock warns at 50, 75 and 90 % and breaches.
// - AdvanceWeekWithResponses: half of the items get an agent response and are resolved later in
//   the week; the commands are interleaved in time order with the advancing, as in production.
// - AdvanceLiveWeek/clocks: that many clocks (half as many items, each with a first-response and a
//   resolution clock) already running at Monday 08:00; only the advancing is timed.
// - Start: the cost of starting 10^6 items, on their own (all before the first threshold can be
//   reached, which is checked).
//
// Each run is one iteration: the week is the unit of work, and creating the items is part of it
// (a command first advances the tracker to its instant). Drawing the workload (instants,
// priorities, the command list) and destroying the tracker are not timed. The goal is a week over
// 10^6 clocks in under a second on one core (AdvanceLiveWeek/1000000); `events_per_second` counts
// warnings, breaches and met clocks.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmark_data.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/sla.h"
#include "omniroute/sla_tracker.h"

namespace {

using omniroute::benchmark_data::Check;
using omniroute::benchmark_data::OfficeCalendar;
using omniroute::benchmark_data::TieredPolicy;

constexpr std::string_view kPolicy = omniroute::benchmark_data::kTieredPolicy;
constexpr std::string_view kPriorities[] = {"A", "B", "C"};

// Monday 2026-11-23 08:00 in the calendar's zone, an hour before the office opens.
absl::Time WeekStart() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 8, 0, 0), OfficeCalendar().time_zone());
}

struct Command {
  enum class Kind : uint8_t { kStart, kRespond, kResolve };
  absl::Time at;
  omniroute::SlaItemId item;
  Kind kind;
  uint8_t priority;
};

// Items 0..n-1 created in id order at random instants over the first day; with `respond`, every
// other item gets an agent response within 8 hours and is resolved within 3 days of it, when that
// is still within the week. Sorted by instant (stable, so an item's commands keep their order).
std::vector<Command> Commands(size_t n, bool respond) {
  const absl::Time start = WeekStart();
  const absl::Time end = start + absl::Hours(7 * 24);
  std::mt19937_64 rng(20261123);
  std::uniform_int_distribution<int64_t> created(0, absl::ToInt64Nanoseconds(absl::Hours(24)) - 1);
  std::uniform_int_distribution<int64_t> to_response(absl::ToInt64Nanoseconds(absl::Minutes(1)),
                                                     absl::ToInt64Nanoseconds(absl::Hours(8)));
  std::uniform_int_distribution<int64_t> to_resolution(absl::ToInt64Nanoseconds(absl::Minutes(1)),
                                                       absl::ToInt64Nanoseconds(absl::Hours(72)));
  std::uniform_int_distribution<int> priority(0, 2);
  std::vector<absl::Time> creation(n);
  for (absl::Time& t : creation) t = start + absl::Nanoseconds(created(rng));
  std::sort(creation.begin(), creation.end());
  std::vector<Command> commands;
  commands.reserve(respond ? 2 * n : n);
  for (size_t i = 0; i < n; ++i) {
    commands.push_back(
        {creation[i], i, Command::Kind::kStart, static_cast<uint8_t>(priority(rng))});
    if (!respond || i % 2 == 1) continue;
    const absl::Time responded = creation[i] + absl::Nanoseconds(to_response(rng));
    const absl::Time resolved = responded + absl::Nanoseconds(to_resolution(rng));
    if (responded < end) commands.push_back({responded, i, Command::Kind::kRespond, 0});
    if (resolved < end) commands.push_back({resolved, i, Command::Kind::kResolve, 0});
  }
  std::stable_sort(commands.begin(), commands.end(),
                   [](const Command& a, const Command& b) { return a.at < b.at; });
  return commands;
}

void Apply(omniroute::SlaTracker& tracker, const Command& command) {
  switch (command.kind) {
    case Command::Kind::kStart:
      Check(tracker.Start(command.item, kPolicy, kPriorities[command.priority], "", command.at),
            "Start");
      return;
    case Command::Kind::kRespond:
      Check(tracker.AgentResponded(command.item, command.at), "AgentResponded");
      return;
    case Command::Kind::kResolve:
      Check(tracker.Resolve(command.item, command.at), "Resolve");
      return;
  }
}

omniroute::SlaTracker NewTracker() {
  omniroute::SlaTracker tracker(omniroute::SlaTracker::Options{.origin = WeekStart()});
  Check(tracker.AddPolicy(TieredPolicy()), "AddPolicy");
  return tracker;
}

// Runs the week: before each step's AdvanceTo, the commands due by then, in order.
template <typename OnEvents>
void Simulate(omniroute::SlaTracker& tracker, const std::vector<Command>& commands,
              absl::Duration step, OnEvents&& on_events) {
  const absl::Time end = WeekStart() + absl::Hours(7 * 24);
  size_t next = 0;
  std::vector<omniroute::SlaEvent> events;
  for (absl::Time now = WeekStart() + step; now <= end; now += step) {
    for (; next < commands.size() && commands[next].at <= now; ++next) {
      Apply(tracker, commands[next]);
    }
    Check(tracker.AdvanceTo(now), "AdvanceTo");
    tracker.PollEvents(events);
    on_events(events);
  }
  if (next != commands.size()) std::abort();
}

// The tracker promises the same events however time is advanced; a small population stepped by
// the minute and by the hour must agree before the week is timed.
bool StepIndependent(benchmark::State& state) {
  static const bool agrees = [] {
    const std::vector<Command> commands = Commands(10'000, /*respond=*/true);
    std::vector<omniroute::SlaEvent> by_minute;
    std::vector<omniroute::SlaEvent> by_hour;
    for (auto [step, events] :
         {std::pair(absl::Minutes(1), &by_minute), std::pair(absl::Hours(1), &by_hour)}) {
      omniroute::SlaTracker tracker = NewTracker();
      Simulate(tracker, commands, step, [events](const std::vector<omniroute::SlaEvent>& polled) {
        events->insert(events->end(), polled.begin(), polled.end());
      });
    }
    return !by_minute.empty() && by_minute == by_hour;
  }();
  if (!agrees) state.SkipWithError("events depend on the step of AdvanceTo");
  return agrees;
}

void RunWeek(benchmark::State& state, bool respond) {
  if (!StepIndependent(state)) return;
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Command> commands = Commands(n, respond);
  int64_t events = 0;
  int64_t breaches = 0;
  int64_t met = 0;
  for (auto _ : state) {
    state.PauseTiming();
    omniroute::SlaTracker tracker = NewTracker();
    state.ResumeTiming();
    Simulate(tracker, commands, absl::Minutes(1),
             [&](const std::vector<omniroute::SlaEvent>& polled) {
               for (const omniroute::SlaEvent& event : polled) {
                 ++events;
                 breaches += event.kind == omniroute::SlaEvent::Kind::kBreached;
                 met += event.kind == omniroute::SlaEvent::Kind::kMet;
               }
             });
    state.PauseTiming();
    benchmark::DoNotOptimize(tracker);
    // The tracker's destructor is not part of the week.
    { omniroute::SlaTracker gone = std::move(tracker); }
    state.ResumeTiming();
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["breaches"] = static_cast<double>(breaches);
  state.counters["met"] = static_cast<double>(met);
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(static_cast<int64_t>(commands.size()) * state.iterations());
}

void BM_AdvanceWeek(benchmark::State& state) { RunWeek(state, /*respond=*/false); }

void BM_AdvanceWeekWithResponses(benchmark::State& state) { RunWeek(state, /*respond=*/true); }

// The goal's measure: `clocks` clocks already live at Monday 08:00 (items created since the Sunday
// night shift closed at 02:00, two clocks each, started untimed), then only the week's advancing is
// timed, minute by minute: every threshold of every clock fires inside the timed week.
void BM_AdvanceLiveWeek(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0)) / 2;
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<int64_t> age(0, absl::ToInt64Nanoseconds(absl::Hours(6)));
  std::uniform_int_distribution<int> priority(0, 2);
  int64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    omniroute::SlaTracker tracker = NewTracker();
    for (size_t i = 0; i < n; ++i) {
      Check(tracker.Start(i, kPolicy, kPriorities[priority(rng)], "",
                          WeekStart() - absl::Nanoseconds(age(rng)), WeekStart()),
            "Start");
    }
    const int64_t at_start = static_cast<int64_t>(tracker.PollEvents().size());
    state.ResumeTiming();
    Simulate(tracker, {}, absl::Minutes(1), [&](const std::vector<omniroute::SlaEvent>& polled) {
      events += static_cast<int64_t>(polled.size());
    });
    state.PauseTiming();
    state.counters["late_at_start"] = static_cast<double>(at_start);
    if (tracker.open_clock_count() != 2 * n) state.SkipWithError("clocks stopped by themselves");
    state.counters["clocks"] = static_cast<double>(tracker.open_clock_count());
    { omniroute::SlaTracker gone = std::move(tracker); }
    state.ResumeTiming();
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["events_per_second"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_Start(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  // 08:00 to 09:02: before and after opening, and short of 09:02:30, where the first warning (50 %
  // of A's five minutes from 09:00) is due.
  const absl::Time from = WeekStart();
  std::mt19937_64 rng(20261123);
  std::uniform_int_distribution<int64_t> offset(0, absl::ToInt64Nanoseconds(absl::Minutes(62)));
  std::uniform_int_distribution<int> priority(0, 2);
  std::vector<absl::Time> starts(n);
  for (absl::Time& t : starts) t = from + absl::Nanoseconds(offset(rng));
  std::sort(starts.begin(), starts.end());
  std::vector<uint8_t> priorities(n);
  for (uint8_t& p : priorities) p = static_cast<uint8_t>(priority(rng));
  for (auto _ : state) {
    state.PauseTiming();
    omniroute::SlaTracker tracker = NewTracker();
    state.ResumeTiming();
    for (size_t i = 0; i < n; ++i) {
      Check(tracker.Start(i, kPolicy, kPriorities[priorities[i]], "", starts[i]), "Start");
    }
    state.PauseTiming();
    if (!tracker.PollEvents().empty()) state.SkipWithError("an event fired while starting");
    if (tracker.open_clock_count() != 2 * n) state.SkipWithError("not two clocks per item");
    { omniroute::SlaTracker gone = std::move(tracker); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(n) * state.iterations());
}

BENCHMARK(BM_AdvanceWeek)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdvanceWeekWithResponses)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdvanceLiveWeek)
    ->Arg(200'000)
    ->Arg(1'000'000)
    ->Arg(2'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Start)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
