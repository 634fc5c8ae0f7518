#include "omniroute/calendar.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "fmt/format.h"
#include "internal/bucket_search.h"
#include "internal/status_macros.h"
#include "internal/zone_offsets.h"

namespace omniroute {
namespace {

using internal::CeilDiv;
using internal::FloorDiv;
using internal::kMinusInfinity;
using internal::kPlusInfinity;
using internal::ZoneOffsets;

constexpr int64_t kDay = internal::kSecondsPerDay;
constexpr int64_t kWeek = 7 * kDay;
// Civil seconds are counted from 1970-01-01 00:00:00 local time, a Thursday; weeks from the
// Monday before it.
constexpr int64_t kWeekOrigin = -3 * kDay;
// Instants further than this from the Unix epoch behave as infinite.
constexpr int64_t kDomainSeconds = 1'000'000'000'000;
// The zone's transition table runs at least to this year; tzdata lists explicit (non-rule)
// transitions well before it.
constexpr int64_t kEarliestCycleYear = 2100;

const absl::CivilDay kEpochDay(1970, 1, 1);

int64_t DayNumber(absl::CivilDay day) { return day - kEpochDay; }
// Monday = 0 for a day number (1970-01-01 is a Thursday, 3).
int WeekdayOfDayNumber(int64_t day) { return static_cast<int>(day + 3 - FloorDiv(day + 3, 7) * 7); }

// A half-open stretch of civil seconds, [start, end).
struct Span {
  int64_t start;
  int64_t end;
};

// Sorted, disjoint spans with the measure before each, for prefix measures and their inverse.
class SpanList {
 public:
  SpanList() = default;
  // `spans` sorted by start; overlapping or touching spans are united.
  explicit SpanList(const std::vector<Span>& spans) {
    for (const Span& span : spans) {
      if (!starts_.empty() && span.start <= ends_.back()) {
        ends_.back() = std::max(ends_.back(), span.end);
      } else {
        starts_.push_back(span.start);
        ends_.push_back(span.end);
      }
    }
    int64_t total = 0;
    for (size_t i = 0; i < starts_.size(); ++i) {
      total += ends_[i] - starts_[i];
      cumulative_end_.push_back(total);
    }
  }

  size_t size() const { return starts_.size(); }
  int64_t start(size_t i) const { return starts_[i]; }
  int64_t end(size_t i) const { return ends_[i]; }
  int64_t total() const { return cumulative_end_.empty() ? 0 : cumulative_end_.back(); }

  // Index of the span containing `x`, or -1.
  int64_t Find(int64_t x) const {
    const int64_t i = (std::upper_bound(starts_.begin(), starts_.end(), x) - starts_.begin()) - 1;
    return (i >= 0 && x < ends_[i]) ? i : -1;
  }

  // Measure of the spans below `x`.
  int64_t MeasureBefore(int64_t x) const {
    const int64_t i = (std::upper_bound(starts_.begin(), starts_.end(), x) - starts_.begin()) - 1;
    if (i < 0) return 0;
    return cumulative_end_[i] - ends_[i] + std::min(x, ends_[i]);
  }

  // The earliest `x` with MeasureBefore(x) >= m, for m in (0, total()].
  int64_t PointWithMeasure(int64_t m) const {
    const size_t i = std::lower_bound(cumulative_end_.begin(), cumulative_end_.end(), m) -
                     cumulative_end_.begin();
    return ends_[i] - (cumulative_end_[i] - m);
  }

