// Calendar specs: the input is a calendar's JSON, optionally followed by a NUL byte and bytes that
// choose instants and durations. The spec must parse and print back to itself; a calendar that
// builds must keep the properties calendar.h documents at fixed instants (daylight-saving changes,
// the spec's own dates, the zone's transitions) and at the chosen ones:
// - IsOpen(t) exactly when NextOpen(t) == t; nothing is open in [t, NextOpen(t)); NextClose ends
//   the open stretch that NextOpen starts, and all of it is open;
// - AddBusinessTime(t, d) is t for d == 0, else the earliest e >= t (latest e <= t for d < 0) with
//   BusinessTimeBetween(t, e) == d, within kHorizon; OutOfRange exactly when the horizon holds
//   less open time than |d|; chaining two additions of one sign equals adding their sum;
// - BusinessTimeBetween is antisymmetric, additive and never more than the wall time between;
// - infinite instants are never open and stay where they are; finite instants beyond 10^12 s are
//   never open.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fuzz_support.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"

namespace {

using omniroute::BusinessCalendar;
using omniroute::CalendarSpec;
using omniroute::fuzz::Fail;

// Finite instants further than this from the epoch behave as infinite (calendar.h).
constexpr int64_t kRangeSeconds = 1'000'000'000'000;
constexpr absl::Duration kWeek = absl::Hours(24 * 7);
constexpr absl::Duration kNanosecond = absl::Nanoseconds(1);
// Queries chosen by one input, at most.
constexpr int kMaxQueries = 48;

bool InRange(absl::Time t, absl::Duration margin = absl::ZeroDuration()) {
  const absl::Time limit = absl::FromUnixSeconds(kRangeSeconds) - margin;
  return t < limit && t > absl::FromUnixSeconds(-kRangeSeconds) + margin;
}

bool Infinite(absl::Time t) { return t == absl::InfiniteFuture() || t == absl::InfinitePast(); }

class Checker {
 public:
  explicit Checker(const BusinessCalendar& calendar) : calendar_(calendar) {}

  void Instant(absl::Time t) const {
    if (Infinite(t)) {
      CheckInfinite(t);
      return;
    }
    if (!InRange(t)) {
      Require(!calendar_.IsOpen(t), t, "an instant beyond 10^12 s is open");
      return;
    }
    const bool open = calendar_.IsOpen(t);
    const absl::Time next_open = calendar_.NextOpen(t);
    Require(next_open >= t, t, "NextOpen goes back");
    Require(open == (next_open == t), t, "IsOpen disagrees with NextOpen");
    const absl::Time next_close = calendar_.NextClose(t);
    if (next_open == absl::InfiniteFuture()) {
      Require(next_close == absl::InfiniteFuture(), t, "NextClose without a next opening");
      Require(calendar_.BusinessTimeBetween(t, absl::InfiniteFuture()) == absl::ZeroDuration(), t,
              "open time after the last opening");
      return;
    }
    Require(calendar_.IsOpen(next_open), t, "NextOpen is closed");
    Require(calendar_.BusinessTimeBetween(t, next_open) == absl::ZeroDuration(), t,
            "open time before NextOpen");
    if (!open) Require(!calendar_.IsOpen(next_open - kNanosecond), t, "open just before NextOpen");
    Require(next_close > next_open, t, "NextClose is not after NextOpen");
    if (next_close != absl::InfiniteFuture()) {
      Require(!calendar_.IsOpen(next_close), t, "NextClose is open");
      Require(calendar_.IsOpen(next_close - kNanosecond), t, "closed just before NextClose");
      Require(calendar_.BusinessTimeBetween(next_open, next_close) == next_close - next_open, t,
              "the open stretch has closed time");
      Require(calendar_.NextClose(next_close - kNanosecond) == next_close, t,
              "NextClose moves within its stretch");
    }
  }

