// Business-hours calendars: which instants are "open", and how much open time lies between two
// instants or after one.
//
// A `BusinessCalendar` is built once from a `CalendarSpec` (an IANA time zone, weekly open
// intervals in local civil time, holidays and special days), validated, and is immutable after
// that. Every SLA clock in the library runs on one.
//
//   omniroute::CalendarSpec spec;
//   spec.time_zone = "America/New_York";
//   for (absl::Weekday day : {absl::Weekday::monday, absl::Weekday::tuesday,
//                             absl::Weekday::wednesday, absl::Weekday::thursday,
//                             absl::Weekday::friday}) {
//     spec.week[omniroute::WeekdayIndex(day)] = {*omniroute::DailyInterval::Parse("09:00",
//     "17:00")};
//   }
//   spec.holidays = {absl::CivilDay(2026, 12, 25)};
//   absl::StatusOr<omniroute::BusinessCalendar> cal = omniroute::BusinessCalendar::Create(spec);
//   // Friday 16:00 plus 2 business hours is Monday 10:00 local time.
//   absl::StatusOr<absl::Time> due = cal->AddBusinessTime(friday_4pm, absl::Hours(2));
//
// Semantics, exactly:
// - An instant is open when its local civil time, in the calendar's zone, lies in an open interval
//   of the date the interval belongs to. Intervals are half-open, `[open, close)`.
// - An interval whose close is at or before its open ("22:00"-"06:00") runs past midnight and
//   belongs to the day it starts on: a holiday on that day removes all of it, a holiday on the next
//   day removes none of it. "24:00" may end an interval; "22:00"-"00:00" equals "22:00"-"24:00".
// - A holiday closes a whole local date. A special day replaces that date's weekly intervals (an
//   empty list closes it); a special day wins over a holiday on the same date. A special day's
//   overnight spill, or the previous day's spill into a special day, is united with what is open.
// - Adjacent intervals merge: Mon 00:00-24:00 followed by Tue 00:00-... is one open stretch.
// - Open time is real elapsed time. On a daylight-saving day, local hours that do not exist are
//   never open (an opening time in the spring-forward gap takes effect at the first instant after
//   the gap), and a repeated local hour on the fall-back day is open twice when its local time is
//   open, so an open day may last 23 or 25 hours.
// - Instants are `absl::Time`; infinite instants are never open. Finite instants further than
//   10^12 s (about 31,700 years) from the Unix epoch behave as the infinity on their side.
//
// Complexity: construction costs O(z + e log e + i) for z zone transitions up to a few centuries
// ahead, e holiday/special dates and i intervals; every query below costs O(log z + log e + log i),
// independent of the span of time it covers (whole weeks and whole 400-year zone cycles are skipped
// arithmetically; holidays and special days are found by binary search). `AddBusinessTime`
// forward and `BusinessTimeBetween` answer in O(1) when their instants lie in the open stretch
// (and the closed time before it) that the calling thread's last `AddBusinessTime` on this
// calendar found: each thread remembers a few such stretches, as an engine's clocks mostly start
// now, on today's stretch.
//
// Thread safety: a `BusinessCalendar` is immutable; all const methods are safe to call from many
// threads at once. Copies are cheap (they share the immutable state).
#ifndef OMNIROUTE_CALENDAR_H_
#define OMNIROUTE_CALENDAR_H_

#include <array>
#include <compare>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace omniroute {

// A local time of day with whole-second precision, in [00:00:00, 24:00:00]. "24:00" is valid only
// as the end of an interval.
class TimeOfDay {
 public:
  static constexpr int kSecondsPerDay = 86400;

  // 00:00:00.
  constexpr TimeOfDay() = default;

  // The time `seconds` after local midnight. Unchecked: `ok()` says whether it is in range.
  static constexpr TimeOfDay FromSeconds(int seconds) { return TimeOfDay(seconds); }
  static constexpr TimeOfDay FromHms(int hours, int minutes, int seconds = 0) {
    return TimeOfDay(hours * 3600 + minutes * 60 + seconds);
  }

