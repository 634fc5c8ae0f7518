// Business-hours calendar operations against a day-stepping baseline.
//
// The calendar is the bundled office calendar (America/New_York, split weekdays, a Saturday
// half day, a Sunday night shift, holidays and special days). Every benchmark cycles through
// 1024 start instants spread over 2026-2027 so that no single answer is cached by the CPU.
// `DayStepping_AddBusinessTime` is written the way a CRM typically does it: walk civil days,
// look up each day's intervals, subtract the open time of each; its answers are checked against
// `AddBusinessTime` before timing. `AddBusinessTime_Creeping` asks the way an engine does: each
// start a little after the one before (37 s apart, through four weeks, then again), so that most
// starts fall in the open stretch (or the closed time before it) the previous query found.
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmark_data.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"

namespace {

constexpr int kStarts = 1024;

using omniroute::benchmark_data::OfficeCalendar;

const std::vector<absl::Time>& Starts() {
  static const std::vector<absl::Time>* const starts = [] {
    auto* result = new std::vector<absl::Time>;
    std::mt19937_64 rng(20261123);
    const absl::Time from = absl::FromCivil(absl::CivilSecond(2026, 1, 1), absl::UTCTimeZone());
    std::uniform_int_distribution<int64_t> offset(0, 2 * 365 * 86400LL);
    for (int i = 0; i < kStarts; ++i) result->push_back(from + absl::Seconds(offset(rng)));
    return result;
  }();
  return *starts;
}

// The day-stepping way: for each civil day from the one before `t`, find the day's intervals
// (special day, else nothing on a holiday, else the weekday's), turn each into instants, and
// take open time from them until `d` is used up.
class DayStepper {
 public:
  explicit DayStepper(const omniroute::BusinessCalendar& calendar)
      : spec_(calendar.spec()), zone_(calendar.time_zone()) {
    for (absl::CivilDay day : spec_.holidays) holidays_.insert(day);
  }

  absl::Time Add(absl::Time t, absl::Duration d) const {
    absl::Duration remaining = d;
    if (remaining <= absl::ZeroDuration()) return t;
    absl::CivilDay day = absl::ToCivilDay(t, zone_) - 1;
    const absl::CivilDay last = day + 36525;
    for (; day <= last; ++day) {
      for (const omniroute::DailyInterval& interval : IntervalsOf(day)) {
        const absl::CivilSecond midnight(day);
        const absl::Time open = absl::FromCivil(midnight + interval.open.seconds(), zone_);
        const absl::Time close =
            absl::FromCivil(midnight + interval.close.seconds() +
                                (interval.overnight() ? omniroute::TimeOfDay::kSecondsPerDay : 0),
                            zone_);
        if (close <= t) continue;
        const absl::Time from = std::max(open, t);
        if (close - from >= remaining) return from + remaining;
        remaining -= close - from;
      }
    }
    return absl::InfiniteFuture();
  }

 private:
  const std::vector<omniroute::DailyInterval>& IntervalsOf(absl::CivilDay day) const {
    static const std::vector<omniroute::DailyInterval> kClosed;
    if (auto special = spec_.special_days.find(day); special != spec_.special_days.end()) {
      return special->second;
    }
    if (holidays_.contains(day)) return kClosed;
    return spec_.week[omniroute::WeekdayIndex(absl::GetWeekday(day))];
  }

  const omniroute::CalendarSpec& spec_;
  absl::TimeZone zone_;
  absl::flat_hash_set<absl::CivilDay> holidays_;
};

absl::Duration SpanOf(const benchmark::State& state) { return absl::Hours(state.range(0)); }

void SetSpanLabel(benchmark::State& state) {
  const int64_t hours = state.range(0);
  state.SetLabel(hours < 24 ? std::to_string(hours) + "h" : std::to_string(hours / 24) + "d");
}

// Verifies the baseline against the calendar on every start before it is timed.
bool BaselineAgrees(benchmark::State& state, const DayStepper& stepper) {
  const omniroute::BusinessCalendar& calendar = OfficeCalendar();
  for (absl::Time start : Starts()) {
    const absl::StatusOr<absl::Time> exact = calendar.AddBusinessTime(start, SpanOf(state));
    if (!exact.ok() || *exact != stepper.Add(start, SpanOf(state))) {
      state.SkipWithError("day-stepping baseline disagrees with AddBusinessTime");
      return false;
    }
  }
  return true;
}

void BM_AddBusinessTime(benchmark::State& state) {
  const omniroute::BusinessCalendar& calendar = OfficeCalendar();
  const std::vector<absl::Time>& starts = Starts();
  const absl::Duration span = SpanOf(state);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.AddBusinessTime(starts[i], span));
    i = (i + 1) % kStarts;
  }
  state.SetItemsProcessed(state.iterations());
  SetSpanLabel(state);
}