 private:
  std::vector<int64_t> starts_;
  std::vector<int64_t> ends_;
  std::vector<int64_t> cumulative_end_;
};

// A civil interval of the spec, with where it came from for error messages.
struct LabelledSpan {
  Span span;
  std::string label;
};

std::string IntervalLabel(std::string_view day, const DailyInterval& interval) {
  return fmt::format("{} {}", day, interval.ToString());
}

// Checks one day's list and sorts it; `day` names the day in errors.
absl::Status NormaliseDay(std::string_view day, std::vector<DailyInterval>& intervals) {
  for (const DailyInterval& interval : intervals) {
    if (!interval.open.ok() || !interval.close.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: time of day out of range [00:00, 24:00]: {}s-{}s", day,
                      interval.open.seconds(), interval.close.seconds()));
    }
    if (interval.open.seconds() >= TimeOfDay::kSecondsPerDay) {
      return absl::InvalidArgumentError(
          fmt::format("{}: 24:00 cannot open an interval", IntervalLabel(day, interval)));
    }
    if (interval.open == interval.close) {
      return absl::InvalidArgumentError(
          fmt::format("{}: an interval cannot end where it starts", IntervalLabel(day, interval)));
    }
  }
  std::sort(intervals.begin(), intervals.end());
  for (size_t i = 1; i < intervals.size(); ++i) {
    const DailyInterval& before = intervals[i - 1];
    if (intervals[i].open.seconds() < before.open.seconds() + before.civil_seconds()) {
      return absl::InvalidArgumentError(fmt::format("{} overlaps {}", IntervalLabel(day, before),
                                                    IntervalLabel(day, intervals[i])));
    }
  }
  return absl::OkStatus();
}

// Whether `name` has the shape of an IANA zone name: '/'-separated parts of ASCII letters, digits
// and "._+-", none of them "." or "..". absl::LoadTimeZone also reads any file by path ("/...",
// "../x", "file:...") and "localtime" (the host's zone): a calendar built on those would compute
// differently on another host.
bool IsIanaZoneName(std::string_view name) {
  if (name == "localtime") return false;
  size_t part_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const std::string_view part = name.substr(part_start, i - part_start);
      if (part.empty() || part == "." || part == "..") return false;
      part_start = i + 1;
    } else if (!absl::ascii_isalnum(static_cast<unsigned char>(name[i])) &&
               std::string_view("._+-").find(name[i]) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::atomic<uint64_t> next_calendar_id{1};

// The open stretch of one calendar last looked up by this thread, and the closed time before it
// from the instant of the lookup: [closed_from, open_at) is closed, [open_at, close_at) open.
// Within it business time runs with the clock, which answers most queries of a busy engine (its
// clocks start now, on today's stretch) without the calendar's tables. Per thread, so calendars
// stay immutable and shareable; a few calendars at once (SLA and escalation) each keep theirs.
struct StretchMemo {
  uint64_t calendar = 0;
  absl::Time closed_from;
  absl::Time open_at;
  absl::Time close_at;
};
constexpr size_t kStretchMemos = 4;
constexpr absl::Duration kStretchCreep = absl::Hours(24 * 7);
thread_local std::array<StretchMemo, kStretchMemos> stretch_memos;
thread_local size_t next_stretch_memo = 0;

const StretchMemo* FindStretch(uint64_t calendar, absl::Time t) {
  for (const StretchMemo& memo : stretch_memos) {
    if (memo.calendar == calendar && t >= memo.closed_from && t < memo.close_at) return &memo;
  }
  return nullptr;
}

}  // namespace

struct BusinessCalendar::Impl {
  CalendarSpec spec;
  absl::TimeZone zone;

  // The regular week, in seconds from Monday 00:00, within [0, kWeek).
  SpanList week;
  // For each span of `week`: where its open stretch ends, past kWeek when it runs into the next
  // week's first span.
  std::vector<int64_t> week_stretch_end;

  // Exception windows: stretches of civil days whose open time differs from the regular week
  // (each holiday or special date D and the day after it, which its overnight intervals reach).
  struct Window {
    int64_t start;       // civil seconds
    int64_t end;         // civil seconds
    SpanList open;       // relative to start
    int64_t g_start;     // G(start)
    int64_t cum_before;  // G - Regular on the regular days before this window
    int64_t cum_after;   // G - Regular on the regular days after it
  };
  std::vector<int64_t> window_starts;
  std::vector<int64_t> window_g_ends;
  std::vector<Window> windows;

  ZoneOffsets offsets;
  // For each zone transition: the sum of the corrections up to and including it, and F at it.
  std::vector<int64_t> jump_sum;
  std::vector<int64_t> f_at_transition;
  internal::BucketSearch f_search;  // over f_at_transition
  int64_t f_cycle_end = 0;
  int64_t f_cycle_gain = 0;
  bool always_open = false;
  // Unique among the calendars of the process: names this one in each thread's `StretchMemo`.
  uint64_t id = 0;