  // Parses "HH:MM" or "HH:MM:SS" (two digits each, hours 00-24, "24:00[:00]" only at 24).
  // InvalidArgument naming the text when malformed.
  static absl::StatusOr<TimeOfDay> Parse(std::string_view text);

  constexpr int seconds() const { return seconds_; }
  constexpr bool ok() const { return seconds_ >= 0 && seconds_ <= kSecondsPerDay; }

  // "HH:MM" when the seconds are zero, else "HH:MM:SS".
  std::string ToString() const;

  friend constexpr auto operator<=>(TimeOfDay, TimeOfDay) = default;
  template <typename H>
  friend H AbslHashValue(H h, TimeOfDay t) {
    return H::combine(std::move(h), t.seconds_);
  }
  friend std::ostream& operator<<(std::ostream& os, TimeOfDay t) { return os << t.ToString(); }

 private:
  explicit constexpr TimeOfDay(int seconds) : seconds_(seconds) {}
  int seconds_ = 0;
};

// One open interval of a day, `[open, close)` in local civil time. When `close <= open` the
// interval runs past midnight and ends at `close` on the next day (a night shift).
struct DailyInterval {
  TimeOfDay open;
  TimeOfDay close;

  // Parses both ends (see TimeOfDay::Parse) and checks `ok()`. InvalidArgument on error.
  static absl::StatusOr<DailyInterval> Parse(std::string_view open, std::string_view close);

  // Valid: `open` in [00:00, 24:00), `close` in [00:00, 24:00], and `close != open`.
  constexpr bool ok() const {
    return open.ok() && close.ok() && open.seconds() < TimeOfDay::kSecondsPerDay && open != close;
  }
  constexpr bool overnight() const { return close <= open; }
  // Seconds from `open` to `close`, counted in civil time (a DST jump is not subtracted).
  constexpr int civil_seconds() const {
    return close.seconds() - open.seconds() + (overnight() ? TimeOfDay::kSecondsPerDay : 0);
  }

  // "09:00-17:00".
  std::string ToString() const;

  friend constexpr auto operator<=>(const DailyInterval&, const DailyInterval&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const DailyInterval& i) {
    return H::combine(std::move(h), i.open, i.close);
  }
  friend std::ostream& operator<<(std::ostream& os, const DailyInterval& i) {
    return os << i.ToString();
  }
};