void BM_AddBusinessTime_Creeping(benchmark::State& state) {
  const omniroute::BusinessCalendar& calendar = OfficeCalendar();
  const absl::Time from = absl::FromCivil(absl::CivilSecond(2026, 3, 2), absl::UTCTimeZone());
  constexpr int64_t kSteps = 4 * 7 * 86400 / 37;
  const absl::Duration span = SpanOf(state);
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.AddBusinessTime(from + absl::Seconds(37 * i), span));
    i = (i + 1) % kSteps;
  }
  state.SetItemsProcessed(state.iterations());
  SetSpanLabel(state);
}

void BM_DayStepping_AddBusinessTime(benchmark::State& state) {
  const DayStepper stepper(OfficeCalendar());
  if (!BaselineAgrees(state, stepper)) return;
  const std::vector<absl::Time>& starts = Starts();
  const absl::Duration span = SpanOf(state);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(stepper.Add(starts[i], span));
    i = (i + 1) % kStarts;
  }
  state.SetItemsProcessed(state.iterations());
  SetSpanLabel(state);
}

void BM_AddBusinessTime_AlwaysOpen(benchmark::State& state) {
  const omniroute::BusinessCalendar calendar = omniroute::BusinessCalendar::AlwaysOpen();
  const std::vector<absl::Time>& starts = Starts();
  const absl::Duration span = SpanOf(state);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.AddBusinessTime(starts[i], span));
    i = (i + 1) % kStarts;
  }
  state.SetItemsProcessed(state.iterations());
  SetSpanLabel(state);
}

void BM_BusinessTimeBetween(benchmark::State& state) {
  const omniroute::BusinessCalendar& calendar = OfficeCalendar();
  const std::vector<absl::Time>& starts = Starts();
  const absl::Duration span = SpanOf(state);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.BusinessTimeBetween(starts[i], starts[i] + span));
    i = (i + 1) % kStarts;
  }
  state.SetItemsProcessed(state.iterations());
  SetSpanLabel(state);
}

template <typename Query>
void RunPointQuery(benchmark::State& state, Query query) {
  const omniroute::BusinessCalendar& calendar = OfficeCalendar();
  const std::vector<absl::Time>& starts = Starts();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(query(calendar, starts[i]));
    i = (i + 1) % kStarts;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IsOpen(benchmark::State& state) {
  RunPointQuery(state,
                [](const omniroute::BusinessCalendar& c, absl::Time t) { return c.IsOpen(t); });
}

void BM_NextOpen(benchmark::State& state) {
  RunPointQuery(state,
                [](const omniroute::BusinessCalendar& c, absl::Time t) { return c.NextOpen(t); });
}

void BM_NextClose(benchmark::State& state) {
  RunPointQuery(state,
                [](const omniroute::BusinessCalendar& c, absl::Time t) { return c.NextClose(t); });
}

void BM_Create(benchmark::State& state) {
  const omniroute::CalendarSpec spec = OfficeCalendar().spec();
  for (auto _ : state) benchmark::DoNotOptimize(omniroute::BusinessCalendar::Create(spec));
  state.SetItemsProcessed(state.iterations());
}

void Spans(benchmark::internal::Benchmark* b) {
  for (int64_t hours : {1, 8, 5 * 24, 30 * 24, 365 * 24}) b->Arg(hours);
}

BENCHMARK(BM_AddBusinessTime)->Apply(Spans);
BENCHMARK(BM_AddBusinessTime_Creeping)->Apply(Spans);
BENCHMARK(BM_DayStepping_AddBusinessTime)->Apply(Spans);
BENCHMARK(BM_AddBusinessTime_AlwaysOpen)->Arg(8);
BENCHMARK(BM_BusinessTimeBetween)->Arg(8)->Arg(30 * 24)->Arg(365 * 24);
BENCHMARK(BM_IsOpen);
BENCHMARK(BM_NextOpen);
BENCHMARK(BM_NextClose);
BENCHMARK(BM_Create);

}  // namespace