  // Regular(c): open civil seconds of the regular week pattern in [origin, c), as a signed count
  // relative to the week origin.
  int64_t Regular(int64_t c) const {
    const int64_t q = FloorDiv(c - kWeekOrigin, kWeek);
    return q * week.total() + week.MeasureBefore(c - kWeekOrigin - q * kWeek);
  }
  // The earliest c with Regular(c) >= w; week.total() > 0.
  int64_t RegularInverse(int64_t w) const {
    const int64_t q = FloorDiv(w - 1, week.total());
    return kWeekOrigin + q * kWeek + week.PointWithMeasure(w - q * week.total());
  }

  // G(c): open civil seconds up to civil second c, exceptions included (a signed count; only
  // differences matter).
  int64_t G(int64_t c) const {
    const int64_t i =
        (std::upper_bound(window_starts.begin(), window_starts.end(), c) - window_starts.begin()) -
        1;
    if (i < 0) return Regular(c);
    const Window& w = windows[i];
    if (c < w.end) return w.g_start + w.open.MeasureBefore(c - w.start);
    return Regular(c) + w.cum_after;
  }
  // The earliest c with G(c) >= v; kMinusInfinity when every c qualifies, kPlusInfinity when none.
  int64_t GInverse(int64_t v) const {
    const size_t i =
        std::lower_bound(window_g_ends.begin(), window_g_ends.end(), v) - window_g_ends.begin();
    if (i < windows.size() && windows[i].g_start < v) {
      return windows[i].start + windows[i].open.PointWithMeasure(v - windows[i].g_start);
    }
    // Between windows G grows only with the regular week; with no regular open time it is
    // constant there, 0 before the first window.
    if (week.total() == 0) return v <= 0 ? kMinusInfinity : kPlusInfinity;
    const int64_t offset = i < windows.size() ? windows[i].cum_before
                                              : (windows.empty() ? 0 : windows.back().cum_after);
    return RegularInverse(v - offset);
  }

  bool OpenCivil(int64_t c) const {
    const int64_t i =
        (std::upper_bound(window_starts.begin(), window_starts.end(), c) - window_starts.begin()) -
        1;
    if (i >= 0 && c < windows[i].end) return windows[i].open.Find(c - windows[i].start) >= 0;
    return week.Find(c - kWeekOrigin - FloorDiv(c - kWeekOrigin, kWeek) * kWeek) >= 0;
  }

  // The first closed civil second at or after c; kPlusInfinity when none.
  int64_t NextClosedCivil(int64_t c) const {
    while (true) {
      const int64_t i = (std::upper_bound(window_starts.begin(), window_starts.end(), c) -
                         window_starts.begin()) -
                        1;
      if (i >= 0 && c < windows[i].end) {
        const Window& w = windows[i];
        const int64_t span = w.open.Find(c - w.start);
        if (span < 0) return c;
        const int64_t close = w.start + w.open.end(span);
        if (close < w.end) return close;
        c = w.end;
        continue;
      }
      const int64_t next_window =
          static_cast<size_t>(i + 1) < windows.size() ? window_starts[i + 1] : kPlusInfinity;
      const int64_t r = c - kWeekOrigin - FloorDiv(c - kWeekOrigin, kWeek) * kWeek;
      const int64_t span = week.Find(r);
      if (span < 0) return c;
      const int64_t close = week.total() == kWeek ? kPlusInfinity : c - r + week_stretch_end[span];
      if (close < next_window || next_window == kPlusInfinity) return close;
      c = next_window;
    }
  }