// Monday = 0 ... Sunday = 6: the index of `day` in `CalendarSpec::week`.
constexpr int WeekdayIndex(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

// "mon" ... "sun" for index 0 ... 6 (see WeekdayIndex). `index` must be in [0, 6].
std::string_view WeekdayKey(int index);

// Parses a week key "mon", "tue", "wed", "thu", "fri", "sat" or "sun" into its index (0-6).
// InvalidArgument for anything else.
absl::StatusOr<int> ParseWeekdayKey(std::string_view key);

// Parses a local date "YYYY-MM-DD". InvalidArgument when malformed or not a real date
// ("2026-02-30").
absl::StatusOr<absl::CivilDay> ParseCivilDate(std::string_view text);

// "YYYY-MM-DD".
std::string FormatCivilDate(absl::CivilDay day);

// What a calendar is made of. A plain value; `BusinessCalendar::Create` validates it.
struct CalendarSpec {
  // IANA zone name, e.g. "Europe/Berlin", "UTC" or "Etc/GMT+5"; loaded from the system's zoneinfo.
  // File paths ("/usr/share/zoneinfo/...", "../x") and "localtime" are refused: they depend on the
  // host.
  std::string time_zone = "UTC";
  // Open intervals per weekday, indexed by WeekdayIndex (Monday = 0). An empty list is closed.
  std::array<std::vector<DailyInterval>, 7> week;
  // Whole local dates that are closed (unless also a special day).
  std::vector<absl::CivilDay> holidays;
  // Local dates with their own intervals, replacing the weekday's; an empty list closes the date.
  std::map<absl::CivilDay, std::vector<DailyInterval>> special_days;

  friend bool operator==(const CalendarSpec&, const CalendarSpec&) = default;
};

// An immutable business-hours calendar. See the file comment for the exact semantics.
class BusinessCalendar {
 public:
  // How far `AddBusinessTime` may reach: 100 years (36,525 days) of wall time from its start.
  static constexpr absl::Duration kHorizon = absl::Hours(24 * 36525);

  // The always-open (24x7) calendar.
  BusinessCalendar();

  // Validates `spec` and builds the calendar. InvalidArgument, naming the offending part, for: an
  // unknown or empty time zone, or one that is not an IANA name (a file path, "localtime"); an
  // interval that is not `ok()` (e.g. end equal to start);
  // overlapping intervals on one day or of the weekly pattern across midnight ("mon 22:00-06:00"
  // with "tue 05:00-09:00"); a special or holiday date outside years 0001-9999. Duplicate holidays
  // count once. `spec()` keeps the intervals sorted.
  static absl::StatusOr<BusinessCalendar> Create(CalendarSpec spec);

  // The always-open (24x7) calendar; the same as the default-constructed one.
  static BusinessCalendar AlwaysOpen();

  // Whether `t` is open. O(log).
  bool IsOpen(absl::Time t) const;

  // `t` itself when open, else the first open instant after `t`; `absl::InfiniteFuture()` when the
  // calendar never opens again. Infinite `t` is returned unchanged. O(log).
  absl::Time NextOpen(absl::Time t) const;

  // The end of the open stretch that contains `t`, or, when `t` is closed, of the next open
  // stretch. `absl::InfiniteFuture()` when that stretch never ends (24x7) or there is none.
  // Infinite `t` is returned unchanged. O(log) per zone transition inside the stretch.
  absl::Time NextClose(absl::Time t) const;

  // For `d >= 0`: the earliest instant `e >= t` with exactly `d` of open time in `[t, e)`. For
  // `d < 0`: the latest instant `e <= t` with exactly `-d` of open time in `[e, t)`. `d == 0`
  // returns `t` (even when closed); infinite `t` returns `t`; `d == ±InfiniteDuration()` returns
  // `InfiniteFuture()` / `InfinitePast()`.
  // OutOfRange when the calendar has not enough open time on that side of `t`, or when the result
  // would be further than `kHorizon` from `t`. O(log), whatever the size of `d`.
  absl::StatusOr<absl::Time> AddBusinessTime(absl::Time t, absl::Duration d) const;

  // Open time in `[a, b)`; the negative of the open time in `[b, a)` when `b < a`. Infinite ends
  // give `±InfiniteDuration()` when the calendar opens every week, else the finite open time of its
  // special days on that side. O(log).
  absl::Duration BusinessTimeBetween(absl::Time a, absl::Time b) const;

  // The validated, normalised spec (intervals sorted, holidays sorted and unique).
  const CalendarSpec& spec() const;
  const absl::TimeZone& time_zone() const;
  // Open time of one regular week (holidays and special days aside), in civil seconds.
  absl::Duration weekly_open_time() const;
  // True when the weekly pattern is open around the clock and no date closes it.
  bool IsAlwaysOpen() const;

  // Equal when built from equal normalised specs.
  friend bool operator==(const BusinessCalendar& a, const BusinessCalendar& b);
  // "BusinessCalendar(America/New_York, 40h/week, 1 holiday, 0 special days)".
  std::string ToString() const;
  friend std::ostream& operator<<(std::ostream& os, const BusinessCalendar& c) {
    return os << c.ToString();
  }

 private:
  struct Impl;
  explicit BusinessCalendar(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_CALENDAR_H_