  void Add(absl::Time t, absl::Duration d) const {
    if (Infinite(t) || !InRange(t)) return;
    const absl::StatusOr<absl::Time> e = calendar_.AddBusinessTime(t, d);
    if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
      const absl::Time expected =
          d > absl::ZeroDuration() ? absl::InfiniteFuture() : absl::InfinitePast();
      Require(e.ok() && *e == expected, t, "an infinite addition is not infinite");
      return;
    }
    if (d == absl::ZeroDuration()) {
      Require(e.ok() && *e == t, t, "adding zero moved the instant");
      return;
    }
    const bool forward = d > absl::ZeroDuration();
    const bool horizon_in_range = InRange(t, BusinessCalendar::kHorizon + kWeek);
    if (!e.ok()) {
      if (e.status().code() != absl::StatusCode::kOutOfRange) {
        Fail(absl::StrCat("AddBusinessTime(", Text(t), ", ", absl::FormatDuration(d),
                          "): undocumented error ", e.status().ToString()));
      }
      if (horizon_in_range) {
        const absl::Duration available =
            forward ? calendar_.BusinessTimeBetween(t, t + BusinessCalendar::kHorizon)
                    : calendar_.BusinessTimeBetween(t - BusinessCalendar::kHorizon, t);
        Require(available < absl::AbsDuration(d), t,
                absl::StrCat("OutOfRange for ", absl::FormatDuration(d), " with ",
                             absl::FormatDuration(available), " open within the horizon"));
      }
      return;
    }
    const std::string what =
        absl::StrCat("AddBusinessTime(+", absl::FormatDuration(d), ") = ", Text(*e), ": ");
    Require(forward ? *e > t : *e < t, t, what + "wrong side of the start");
    Require(absl::AbsDuration(*e - t) <= BusinessCalendar::kHorizon, t, what + "past the horizon");
    if (!InRange(*e)) return;
    Require(calendar_.BusinessTimeBetween(t, *e) == d, t, what + "open time differs");
    // The earliest such instant is reached through open time (the latest, going back, starts it).
    Require(calendar_.IsOpen(forward ? *e - kNanosecond : *e), t, what + "not the earliest");
  }

  void Chain(absl::Time t, absl::Duration d1, absl::Duration d2) const {
    if (Infinite(t) || !InRange(t)) return;
    if ((d1 > absl::ZeroDuration()) != (d2 > absl::ZeroDuration())) return;
    const absl::StatusOr<absl::Time> first = calendar_.AddBusinessTime(t, d1);
    if (!first.ok() || !InRange(*first)) return;
    const absl::StatusOr<absl::Time> chained = calendar_.AddBusinessTime(*first, d2);
    const absl::StatusOr<absl::Time> whole = calendar_.AddBusinessTime(t, d1 + d2);
    if (chained.ok() && whole.ok()) {
      Require(*chained == *whole, t,
              absl::StrCat("adding ", absl::FormatDuration(d1), " then ", absl::FormatDuration(d2),
                           " gives ", Text(*chained), ", adding the sum ", Text(*whole)));
    }
  }

  void Between(absl::Time a, absl::Time b, absl::Time c) const {
    for (const absl::Time t : {a, b, c}) {
      if (Infinite(t) || !InRange(t)) return;
    }
    const absl::Duration ab = calendar_.BusinessTimeBetween(a, b);
    const absl::Duration bc = calendar_.BusinessTimeBetween(b, c);
    const absl::Duration ac = calendar_.BusinessTimeBetween(a, c);
    Require(calendar_.BusinessTimeBetween(b, a) == -ab, a, "BusinessTimeBetween not antisymmetric");
    Require(ab + bc == ac, a,
            absl::StrCat("BusinessTimeBetween not additive at ", Text(b), ", ", Text(c)));
    Require(absl::AbsDuration(ab) <= absl::AbsDuration(b - a), a, "more open time than wall time");
    Require((ab >= absl::ZeroDuration()) == (b >= a) || ab == absl::ZeroDuration(), a,
            "open time of the wrong sign");
  }