  // F(s): open (absolute) seconds up to Unix second s, a signed count. With civil(s) = s + offset,
  // F(s) = G(civil(s)) + the corrections of every transition up to s: a skipped civil stretch is
  // taken back, a repeated one counted again.
  int64_t F(int64_t s) const { return FAndOffset(s).f; }
  // F(s) and the zone's offset at s, with one look-up in the zone table.
  struct FOffset {
    int64_t f;
    int64_t offset;
  };
  FOffset FAndOffset(int64_t s) const {
    const int64_t cycles = offsets.CyclesAfterEnd(s);
    s -= cycles * ZoneOffsets::kCycleSeconds;
    const int64_t i = offsets.IndexAt(s);
    const int64_t offset = offsets.offset_after(i);
    return {G(s + offset) + (i < 0 ? 0 : jump_sum[i]) + cycles * f_cycle_gain, offset};
  }
  // The earliest Unix second s with F(s) >= v; kMinusInfinity / kPlusInfinity as GInverse.
  int64_t FInverse(int64_t v) const {
    int64_t cycles = 0;
    if (v > f_cycle_end) {
      if (f_cycle_gain == 0) return kPlusInfinity;
      cycles = CeilDiv(v - f_cycle_end, f_cycle_gain);
      v -= cycles * f_cycle_gain;
    }
    // The last transition with F below v.
    const int64_t segment = f_search.LastAtOrBefore(f_at_transition, v - 1);
    const int64_t c = GInverse(v - (segment < 0 ? 0 : jump_sum[segment]));
    if (c == kMinusInfinity || c == kPlusInfinity) return c;
    return c - offsets.offset_after(segment) + cycles * ZoneOffsets::kCycleSeconds;
  }

  bool OpenAt(int64_t s) const { return OpenCivil(s + offsets.OffsetAt(s)); }

  // The end of the open stretch containing the open Unix second s.
  int64_t StretchEnd(int64_t s) const {
    while (true) {
      const ZoneOffsets::Segment segment = offsets.SegmentAt(s);
      const int64_t closed = NextClosedCivil(s + segment.offset);
      if (closed == kPlusInfinity) return kPlusInfinity;
      if (closed - segment.offset < segment.next_transition) return closed - segment.offset;
      s = segment.next_transition;
      if (!OpenAt(s)) return s;
    }
  }

  // This thread's memo of the open stretch at or after `t` (see StretchMemo); nullptr when it has
  // none that covers `t`. An instant past the remembered stretch by less than `kStretchCreep` (the
  // next day's clocks) looks up the next one; an instant elsewhere does not, so that scattered
  // queries do not pay for lookups they never use again.
  const StretchMemo* StretchAround(absl::Time t) const {
    StretchMemo* own = nullptr;
    for (StretchMemo& memo : stretch_memos) {
      if (memo.calendar == id) own = &memo;
    }
    if (own == nullptr) {
      // Entries are taken in turn, so the calendar used least recently first makes room.
      own = &stretch_memos[next_stretch_memo];
      next_stretch_memo = (next_stretch_memo + 1) % kStretchMemos;
    } else if (t >= own->closed_from && t < own->close_at) {
      return own;
    } else if (t < own->close_at || t - own->close_at > kStretchCreep) {
      return nullptr;
    }
    const int64_t s = absl::ToUnixSeconds(t);
    absl::Time open_at = t;
    int64_t open_s = s;
    if (!OpenAt(s)) {
      const int64_t after = FInverse(F(s) + 1);
      if (after == kPlusInfinity) return nullptr;
      open_s = after - 1;
      open_at = absl::FromUnixSeconds(open_s);
    }
    const int64_t close = StretchEnd(open_s);
    *own = StretchMemo{
        .calendar = id,
        .closed_from = t,
        .open_at = open_at,
        .close_at = close == kPlusInfinity ? absl::InfiniteFuture() : absl::FromUnixSeconds(close)};
    return own;
  }

  // Builds everything from a spec whose days are already normalised and checked.
  absl::Status Build();
};

namespace {

// Splits an instant into whole Unix seconds (floor) and the fraction in [0, 1s).
std::pair<int64_t, absl::Duration> SplitSeconds(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);
  return {s, t - absl::FromUnixSeconds(s)};
}

// Splits a duration into whole seconds (floor) and the fraction in [0, 1s).
std::pair<int64_t, absl::Duration> SplitSeconds(absl::Duration d) {
  absl::Duration rest;
  int64_t s = absl::IDivDuration(d, absl::Seconds(1), &rest);
  if (rest < absl::ZeroDuration()) {
    --s;
    rest += absl::Seconds(1);
  }
  return {s, rest};
}

bool InDomain(absl::Time t) {
  return t > absl::FromUnixSeconds(-kDomainSeconds) && t < absl::FromUnixSeconds(kDomainSeconds);
}

}  // namespace

absl::Status BusinessCalendar::Impl::Build() {
  // The regular week, with each span's source for error messages.
  std::vector<LabelledSpan> labelled;
  for (int day = 0; day < 7; ++day) {
    for (const DailyInterval& interval : spec.week[day]) {
      const int64_t start = day * kDay + interval.open.seconds();
      const int64_t end = start + interval.civil_seconds();
      const std::string label = IntervalLabel(WeekdayKey(day), interval);
      labelled.push_back({{start, std::min(end, kWeek)}, label});
      if (end > kWeek) labelled.push_back({{0, end - kWeek}, label});
    }
  }
  std::sort(labelled.begin(), labelled.end(), [](const LabelledSpan& a, const LabelledSpan& b) {
    return a.span.start < b.span.start;
  });
  std::vector<Span> week_spans;
  for (size_t i = 0; i < labelled.size(); ++i) {
    if (i > 0 && labelled[i].span.start < labelled[i - 1].span.end) {
      return absl::InvalidArgumentError(
          fmt::format("{} overlaps {}", labelled[i - 1].label, labelled[i].label));
    }
    week_spans.push_back(labelled[i].span);
  }
  week = SpanList(week_spans);
  for (size_t i = 0; i < week.size(); ++i) {
    const bool wraps = week.end(i) == kWeek && week.start(0) == 0;
    week_stretch_end.push_back(wraps ? kWeek + week.end(0) : week.end(i));
  }

  // Exception windows: [D, D + 2 days) for every holiday or special date D, united.
  std::set<absl::CivilDay> exception_days(spec.holidays.begin(), spec.holidays.end());
  for (const auto& [day, unused] : spec.special_days) exception_days.insert(day);
  std::vector<Span> window_days;
  for (absl::CivilDay day : exception_days) {
    const int64_t d = DayNumber(day);
    if (!window_days.empty() && d <= window_days.back().end) {
      window_days.back().end = d + 2;
    } else {
      window_days.push_back({d, d + 2});
    }
  }
  const std::set<absl::CivilDay> holidays(spec.holidays.begin(), spec.holidays.end());
  int64_t cumulative = 0;
  for (const Span& days : window_days) {
    const int64_t start = days.start * kDay;
    const int64_t end = days.end * kDay;
    std::vector<Span> open;
    for (int64_t d = days.start - 1; d < days.end; ++d) {
      const absl::CivilDay civil_day = kEpochDay + d;
      const std::vector<DailyInterval>* intervals = &spec.week[WeekdayOfDayNumber(d)];
      static const std::vector<DailyInterval> kClosed;
      if (auto special = spec.special_days.find(civil_day); special != spec.special_days.end()) {
        intervals = &special->second;
      } else if (holidays.count(civil_day) > 0) {
        intervals = &kClosed;
      }
      for (const DailyInterval& interval : *intervals) {
        const int64_t from = std::max(d * kDay + interval.open.seconds(), start);
        const int64_t to =
            std::min(d * kDay + interval.open.seconds() + interval.civil_seconds(), end);
        if (from < to) open.push_back({from - start, to - start});
      }
    }
    std::sort(open.begin(), open.end(), [](Span a, Span b) { return a.start < b.start; });
    Window window{start, end, SpanList(open), 0, cumulative, 0};
    window.g_start = Regular(start) + cumulative;
    cumulative += window.open.total() - (Regular(end) - Regular(start));
    window.cum_after = cumulative;
    window_starts.push_back(start);
    window_g_ends.push_back(window.g_start + window.open.total());
    windows.push_back(std::move(window));
  }

  always_open = week.total() == kWeek;
  for (const Window& w : windows) always_open = always_open && w.open.total() == w.end - w.start;

  // The zone table must reach past every exception so that the calendar, too, repeats with the
  // 400-year cycle after `cycle_start`.
  int64_t cycle_year = kEarliestCycleYear;
  if (!exception_days.empty()) {
    cycle_year = std::max<int64_t>(cycle_year, exception_days.rbegin()->year() + 2);
  }
  offsets =
      ZoneOffsets(zone, absl::ToUnixSeconds(absl::FromCivil(
                            absl::CivilSecond(cycle_year, 1, 1, 0, 0, 0), absl::UTCTimeZone())));
  const std::vector<int64_t>& at = offsets.transitions();
  int64_t sum = 0;
  for (size_t i = 0; i < at.size(); ++i) {
    const int64_t index = static_cast<int64_t>(i);
    const int64_t civil_after = at[i] + offsets.offset_after(index);
    sum += G(at[i] + offsets.offset_after(index - 1)) - G(civil_after);
    jump_sum.push_back(sum);
    f_at_transition.push_back(G(civil_after) + sum);
  }
  f_search = internal::BucketSearch(f_at_transition);
  f_cycle_end = F(offsets.cycle_end());
  f_cycle_gain = f_cycle_end - F(offsets.cycle_start());
  return absl::OkStatus();
}