 private:
  void CheckInfinite(absl::Time t) const {
    Require(!calendar_.IsOpen(t), t, "an infinite instant is open");
    Require(calendar_.NextOpen(t) == t, t, "NextOpen moved an infinite instant");
    Require(calendar_.NextClose(t) == t, t, "NextClose moved an infinite instant");
    const absl::StatusOr<absl::Time> added = calendar_.AddBusinessTime(t, absl::Hours(1));
    Require(added.ok() && *added == t, t, "AddBusinessTime moved an infinite instant");
  }

  std::string Text(absl::Time t) const {
    return absl::FormatTime("%Y-%m-%d %H:%M:%E*S %z", t, calendar_.time_zone());
  }

  void Require(bool holds, absl::Time t, std::string_view what) const {
    if (!holds) {
      Fail(absl::StrCat(std::string(what), " at ", Text(t), " (", absl::FormatTime(t), ") on ",
                        calendar_.ToString()));
    }
  }

  const BusinessCalendar& calendar_;
};

// Instants worth a look on every calendar: daylight-saving changes in both hemispheres, around a
// year's turn, and far in the future.
std::vector<absl::Time> FixedInstants(const BusinessCalendar& calendar) {
  std::vector<absl::Time> out;
  for (const int64_t seconds : {1774744200LL, 1792888200LL, 1772951400LL, 1793511000LL,
                                1775311200LL, 1798761599LL, 1767225600LL, 20000000000LL}) {
    out.push_back(absl::FromUnixSeconds(seconds));
  }
  // The spec's own dates (a few), and the zone's next transitions after 2026.
  const CalendarSpec& spec = calendar.spec();
  const absl::TimeZone& zone = calendar.time_zone();
  for (size_t i = 0; i < spec.holidays.size() && i < 3; ++i) {
    out.push_back(absl::FromCivil(absl::CivilSecond(spec.holidays[i]), zone));
  }
  int special = 0;
  for (const auto& [day, hours] : spec.special_days) {
    if (++special > 3) break;
    out.push_back(absl::FromCivil(absl::CivilSecond(day) + 9 * 3600, zone));
  }
  absl::TimeZone::CivilTransition transition;
  absl::Time from = absl::FromUnixSeconds(1767225600);
  for (int i = 0; i < 2 && zone.NextTransition(from, &transition); ++i) {
    from = absl::FromCivil(transition.to, zone);
    out.push_back(from - absl::Minutes(30));
    out.push_back(from);
  }
  return out;
}

absl::Time ChooseInstant(FuzzedDataProvider& in, const std::vector<absl::Time>& anchors) {
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:
    case 1: {
      const absl::Time anchor = anchors[in.ConsumeIntegralInRange<size_t>(0, anchors.size() - 1)];
      return anchor + absl::Nanoseconds(in.ConsumeIntegralInRange<int64_t>(
                          -int64_t{3} * 86400 * 1'000'000'000, int64_t{3} * 86400 * 1'000'000'000));
    }
    case 2:
      return absl::FromUnixNanos(in.ConsumeIntegral<int64_t>());
    case 3:
      return absl::FromUnixSeconds(
          in.ConsumeIntegralInRange<int64_t>(-kRangeSeconds - 86400, kRangeSeconds + 86400));
    case 4:
      return absl::FromUnixSeconds(
                 in.ConsumeIntegralInRange<int64_t>(-kRangeSeconds, kRangeSeconds) / 86400 *
                 86400) +
             absl::Seconds(in.ConsumeIntegralInRange(0, 86399));
    default:
      return in.ConsumeBool() ? absl::InfiniteFuture() : absl::InfinitePast();
  }
}