std::string TimeOfDay::ToString() const {
  const int h = seconds_ / 3600, m = seconds_ / 60 % 60, s = seconds_ % 60;
  return s == 0 ? fmt::format("{:02}:{:02}", h, m) : fmt::format("{:02}:{:02}:{:02}", h, m, s);
}

absl::StatusOr<TimeOfDay> TimeOfDay::Parse(std::string_view text) {
  const auto malformed = [&] {
    return absl::InvalidArgumentError(
        fmt::format("malformed time \"{}\" (expected HH:MM or HH:MM:SS)", text));
  };
  if (text.size() != 5 && text.size() != 8) return malformed();
  int parts[3] = {0, 0, 0};
  for (size_t part = 0; part * 3 < text.size(); ++part) {
    const size_t at = part * 3;
    if (part > 0 && text[at - 1] != ':') return malformed();
    const char hi = text[at], lo = text[at + 1];
    if (hi < '0' || hi > '9' || lo < '0' || lo > '9') return malformed();
    parts[part] = (hi - '0') * 10 + (lo - '0');
  }
  if (parts[0] > 24 || parts[1] > 59 || parts[2] > 59 ||
      (parts[0] == 24 && (parts[1] != 0 || parts[2] != 0))) {
    return absl::InvalidArgumentError(fmt::format("time \"{}\" out of range [00:00, 24:00]", text));
  }
  return FromHms(parts[0], parts[1], parts[2]);
}

absl::StatusOr<DailyInterval> DailyInterval::Parse(std::string_view open, std::string_view close) {
  DailyInterval interval;
  OMNIROUTE_ASSIGN_OR_RETURN(interval.open, TimeOfDay::Parse(open));
  OMNIROUTE_ASSIGN_OR_RETURN(interval.close, TimeOfDay::Parse(close));
  if (interval.open.seconds() == TimeOfDay::kSecondsPerDay) {
    return absl::InvalidArgumentError(
        fmt::format("{}: 24:00 cannot open an interval", interval.ToString()));
  }
  if (interval.open == interval.close) {
    return absl::InvalidArgumentError(
        fmt::format("{}: an interval cannot end where it starts", interval.ToString()));
  }
  return interval;
}

std::string DailyInterval::ToString() const {
  return fmt::format("{}-{}", open.ToString(), close.ToString());
}

std::string_view WeekdayKey(int index) {
  static constexpr std::string_view kKeys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  return kKeys[index];
}

absl::StatusOr<int> ParseWeekdayKey(std::string_view key) {
  for (int i = 0; i < 7; ++i) {
    if (WeekdayKey(i) == key) return i;
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown week day \"{}\" (expected mon, tue, wed, thu, fri, sat, sun)", key));
}

absl::StatusOr<absl::CivilDay> ParseCivilDate(std::string_view text) {
  const auto malformed = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("malformed date \"{}\" ({})", text, why));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return malformed("expected YYYY-MM-DD");
  int fields[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (size_t i = starts[f]; i < starts[f] + lengths[f]; ++i) {
      if (text[i] < '0' || text[i] > '9') return malformed("expected YYYY-MM-DD");
      fields[f] = fields[f] * 10 + (text[i] - '0');
    }
  }
  const absl::CivilDay day(fields[0], fields[1], fields[2]);
  if (day.year() != fields[0] || day.month() != fields[1] || day.day() != fields[2]) {
    return malformed("not a date");
  }
  return day;
}

std::string FormatCivilDate(absl::CivilDay day) {
  return fmt::format("{:04}-{:02}-{:02}", day.year(), day.month(), day.day());
}

BusinessCalendar::BusinessCalendar() : BusinessCalendar(AlwaysOpen()) {}

BusinessCalendar::BusinessCalendar(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

BusinessCalendar BusinessCalendar::AlwaysOpen() {
  static const std::shared_ptr<const Impl>* const kAlwaysOpen = [] {
    CalendarSpec spec;
    for (auto& day : spec.week)
      day = {{TimeOfDay(), TimeOfDay::FromSeconds(TimeOfDay::kSecondsPerDay)}};
    return new std::shared_ptr<const Impl>(Create(std::move(spec))->impl_);
  }();
  return BusinessCalendar(*kAlwaysOpen);
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Create(CalendarSpec spec) {
  auto impl = std::make_shared<Impl>();
  impl->id = next_calendar_id.fetch_add(1, std::memory_order_relaxed);
  if (spec.time_zone.empty()) return absl::InvalidArgumentError("time zone is empty");
  if (!IsIanaZoneName(spec.time_zone)) {
    return absl::InvalidArgumentError(fmt::format(
        "time zone \"{}\" is not an IANA zone name such as \"Europe/Berlin\" (a file path or "
        "\"localtime\" depends on the host)",
        spec.time_zone));
  }
  if (!absl::LoadTimeZone(spec.time_zone, &impl->zone)) {
    return absl::InvalidArgumentError(fmt::format("unknown time zone \"{}\"", spec.time_zone));
  }
  for (int day = 0; day < 7; ++day) {
    OMNIROUTE_RETURN_IF_ERROR(NormaliseDay(WeekdayKey(day), spec.week[day]));
  }
  const auto check_year = [](absl::CivilDay day) {
    return day.year() >= 1 && day.year() <= 9999
               ? absl::OkStatus()
               : absl::InvalidArgumentError(
                     fmt::format("date {} outside years 0001-9999", FormatCivilDate(day)));
  };
  for (auto& [day, intervals] : spec.special_days) {
    OMNIROUTE_RETURN_IF_ERROR(check_year(day));
    OMNIROUTE_RETURN_IF_ERROR(
        NormaliseDay(fmt::format("special day {}", FormatCivilDate(day)), intervals));
  }
  for (absl::CivilDay day : spec.holidays) OMNIROUTE_RETURN_IF_ERROR(check_year(day));
  std::sort(spec.holidays.begin(), spec.holidays.end());
  spec.holidays.erase(std::unique(spec.holidays.begin(), spec.holidays.end()), spec.holidays.end());
  impl->spec = std::move(spec);
  OMNIROUTE_RETURN_IF_ERROR(impl->Build());
  return BusinessCalendar(std::move(impl));
}

bool BusinessCalendar::IsOpen(absl::Time t) const {
  if (!InDomain(t)) return false;
  return impl_->OpenAt(absl::ToUnixSeconds(t));
}

absl::Time BusinessCalendar::NextOpen(absl::Time t) const {
  if (!InDomain(t)) return t;
  const int64_t s = absl::ToUnixSeconds(t);
  if (impl_->OpenAt(s)) return t;
  const int64_t after = impl_->FInverse(impl_->F(s) + 1);
  return after == kPlusInfinity ? absl::InfiniteFuture() : absl::FromUnixSeconds(after - 1);
}

absl::Time BusinessCalendar::NextClose(absl::Time t) const {
  if (!InDomain(t)) return t;
  const absl::Time open = NextOpen(t);
  if (open == absl::InfiniteFuture()) return open;
  const int64_t close = impl_->StretchEnd(absl::ToUnixSeconds(open));
  return close == kPlusInfinity ? absl::InfiniteFuture() : absl::FromUnixSeconds(close);
}

absl::StatusOr<absl::Time> BusinessCalendar::AddBusinessTime(absl::Time t, absl::Duration d) const {
  if (d == absl::ZeroDuration() || !InDomain(t)) return t;
  if (d == absl::InfiniteDuration()) return absl::InfiniteFuture();
  if (d == -absl::InfiniteDuration()) return absl::InfinitePast();
  const bool forward = d > absl::ZeroDuration();
  const auto out_of_range = [&](std::string_view why) {
    return absl::OutOfRangeError(fmt::format("adding {} of open time to {}: {}",
                                             absl::FormatDuration(d),
                                             absl::FormatTime(t, impl_->zone), why));
  };
  const std::string_view beyond_horizon = "the result lies more than 100 years away";
  if (absl::AbsDuration(d) > kHorizon) return out_of_range(beyond_horizon);
  if (forward) {
    if (const StretchMemo* memo = impl_->StretchAround(t); memo != nullptr) {
      const bool open = t >= memo->open_at;
      const absl::Time result = (open ? t : memo->open_at) + d;
      // From a closed instant the result may lie further than `d` away.
      if (result < memo->close_at && InDomain(result) && (open || result - t <= kHorizon)) {
        return result;
      }
    }
  }

  const auto [s, fraction] = SplitSeconds(t);
  const Impl::FOffset at_s = impl_->FAndOffset(s);
  const bool open = impl_->OpenCivil(s + at_s.offset);
  const auto [whole, rest] = SplitSeconds((open ? fraction : absl::ZeroDuration()) + d);
  const int64_t target = at_s.f + whole;
  int64_t e = (forward && rest == absl::ZeroDuration()) ? impl_->FInverse(target)
                                                        : impl_->FInverse(target + 1);
  if (e == kPlusInfinity) return out_of_range("the calendar has not enough open time after it");
  if (e == kMinusInfinity) return out_of_range("the calendar has not enough open time before it");
  if (!(forward && rest == absl::ZeroDuration())) e -= 1;
  const absl::Time result = absl::FromUnixSeconds(e) + rest;
  if (absl::AbsDuration(result - t) > kHorizon) return out_of_range(beyond_horizon);
  return result;
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time a, absl::Time b) const {
  if (a == b) return absl::ZeroDuration();
  if (b < a) return -BusinessTimeBetween(b, a);
  if (impl_->week.total() > 0 && (!InDomain(a) || !InDomain(b))) return absl::InfiniteDuration();
  if (const StretchMemo* memo = FindStretch(impl_->id, a); memo != nullptr && b < memo->close_at) {
    return std::max(b, memo->open_at) - std::max(a, memo->open_at);
  }
  const absl::Time low = absl::FromUnixSeconds(-kDomainSeconds);
  const absl::Time high = absl::FromUnixSeconds(kDomainSeconds);
  const auto [sa, fa] = SplitSeconds(std::clamp(a, low, high));
  const auto [sb, fb] = SplitSeconds(std::clamp(b, low, high));
  const Impl::FOffset at_a = impl_->FAndOffset(sa);
  const Impl::FOffset at_b = impl_->FAndOffset(sb);
  return absl::Seconds(at_b.f - at_a.f) +
         (fb > absl::ZeroDuration() && impl_->OpenCivil(sb + at_b.offset) ? fb
                                                                          : absl::ZeroDuration()) -
         (fa > absl::ZeroDuration() && impl_->OpenCivil(sa + at_a.offset) ? fa
                                                                          : absl::ZeroDuration());
}

const CalendarSpec& BusinessCalendar::spec() const { return impl_->spec; }
const absl::TimeZone& BusinessCalendar::time_zone() const { return impl_->zone; }
absl::Duration BusinessCalendar::weekly_open_time() const {
  return absl::Seconds(impl_->week.total());
}
bool BusinessCalendar::IsAlwaysOpen() const { return impl_->always_open; }

bool operator==(const BusinessCalendar& a, const BusinessCalendar& b) {
  return a.impl_ == b.impl_ || a.impl_->spec == b.impl_->spec;
}

std::string BusinessCalendar::ToString() const {
  const size_t holidays = impl_->spec.holidays.size();
  const size_t special = impl_->spec.special_days.size();
  return fmt::format("BusinessCalendar({}, {}/week, {} holiday{}, {} special day{})",
                     impl_->spec.time_zone, absl::FormatDuration(weekly_open_time()), holidays,
                     holidays == 1 ? "" : "s", special, special == 1 ? "" : "s");
}

}  // namespace omniroute