absl::Duration ChooseDuration(FuzzedDataProvider& in) {
  const bool negative = in.ConsumeBool();
  absl::Duration d;
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      d = absl::Nanoseconds(
          in.ConsumeIntegralInRange<int64_t>(0, int64_t{10} * 86400 * 1'000'000'000));
      break;
    case 1:
      d = absl::Minutes(in.ConsumeIntegralInRange<int64_t>(0, int64_t{10} * 366 * 24 * 60));
      break;
    case 2:
      d = BusinessCalendar::kHorizon +
          absl::Seconds(in.ConsumeIntegralInRange<int64_t>(-86400 * 400, 86400 * 400));
      break;
    case 3:
      d = absl::Seconds(in.ConsumeIntegralInRange(0, 86400));
      break;
    default:
      d = in.ConsumeBool() ? absl::InfiniteDuration() : absl::ZeroDuration();
      break;
  }
  return negative ? -d : d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = std::min(input.find('\0'), input.size());
  const std::string_view json = input.substr(0, split);
  const std::string_view queries = input.substr(std::min(split + 1, input.size()));

  const absl::StatusOr<CalendarSpec> spec = omniroute::ParseCalendarSpecJson(json);
  const absl::StatusOr<BusinessCalendar> calendar = omniroute::ParseCalendarJson(json);
  if (!spec.ok()) {
    omniroute::fuzz::CheckError(spec.status(), "ParseCalendarSpecJson",
                                {absl::StatusCode::kInvalidArgument});
    if (calendar.ok()) Fail("ParseCalendarJson accepts what ParseCalendarSpecJson refuses");
    return 0;
  }
  const absl::StatusOr<CalendarSpec> reread =
      omniroute::ParseCalendarSpecJson(omniroute::CalendarSpecToJson(*spec));
  if (!reread.ok() || *reread != *spec) {
    Fail(absl::StrCat("the spec does not print back to itself: ",
                      omniroute::CalendarSpecToJson(*spec)));
  }
  const absl::StatusOr<BusinessCalendar> built = BusinessCalendar::Create(*spec);
  if (built.ok() != calendar.ok()) Fail("ParseCalendarJson and Create disagree");
  if (!calendar.ok()) {
    omniroute::fuzz::CheckError(calendar.status(), "ParseCalendarJson",
                                {absl::StatusCode::kInvalidArgument});
    return 0;
  }
  if (!(*built == *calendar)) Fail("the same spec builds different calendars");
  const CalendarSpec& normal = calendar->spec();
  const absl::StatusOr<CalendarSpec> normal_reread =
      omniroute::ParseCalendarSpecJson(omniroute::CalendarSpecToJson(normal));
  if (!normal_reread.ok() || *normal_reread != normal) {
    Fail("the normalised spec does not print back to itself");
  }
  const absl::StatusOr<BusinessCalendar> rebuilt = BusinessCalendar::Create(normal);
  if (!rebuilt.ok() || !(*rebuilt == *calendar))
    Fail("the normalised spec builds another calendar");

  const Checker check(*calendar);
  const std::vector<absl::Time> anchors = FixedInstants(*calendar);
  for (const absl::Time t : anchors) {
    check.Instant(t);
    for (const absl::Duration d : {absl::Hours(1), absl::Hours(-9), absl::Hours(24 * 30)}) {
      check.Add(t, d);
    }
  }
  FuzzedDataProvider in(reinterpret_cast<const uint8_t*>(queries.data()), queries.size());
  for (int i = 0; i < kMaxQueries && in.remaining_bytes() > 0; ++i) {
    const absl::Time t = ChooseInstant(in, anchors);
    check.Instant(t);
    const absl::Duration d1 = ChooseDuration(in);
    const absl::Duration d2 = ChooseDuration(in);
    check.Add(t, d1);
    check.Chain(t, d1, d2);
    const absl::Time b = ChooseInstant(in, anchors);
    check.Between(t, b, ChooseInstant(in, anchors));
  }
  return 0;
}
