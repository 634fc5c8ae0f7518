#include "omniroute/calendar.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/bucket_search.h"

namespace omniroute {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int kMon = 0;
constexpr int kTue = 1;
constexpr int kWed = 2;
constexpr int kThu = 3;
constexpr int kFri = 4;
constexpr int kSat = 5;
constexpr int kSun = 6;

// ---------------------------------------------------------------------------------------------
// Helpers. They build specs without the library's parsers, so a parser bug cannot hide behind
// every other test.

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) ADD_FAILURE() << "cannot load time zone " << name;
  return zone;
}

absl::Time Local(const absl::TimeZone& zone, int y, int mo, int d, int h = 0, int mi = 0,
                 int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), zone);
}

// For instants whose local time is ambiguous or skipped, tests spell out UTC.
absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

// "HH:MM" or "HH:MM:SS", assumed well formed.
TimeOfDay Tod(std::string_view text) {
  auto two = [&](size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
  return TimeOfDay::FromHms(two(0), two(3), text.size() > 5 ? two(6) : 0);
}

DailyInterval Iv(std::string_view open, std::string_view close) {
  return DailyInterval{Tod(open), Tod(close)};
}

using Hours = std::vector<DailyInterval>;

CalendarSpec Spec(std::string zone, std::initializer_list<std::pair<int, Hours>> days) {
  CalendarSpec spec;
  spec.time_zone = std::move(zone);
  for (const auto& [day, hours] : days) spec.week[day] = hours;
  return spec;
}

CalendarSpec Weekdays(std::string zone, Hours hours) {
  return Spec(std::move(zone),
              {{kMon, hours}, {kTue, hours}, {kWed, hours}, {kThu, hours}, {kFri, hours}});
}

BusinessCalendar MustCreate(CalendarSpec spec) {
  absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(std::move(spec));
  if (!calendar.ok()) {
    ADD_FAILURE() << "Create failed: " << calendar.status();
    return BusinessCalendar();
  }
  return *std::move(calendar);
}

std::string Describe(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E*S %z", t, zone);
}

MATCHER_P2(IsError, code, message_matcher, "") {
  const absl::Status& status = arg.status();
  *result_listener << "status is " << status;
  return status.code() == code &&
         testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                     result_listener);
}

MATCHER_P(HoldsTime, expected, "holds " + absl::FormatTime(expected, absl::UTCTimeZone())) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  *result_listener << "holds " << absl::FormatTime(*arg, absl::UTCTimeZone());
  return *arg == expected;
}

MATCHER_P(MentionsIgnoringCase, word, "") {
  std::string text(arg);
  std::string needle(word);
  for (std::string* s : {&text, &needle}) {
    std::transform(s->begin(), s->end(), s->begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  return text.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// The slow reference: the contract's definition of "open", applied literally to one instant at a
// time, and minute-by-minute accumulation for everything else. It never calls the library.

absl::Time MinuteFloor(absl::Time t) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), absl::Minutes(1));
}

class Reference {
 public:
  explicit Reference(const CalendarSpec& spec)
      : spec_(spec),
        zone_(Zone(spec.time_zone)),
        holidays_(spec.holidays.begin(), spec.holidays.end()) {}

  bool IsOpen(absl::Time t) const {
    if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return false;
    const absl::CivilSecond local = absl::ToCivilSecond(t, zone_);
    const absl::CivilDay day(local);
    const int64_t second = local - absl::CivilSecond(day);
    for (const DailyInterval& iv : IntervalsOf(day)) {
      const int open = iv.open.seconds();
      const int close = iv.close.seconds();
      if (close > open ? (open <= second && second < close) : second >= open) return true;
    }
    for (const DailyInterval& iv : IntervalsOf(day - 1)) {
      if (iv.close.seconds() <= iv.open.seconds() && second < iv.close.seconds()) return true;
    }
    return false;
  }

  // Intervals and zone offsets are whole minutes, so a UTC minute is either open or closed as a
  // whole; its start decides.
  bool MinuteOpen(absl::Time minute) const { return IsOpen(minute); }

  absl::Duration Between(absl::Time a, absl::Time b) const {
    if (b < a) return -Between(b, a);
    absl::Duration total;
    for (absl::Time m = MinuteFloor(a); m < b; m += absl::Minutes(1)) {
      if (MinuteOpen(m)) total += std::min(m + absl::Minutes(1), b) - std::max(m, a);
    }
    return total;
  }

  std::optional<absl::Time> Add(absl::Time t, absl::Duration d, absl::Duration max_wall) const {
    if (d == absl::ZeroDuration()) return t;
    if (d > absl::ZeroDuration()) {
      absl::Duration left = d;
      for (absl::Time p = t; p - t <= max_wall;) {
        const absl::Time next = MinuteFloor(p) + absl::Minutes(1);
        if (MinuteOpen(MinuteFloor(p))) {
          if (left <= next - p) return p + left;
          left -= next - p;
        }
        p = next;
      }
      return std::nullopt;
    }
    absl::Duration left = -d;
    for (absl::Time p = t; t - p <= max_wall;) {
      absl::Time m = MinuteFloor(p);
      if (m == p) m -= absl::Minutes(1);
      if (MinuteOpen(m)) {
        if (left <= p - m) return p - left;
        left -= p - m;
      }
      p = m;
    }
    return std::nullopt;
  }

  std::optional<absl::Time> NextOpen(absl::Time t, absl::Duration max_wall) const {
    if (IsOpen(t)) return t;
    for (absl::Time m = MinuteFloor(t) + absl::Minutes(1); m - t <= max_wall;
         m += absl::Minutes(1)) {
      if (MinuteOpen(m)) return m;
    }
    return std::nullopt;
  }

  std::optional<absl::Time> NextClose(absl::Time t, absl::Duration max_wall) const {
    const std::optional<absl::Time> open = NextOpen(t, max_wall);
    if (!open) return std::nullopt;
    for (absl::Time m = MinuteFloor(*open) + absl::Minutes(1); m - t <= max_wall;
         m += absl::Minutes(1)) {
      if (!MinuteOpen(m)) return m;
    }
    return std::nullopt;
  }

  const absl::TimeZone& zone() const { return zone_; }

 private:
  const std::vector<DailyInterval>& IntervalsOf(absl::CivilDay day) const {
    static const std::vector<DailyInterval> kClosed;
    if (auto it = spec_.special_days.find(day); it != spec_.special_days.end()) return it->second;
    if (holidays_.count(day) > 0) return kClosed;
    // 5 January 1970 was a Monday; index 0 is Monday.
    return spec_.week[((day - absl::CivilDay(1970, 1, 5)) % 7 + 7) % 7];
  }

  CalendarSpec spec_;
  absl::TimeZone zone_;
  std::set<absl::CivilDay> holidays_;
};

// Calendars for the randomised tests: each mixes night shifts, lunch breaks, holidays and special
// days with its zone's DST changes.

CalendarSpec NewYorkOffice() {
  CalendarSpec spec =
      Spec("America/New_York", {{kMon, {Iv("06:00", "12:00"), Iv("13:00", "17:30")}},
                                {kTue, {Iv("08:00", "12:00"), Iv("13:00", "17:30")}},
                                {kWed, {Iv("09:00", "17:00")}},
                                {kThu, {Iv("09:00", "12:00"), Iv("12:30", "18:00")}},
                                {kFri, {Iv("09:00", "15:00"), Iv("22:00", "02:00")}},
                                {kSat, {Iv("10:00", "14:00"), Iv("23:00", "00:30")}},
                                {kSun, {Iv("00:30", "02:30"), Iv("22:00", "06:00")}}});
  spec.holidays = {
      absl::CivilDay(2026, 1, 1),   absl::CivilDay(2026, 1, 19), absl::CivilDay(2026, 3, 8),
      absl::CivilDay(2026, 5, 25),  absl::CivilDay(2026, 7, 3),  absl::CivilDay(2026, 11, 26),
      absl::CivilDay(2026, 12, 25), absl::CivilDay(2027, 1, 1),  absl::CivilDay(2026, 12, 25)};
  spec.special_days = {
      {absl::CivilDay(2026, 7, 4), {}},
      {absl::CivilDay(2026, 11, 1), {Iv("00:30", "03:00"), Iv("23:00", "01:00")}},
      {absl::CivilDay(2026, 11, 28), {Iv("08:00", "20:00")}},
      {absl::CivilDay(2026, 12, 24), {Iv("09:00", "13:00")}},
      {absl::CivilDay(2026, 12, 25), {Iv("10:00", "11:00")}},
      {absl::CivilDay(2026, 12, 31), {Iv("20:00", "02:00")}},
  };
  return spec;
}

CalendarSpec BerlinShop() {
  CalendarSpec spec = Weekdays("Europe/Berlin", {Iv("08:00", "16:00")});
  spec.week[kSat] = {Iv("09:00", "13:00"), Iv("22:00", "01:00")};
  spec.week[kSun] = {Iv("01:00", "04:00"), Iv("20:00", "00:00")};
  spec.holidays = {absl::CivilDay(2026, 10, 3), absl::CivilDay(2026, 12, 25),
                   absl::CivilDay(2026, 12, 26)};
  spec.special_days = {{absl::CivilDay(2026, 5, 1), {}},
                       {absl::CivilDay(2026, 12, 24), {Iv("08:00", "12:00")}}};
  return spec;
}

CalendarSpec LordHoweDesk() {
  CalendarSpec spec = Weekdays("Australia/Lord_Howe", {Iv("09:00", "17:00")});
  spec.week[kSat] = {Iv("22:00", "03:00")};
  spec.week[kSun] = {Iv("12:00", "13:00")};
  spec.holidays = {absl::CivilDay(2026, 4, 6)};
  return spec;
}

CalendarSpec ShanghaiOffice() {
  CalendarSpec spec = Weekdays("Asia/Shanghai", {Iv("09:00", "12:00"), Iv("13:30", "18:00")});
  for (int d = 1; d <= 8; ++d) spec.holidays.push_back(absl::CivilDay(2026, 10, d));
  spec.special_days = {{absl::CivilDay(2026, 9, 27), {Iv("09:00", "18:00")}},
                       {absl::CivilDay(2026, 10, 10), {Iv("09:00", "18:00")}}};
  return spec;
}

// Monday to Friday merge into one stretch that starts on Sunday evening.
CalendarSpec UtcTradingWeek() {
  CalendarSpec spec = Weekdays("UTC", {Iv("00:00", "24:00")});
  spec.week[kSun] = {Iv("22:00", "00:00")};
  spec.holidays = {absl::CivilDay(2026, 6, 3)};
  spec.special_days = {{absl::CivilDay(2026, 6, 13), {Iv("10:00", "12:00")}}};
  return spec;
}

struct Scenario {
  std::string name;
  CalendarSpec spec;
  absl::Time from;  // Minute-aligned; random instants are drawn from [from, to).
  absl::Time to;
  std::vector<absl::Time> focus;  // Instants near which trouble is likely.
};

Scenario MakeScenario(std::string name, CalendarSpec spec, absl::Time from, absl::Time to,
                      std::vector<absl::Time> focus = {}) {
  // Offset changes, found by scanning rather than through TimeZone::NextTransition, which may
  // stop reporting transitions in the far future.
  const absl::TimeZone zone = Zone(spec.time_zone);
  auto offset = [&](absl::Time t) { return zone.At(t).offset; };
  for (absl::Time t = from; t < to; t += absl::Hours(1)) {
    if (offset(t) == offset(t + absl::Hours(1))) continue;
    absl::Time lo = t;  // Same offset as t.
    absl::Time hi = t + absl::Hours(1);
    while (hi - lo > absl::Minutes(1)) {
      const absl::Time mid = lo + absl::Minutes((hi - lo) / absl::Minutes(2));
      (offset(mid) == offset(lo) ? lo : hi) = mid;
    }
    focus.push_back(hi);
  }
  return Scenario{std::move(name), std::move(spec), from, to, std::move(focus)};
}

std::vector<Scenario> Scenarios() {
  const absl::TimeZone ny = Zone("America/New_York");
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const absl::TimeZone shanghai = Zone("Asia/Shanghai");
  std::vector<Scenario> scenarios;
  scenarios.push_back(
      MakeScenario("NewYorkOffice", NewYorkOffice(), Utc(2025, 12, 20), Utc(2027, 1, 20),
                   {Local(ny, 2026, 1, 1), Local(ny, 2026, 7, 3, 12), Local(ny, 2026, 11, 28, 12),
                    Local(ny, 2026, 12, 24, 12), Local(ny, 2026, 12, 31, 22)}));
  scenarios.push_back(MakeScenario("BerlinShop", BerlinShop(), Utc(2026, 1, 1), Utc(2027, 1, 1),
                                   {Local(berlin, 2026, 5, 1), Local(berlin, 2026, 12, 24)}));
  scenarios.push_back(
      MakeScenario("LordHoweDesk", LordHoweDesk(), Utc(2026, 1, 1), Utc(2027, 1, 1)));
  scenarios.push_back(MakeScenario("ShanghaiOffice", ShanghaiOffice(), Utc(2026, 1, 1),
                                   Utc(2027, 1, 1), {Local(shanghai, 2026, 10, 1)}));
  scenarios.push_back(MakeScenario("UtcTradingWeek", UtcTradingWeek(), Utc(2026, 1, 1),
                                   Utc(2027, 1, 1), {Utc(2026, 6, 3), Utc(2026, 6, 13)}));
  return scenarios;
}

std::vector<Scenario> FarFutureScenarios() {
  std::vector<Scenario> scenarios;
  scenarios.push_back(
      MakeScenario("NewYorkOffice2600", NewYorkOffice(), Utc(2600, 1, 1), Utc(2601, 1, 1)));
  scenarios.push_back(
      MakeScenario("NewYorkOffice3000", NewYorkOffice(), Utc(3000, 1, 1), Utc(3001, 1, 1)));
  scenarios.push_back(
      MakeScenario("BerlinShop3000", BerlinShop(), Utc(3000, 1, 1), Utc(3001, 1, 1)));
  scenarios.push_back(
      MakeScenario("LordHoweDesk2600", LordHoweDesk(), Utc(2600, 1, 1), Utc(2601, 1, 1)));
  return scenarios;
}

int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// A minute-aligned instant: half of them within three days of a focus instant.
absl::Time RandomMinute(std::mt19937_64& rng, const Scenario& s) {
  if (!s.focus.empty() && Uniform(rng, 0, 1) == 0) {
    const absl::Time center = MinuteFloor(s.focus[Uniform(rng, 0, s.focus.size() - 1)]);
    return center + absl::Minutes(Uniform(rng, -3 * 1440, 3 * 1440));
  }
  return s.from + absl::Minutes(Uniform(rng, 0, (s.to - s.from) / absl::Minutes(1) - 1));
}

absl::Time RandomInstant(std::mt19937_64& rng, const Scenario& s) {
  return RandomMinute(rng, s) + absl::Nanoseconds(Uniform(rng, 0, 59'999'999'999));
}

constexpr absl::Duration kReferenceReach = absl::Hours(24 * 60);

// ---------------------------------------------------------------------------------------------
// Parsing and formatting helpers.

TEST(TimeOfDayTest, ParsesHoursMinutesAndSeconds) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"00:00", 0},        {"09:30", 34200}, {"07:05:09", 25509}, {"23:59", 86340},
      {"23:59:59", 86399}, {"24:00", 86400}, {"24:00:00", 86400}, {"12:00:00", 43200}};
  for (const auto& [text, seconds] : cases) {
    absl::StatusOr<TimeOfDay> parsed = TimeOfDay::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(parsed->seconds(), seconds) << text;
    EXPECT_TRUE(parsed->ok()) << text;
  }
}

TEST(TimeOfDayTest, RejectsMalformedTextNamingIt) {
  for (const std::string text :
       {"9:00", "25:00", "12:60", "24:01", "ab:cd", "12:00:60", "24:00:01", "12:3", "1200",
        "12:30:5", "-1:00", "12-30", "123:00", "12:30:", "99:99"}) {
    EXPECT_THAT(TimeOfDay::Parse(text),
                IsError(absl::StatusCode::kInvalidArgument, HasSubstr(text)))
        << text;
  }
  EXPECT_THAT(TimeOfDay::Parse(""), IsError(absl::StatusCode::kInvalidArgument, testing::_));
}

TEST(TimeOfDayTest, FormatsSecondsOnlyWhenPresentAndChecksRange) {
  EXPECT_EQ(TimeOfDay::FromHms(9, 0).ToString(), "09:00");
  EXPECT_EQ(TimeOfDay::FromHms(9, 0, 5).ToString(), "09:00:05");
  EXPECT_EQ(TimeOfDay::FromHms(23, 59, 59).ToString(), "23:59:59");
  EXPECT_EQ(TimeOfDay().ToString(), "00:00");
  EXPECT_EQ(TimeOfDay::FromSeconds(86400).ToString(), "24:00");
  std::ostringstream os;
  os << TimeOfDay::FromHms(17, 30);
  EXPECT_EQ(os.str(), "17:30");

  EXPECT_TRUE(TimeOfDay::FromSeconds(0).ok());
  EXPECT_TRUE(TimeOfDay::FromSeconds(86400).ok());
  EXPECT_FALSE(TimeOfDay::FromSeconds(-1).ok());
  EXPECT_FALSE(TimeOfDay::FromSeconds(86401).ok());
  EXPECT_LT(TimeOfDay::FromHms(9, 0), TimeOfDay::FromHms(17, 0));
  EXPECT_EQ(TimeOfDay::FromHms(1, 2, 3).seconds(), 3723);

  for (const std::string text : {"00:00", "09:00:05", "17:30", "24:00"}) {
    absl::StatusOr<TimeOfDay> parsed = TimeOfDay::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->ToString(), text);
  }
}

TEST(DailyIntervalTest, ParsesDayAndNightIntervals) {
  absl::StatusOr<DailyInterval> day = DailyInterval::Parse("09:00", "17:00");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(day->open.seconds(), 9 * 3600);
  EXPECT_EQ(day->close.seconds(), 17 * 3600);
  EXPECT_FALSE(day->overnight());
  EXPECT_EQ(day->civil_seconds(), 8 * 3600);
  EXPECT_EQ(day->ToString(), "09:00-17:00");

  absl::StatusOr<DailyInterval> night = DailyInterval::Parse("22:00", "06:00");
  ASSERT_TRUE(night.ok()) << night.status();
  EXPECT_TRUE(night->overnight());
  EXPECT_EQ(night->civil_seconds(), 8 * 3600);
  EXPECT_EQ(night->ToString(), "22:00-06:00");

  // "22:00"-"00:00" is the same stretch as "22:00"-"24:00".
  absl::StatusOr<DailyInterval> to_midnight = DailyInterval::Parse("22:00", "00:00");
  ASSERT_TRUE(to_midnight.ok()) << to_midnight.status();
  EXPECT_TRUE(to_midnight->overnight());
  EXPECT_EQ(to_midnight->civil_seconds(), 2 * 3600);
  absl::StatusOr<DailyInterval> to_24 = DailyInterval::Parse("22:00", "24:00");
  ASSERT_TRUE(to_24.ok()) << to_24.status();
  EXPECT_FALSE(to_24->overnight());
  EXPECT_EQ(to_24->civil_seconds(), 2 * 3600);

  absl::StatusOr<DailyInterval> whole = DailyInterval::Parse("00:00", "24:00");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->civil_seconds(), 86400);

  absl::StatusOr<DailyInterval> seconds = DailyInterval::Parse("09:00:30", "09:01:15");
  ASSERT_TRUE(seconds.ok()) << seconds.status();
  EXPECT_EQ(seconds->civil_seconds(), 45);
  EXPECT_EQ(seconds->ToString(), "09:00:30-09:01:15");
  std::ostringstream os;
  os << *seconds;
  EXPECT_EQ(os.str(), "09:00:30-09:01:15");
}

TEST(DailyIntervalTest, RejectsEmptyReversedTwentyFourAndMalformedEnds) {
  EXPECT_THAT(DailyInterval::Parse("09:00", "09:00"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("09:00")));
  EXPECT_THAT(DailyInterval::Parse("00:00", "00:00"),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  EXPECT_THAT(DailyInterval::Parse("24:00", "06:00"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("24:00")));
  EXPECT_THAT(DailyInterval::Parse("24:00", "24:00"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("24:00")));
  EXPECT_THAT(DailyInterval::Parse("9:00", "17:00"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("9:00")));
  EXPECT_THAT(DailyInterval::Parse("09:00", "25:00"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("25:00")));
  EXPECT_THAT(DailyInterval::Parse("09:00", "ab:cd"),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("ab:cd")));

  EXPECT_FALSE((DailyInterval{TimeOfDay::FromHms(24, 0), TimeOfDay::FromHms(6, 0)}.ok()));
  EXPECT_FALSE((DailyInterval{TimeOfDay::FromHms(9, 0), TimeOfDay::FromHms(9, 0)}.ok()));
  EXPECT_FALSE((DailyInterval{TimeOfDay::FromSeconds(-60), TimeOfDay::FromHms(9, 0)}.ok()));
  EXPECT_FALSE((DailyInterval{TimeOfDay::FromHms(9, 0), TimeOfDay::FromSeconds(86401)}.ok()));
  EXPECT_TRUE((DailyInterval{TimeOfDay::FromHms(23, 59), TimeOfDay::FromHms(24, 0)}.ok()));
}

TEST(WeekdayKeyTest, KeysRoundTripInMondayFirstOrder) {
  const std::array<std::string_view, 7> keys = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(WeekdayKey(i), keys[i]);
    absl::StatusOr<int> parsed = ParseWeekdayKey(keys[i]);
    ASSERT_TRUE(parsed.ok()) << keys[i] << ": " << parsed.status();
    EXPECT_EQ(*parsed, i);
  }
  EXPECT_EQ(WeekdayIndex(absl::Weekday::monday), 0);
  EXPECT_EQ(WeekdayIndex(absl::Weekday::wednesday), 2);
  EXPECT_EQ(WeekdayIndex(absl::Weekday::sunday), 6);
  EXPECT_EQ(WeekdayIndex(absl::GetWeekday(absl::CivilDay(2026, 3, 8))), kSun);
}

TEST(WeekdayKeyTest, RejectsAnythingButTheSevenLowerCaseKeys) {
  for (const std::string key : {"monday", "Mon", "MON", "mo", "sun ", " sun", "tues", "7", "0"}) {
    EXPECT_THAT(ParseWeekdayKey(key), IsError(absl::StatusCode::kInvalidArgument, HasSubstr(key)))
        << key;
  }
  EXPECT_THAT(ParseWeekdayKey(""), IsError(absl::StatusCode::kInvalidArgument, testing::_));
}

TEST(CivilDateTest, ParsesRealDates) {
  const std::vector<std::pair<std::string, absl::CivilDay>> cases = {
      {"2026-02-28", absl::CivilDay(2026, 2, 28)}, {"2024-02-29", absl::CivilDay(2024, 2, 29)},
      {"2000-02-29", absl::CivilDay(2000, 2, 29)}, {"2026-12-31", absl::CivilDay(2026, 12, 31)},
      {"0001-01-01", absl::CivilDay(1, 1, 1)},     {"9999-12-31", absl::CivilDay(9999, 12, 31)}};
  for (const auto& [text, day] : cases) {
    absl::StatusOr<absl::CivilDay> parsed = ParseCivilDate(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, day) << text;
  }
}

TEST(CivilDateTest, RejectsMalformedAndImpossibleDatesNamingThem) {
  for (const std::string text :
       {"2026-02-30", "2026-1-5", "xx", "2025-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
        "2026-01-00", "2026-01-32", "2026/01/05", "2026-01-05x", "20260105", "26-01-05",
        "2026-04-31"}) {
    EXPECT_THAT(ParseCivilDate(text), IsError(absl::StatusCode::kInvalidArgument, HasSubstr(text)))
        << text;
  }
  EXPECT_THAT(ParseCivilDate(""), IsError(absl::StatusCode::kInvalidArgument, testing::_));
}

TEST(CivilDateTest, FormatsWithPaddingAndRoundTrips) {
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(2026, 12, 31)), "2026-12-31");
  EXPECT_EQ(FormatCivilDate(absl::CivilDay(987, 6, 7)), "0987-06-07");
  for (const absl::CivilDay day :
       {absl::CivilDay(1, 1, 1), absl::CivilDay(2024, 2, 29), absl::CivilDay(9999, 12, 31)}) {
    absl::StatusOr<absl::CivilDay> parsed = ParseCivilDate(FormatCivilDate(day));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, day);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation in Create.

TEST(CalendarCreateTest, RejectsUnknownTimeZoneNamingIt) {
  CalendarSpec spec = Weekdays("Mars/Olympus_Mons", {Iv("09:00", "17:00")});
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("Mars/Olympus_Mons")));
}

TEST(CalendarCreateTest, RejectsEmptyTimeZone) {
  CalendarSpec spec = Weekdays("", {Iv("09:00", "17:00")});
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, MentionsIgnoringCase("zone")));
}

// absl::LoadTimeZone loads these, but they name the host's zone or a file, not an IANA zone.
TEST(CalendarCreateTest, RejectsHostDependentTimeZonesNamingThem) {
  for (const std::string name :
       {"localtime", "/usr/share/zoneinfo/America/New_York", "file:/etc/localtime",
        "../zoneinfo/America/New_York", "America/../America/New_York", "America//New_York", "./UTC",
        "America/New_York/"}) {
    SCOPED_TRACE(name);
    CalendarSpec spec = Weekdays(name, {Iv("09:00", "17:00")});
    EXPECT_THAT(BusinessCalendar::Create(spec),
                IsError(absl::StatusCode::kInvalidArgument, HasSubstr("\"" + name + "\"")));
  }
}

TEST(CalendarCreateTest, AcceptsIanaNamesWithDigitsAndSigns) {
  for (const std::string name : {"UTC", "Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince",
                                 "America/Argentina/Buenos_Aires", "EST5EDT"}) {
    SCOPED_TRACE(name);
    CalendarSpec spec = Weekdays(name, {Iv("09:00", "17:00")});
    EXPECT_TRUE(BusinessCalendar::Create(spec).ok());
  }
}

TEST(CalendarCreateTest, RejectsIntervalEndingWhereItStarts) {
  CalendarSpec spec = Spec("UTC", {{kMon, {Iv("09:00", "09:00")}}});
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("09:00")));

  CalendarSpec special = Spec("UTC", {});
  special.special_days[absl::CivilDay(2026, 12, 24)] = {Iv("13:00", "13:00")};
  EXPECT_THAT(BusinessCalendar::Create(special),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("2026-12-24")));
}

TEST(CalendarCreateTest, RejectsTwentyFourAsOpeningAndOutOfRangeTimes) {
  EXPECT_THAT(BusinessCalendar::Create(
                  Spec("UTC", {{kTue, {DailyInterval{TimeOfDay::FromHms(24, 0), Tod("06:00")}}}})),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("24:00")));
  EXPECT_THAT(BusinessCalendar::Create(Spec(
                  "UTC", {{kTue, {DailyInterval{TimeOfDay::FromSeconds(-3600), Tod("06:00")}}}})),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  EXPECT_THAT(BusinessCalendar::Create(Spec(
                  "UTC", {{kTue, {DailyInterval{Tod("06:00"), TimeOfDay::FromSeconds(90000)}}}})),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
}

TEST(CalendarCreateTest, RejectsOverlappingIntervalsOnOneDay) {
  const auto names_it = AnyOf(HasSubstr("tue"), HasSubstr("11:00"), HasSubstr("12:00"));
  EXPECT_THAT(
      BusinessCalendar::Create(Spec("UTC", {{kTue, {Iv("09:00", "12:00"), Iv("11:00", "13:00")}}})),
      IsError(absl::StatusCode::kInvalidArgument, names_it));
  EXPECT_THAT(
      BusinessCalendar::Create(Spec("UTC", {{kTue, {Iv("11:00", "13:00"), Iv("09:00", "12:00")}}})),
      IsError(absl::StatusCode::kInvalidArgument, names_it));
  EXPECT_THAT(
      BusinessCalendar::Create(Spec("UTC", {{kTue, {Iv("09:00", "17:00"), Iv("09:00", "17:00")}}})),
      IsError(absl::StatusCode::kInvalidArgument, testing::_));
  EXPECT_THAT(
      BusinessCalendar::Create(Spec("UTC", {{kTue, {Iv("22:00", "06:00"), Iv("23:00", "23:30")}}})),
      IsError(absl::StatusCode::kInvalidArgument, testing::_));
  // A night shift's spill after midnight overlaps an early interval of its own day only in civil
  // clock numbers, not in time: both are valid together.
  EXPECT_TRUE(
      BusinessCalendar::Create(Spec("UTC", {{kTue, {Iv("02:00", "04:00"), Iv("22:00", "06:00")}}}))
          .ok());

  CalendarSpec special = Spec("UTC", {});
  special.special_days[absl::CivilDay(2026, 12, 24)] = {Iv("09:00", "12:00"), Iv("10:00", "11:00")};
  EXPECT_THAT(BusinessCalendar::Create(special),
              IsError(absl::StatusCode::kInvalidArgument, HasSubstr("2026-12-24")));
}

TEST(CalendarCreateTest, RejectsNightShiftOverlappingTheNextDaysFirstInterval) {
  const auto names_it =
      AnyOf(HasSubstr("mon"), HasSubstr("tue"), HasSubstr("05:00"), HasSubstr("06:00"));
  EXPECT_THAT(BusinessCalendar::Create(
                  Spec("UTC", {{kMon, {Iv("22:00", "06:00")}}, {kTue, {Iv("05:00", "09:00")}}})),
              IsError(absl::StatusCode::kInvalidArgument, names_it));
  // Across the end of the week.
  EXPECT_THAT(BusinessCalendar::Create(
                  Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}, {kMon, {Iv("05:00", "09:00")}}})),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  EXPECT_THAT(BusinessCalendar::Create(
                  Spec("UTC", {{kFri, {Iv("20:00", "03:00")}}, {kSat, {Iv("00:00", "01:00")}}})),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  // Touching is not overlapping, and a spill into a closed day overlaps nothing.
  EXPECT_TRUE(BusinessCalendar::Create(
                  Spec("UTC", {{kMon, {Iv("22:00", "06:00")}}, {kTue, {Iv("06:00", "09:00")}}}))
                  .ok());
  EXPECT_TRUE(BusinessCalendar::Create(
                  Spec("UTC", {{kSat, {Iv("22:00", "06:00")}}, {kMon, {Iv("05:00", "09:00")}}}))
                  .ok());
}

TEST(CalendarCreateTest, RejectsDatesOutsideYearsOneTo9999) {
  CalendarSpec spec = Weekdays("UTC", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(0, 12, 25)};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  spec.holidays = {absl::CivilDay(10000, 1, 1)};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  spec.holidays = {};
  spec.special_days = {{absl::CivilDay(10000, 1, 3), {Iv("09:00", "10:00")}}};
  EXPECT_THAT(BusinessCalendar::Create(spec),
              IsError(absl::StatusCode::kInvalidArgument, testing::_));
  spec.special_days = {{absl::CivilDay(1, 1, 1), {Iv("09:00", "10:00")}}};
  spec.holidays = {absl::CivilDay(9999, 12, 31)};
  EXPECT_TRUE(BusinessCalendar::Create(spec).ok());
}

TEST(CalendarCreateTest, NormalisesSpecAndMergesAdjacentIntervals) {
  CalendarSpec spec =
      Spec("America/New_York",
           {{kMon, {Iv("13:00", "17:00"), Iv("09:00", "12:00"), Iv("12:00", "13:00")}}});
  spec.holidays = {absl::CivilDay(2026, 12, 28), absl::CivilDay(2026, 1, 5),
                   absl::CivilDay(2026, 12, 28)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_EQ(calendar.spec().week[kMon],
            (Hours{Iv("09:00", "12:00"), Iv("12:00", "13:00"), Iv("13:00", "17:00")}));
  EXPECT_EQ(calendar.spec().holidays, (std::vector<absl::CivilDay>{absl::CivilDay(2026, 1, 5),
                                                                   absl::CivilDay(2026, 12, 28)}));
  EXPECT_EQ(calendar.spec().time_zone, "America/New_York");
  EXPECT_EQ(calendar.time_zone().name(), "America/New_York");
  EXPECT_EQ(calendar.weekly_open_time(), absl::Hours(8));
  const absl::TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 1, 12, 9)), Local(ny, 2026, 1, 12, 17));
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 1, 12, 12)), Local(ny, 2026, 1, 12, 17));
  // The holiday on Monday 5 January is skipped.
  EXPECT_EQ(calendar.NextOpen(Local(ny, 2026, 1, 1)), Local(ny, 2026, 1, 12, 9));
  // A duplicated holiday counts once.
  EXPECT_THAT(calendar.ToString(), HasSubstr("2 holidays"));
}

TEST(CalendarCreateTest, ToStringAndEquality) {
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 12, 25)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_EQ(calendar.ToString(),
            "BusinessCalendar(America/New_York, 40h/week, 1 holiday, 0 special days)");
  std::ostringstream os;
  os << calendar;
  EXPECT_EQ(os.str(), calendar.ToString());

  CalendarSpec duplicated = spec;
  duplicated.holidays = {absl::CivilDay(2026, 12, 25), absl::CivilDay(2026, 12, 25)};
  EXPECT_TRUE(MustCreate(duplicated) == calendar);
  const BusinessCalendar copy = calendar;
  EXPECT_TRUE(copy == calendar);
  CalendarSpec other = spec;
  other.holidays.push_back(absl::CivilDay(2026, 12, 24));
  EXPECT_FALSE(MustCreate(other) == calendar);
  other = spec;
  other.time_zone = "America/Chicago";
  EXPECT_FALSE(MustCreate(other) == calendar);
  EXPECT_FALSE(calendar == BusinessCalendar::AlwaysOpen());
}

TEST(CalendarCreateTest, WeeklyOpenTimeCountsCivilHours) {
  EXPECT_EQ(MustCreate(Spec("UTC", {{kMon, {Iv("22:00", "06:00")}}})).weekly_open_time(),
            absl::Hours(8));
  EXPECT_EQ(MustCreate(Spec("UTC", {{kMon, {Iv("22:00", "00:00")}}})).weekly_open_time(),
            absl::Hours(2));
  EXPECT_EQ(
      MustCreate(Spec("America/New_York", {{kSun, {Iv("00:00", "24:00")}}})).weekly_open_time(),
      absl::Hours(24));
  EXPECT_EQ(MustCreate(Spec("UTC", {{kWed, {Iv("09:00:30", "09:01:15")}}})).weekly_open_time(),
            absl::Seconds(45));
  EXPECT_EQ(MustCreate(NewYorkOffice()).weekly_open_time(),
            absl::Hours(10) + absl::Minutes(30) + absl::Hours(8) + absl::Minutes(30) +
                absl::Hours(8) + absl::Hours(8) + absl::Minutes(30) + absl::Hours(10) +
                absl::Hours(5) + absl::Minutes(30) + absl::Hours(10));
}

// ---------------------------------------------------------------------------------------------
// Degenerate calendars.

TEST(AlwaysOpenTest, DefaultAndAlwaysOpenAreTwentyFourSeven) {
  const BusinessCalendar by_default;
  const BusinessCalendar always = BusinessCalendar::AlwaysOpen();
  EXPECT_TRUE(by_default == always);
  const absl::Time t = Utc(2026, 3, 8, 6, 59, 59) + absl::Milliseconds(250);
  for (const BusinessCalendar& calendar : {by_default, always}) {
    EXPECT_TRUE(calendar.IsAlwaysOpen());
    EXPECT_EQ(calendar.weekly_open_time(), absl::Hours(168));
    EXPECT_TRUE(calendar.IsOpen(t));
    EXPECT_TRUE(calendar.IsOpen(Utc(1970, 1, 1)));
    EXPECT_EQ(calendar.NextOpen(t), t);
    EXPECT_EQ(calendar.NextClose(t), absl::InfiniteFuture());
    EXPECT_THAT(calendar.AddBusinessTime(t, absl::Minutes(90)), HoldsTime(t + absl::Minutes(90)));
    EXPECT_THAT(calendar.AddBusinessTime(t, -absl::Hours(72)), HoldsTime(t - absl::Hours(72)));
    EXPECT_EQ(calendar.BusinessTimeBetween(t, t + absl::Hours(1000)), absl::Hours(1000));
    EXPECT_EQ(calendar.BusinessTimeBetween(t + absl::Nanoseconds(7), t), -absl::Nanoseconds(7));
  }
}

TEST(AlwaysOpenTest, WeekOpenAroundTheClockInNewYorkIsAlwaysOpen) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Spec("America/New_York", {});
  for (int day = 0; day < 7; ++day) spec.week[day] = {Iv("00:00", "24:00")};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_TRUE(calendar.IsAlwaysOpen());
  // DST changes make no closed instant: the hours that do not exist are no instants at all.
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 3, 7)), absl::InfiniteFuture());
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 1, 1), Local(ny, 2027, 1, 1)),
            absl::Hours(365 * 24));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 3, 8), Local(ny, 2026, 3, 9)),
            absl::Hours(23));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 8), absl::Hours(3)),
              HoldsTime(Local(ny, 2026, 3, 8, 4)));

  spec.holidays = {absl::CivilDay(2026, 7, 3)};
  const BusinessCalendar with_holiday = MustCreate(spec);
  EXPECT_FALSE(with_holiday.IsAlwaysOpen());
  EXPECT_EQ(with_holiday.NextClose(Local(ny, 2026, 6, 1)), Local(ny, 2026, 7, 3));
  EXPECT_EQ(with_holiday.NextOpen(Local(ny, 2026, 7, 3, 12)), Local(ny, 2026, 7, 4));
  EXPECT_EQ(with_holiday.NextClose(Local(ny, 2026, 7, 4)), absl::InfiniteFuture());
}

TEST(ClosedCalendarTest, CalendarWithNoOpenTimeNeverOpens) {
  CalendarSpec spec = Spec("Europe/Berlin", {});
  spec.holidays = {absl::CivilDay(2026, 1, 1)};
  const BusinessCalendar calendar = MustCreate(spec);
  const absl::Time t = Utc(2026, 5, 5, 12);
  EXPECT_FALSE(calendar.IsAlwaysOpen());
  EXPECT_EQ(calendar.weekly_open_time(), absl::ZeroDuration());
  EXPECT_FALSE(calendar.IsOpen(t));
  EXPECT_EQ(calendar.NextOpen(t), absl::InfiniteFuture());
  EXPECT_EQ(calendar.NextClose(t), absl::InfiniteFuture());
  EXPECT_THAT(calendar.AddBusinessTime(t, absl::Seconds(1)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_THAT(calendar.AddBusinessTime(t, -absl::Seconds(1)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_THAT(calendar.AddBusinessTime(t, absl::ZeroDuration()), HoldsTime(t));
  EXPECT_EQ(calendar.BusinessTimeBetween(t, t + absl::Hours(24 * 365)), absl::ZeroDuration());
  EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfinitePast(), absl::InfiniteFuture()),
            absl::ZeroDuration());
}

TEST(ClosedCalendarTest, OnlySpecialDaysGiveFiniteOpenTime) {
  CalendarSpec spec = Spec("UTC", {});
  spec.special_days = {{absl::CivilDay(2026, 3, 2), {Iv("09:00", "12:00")}},
                       {absl::CivilDay(2026, 3, 5), {Iv("22:00", "02:00")}},
                       {absl::CivilDay(2026, 3, 9), {}}};
  const BusinessCalendar calendar = MustCreate(spec);
  const absl::Time before = Utc(2026, 1, 1);
  EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfinitePast(), absl::InfiniteFuture()),
            absl::Hours(7));
  EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfiniteFuture(), absl::InfinitePast()),
            -absl::Hours(7));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 3), absl::InfiniteFuture()), absl::Hours(4));
  EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfinitePast(), Utc(2026, 3, 6, 1)), absl::Hours(6));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 3, 6, 1, 59)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 3, 6, 2)));
  EXPECT_THAT(calendar.AddBusinessTime(before, absl::Hours(7)), HoldsTime(Utc(2026, 3, 6, 2)));
  EXPECT_THAT(calendar.AddBusinessTime(before, absl::Hours(7) + absl::Seconds(1)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 4), -absl::Hours(3)),
              HoldsTime(Utc(2026, 3, 2, 9)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 4), -absl::Hours(3) - absl::Nanoseconds(1)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_EQ(calendar.NextOpen(before), Utc(2026, 3, 2, 9));
  EXPECT_EQ(calendar.NextClose(before), Utc(2026, 3, 2, 12));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 3, 2, 12)), Utc(2026, 3, 5, 22));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 3, 6, 2)), absl::InfiniteFuture());
  EXPECT_EQ(calendar.NextClose(Utc(2026, 3, 6, 2)), absl::InfiniteFuture());
  EXPECT_FALSE(calendar.IsAlwaysOpen());
}

// ---------------------------------------------------------------------------------------------
// Office hours.

TEST(OfficeHoursTest, HeaderExampleFridayAfternoonPlusTwoHours) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 12, 25)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 9, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 1, 12, 10)));
  // Friday 25 December is a holiday.
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 12, 24, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 12, 28, 10)));
  EXPECT_EQ(Local(ny, 2026, 12, 28, 10), Utc(2026, 12, 28, 15));
}

TEST(OfficeHoursTest, StartExactlyAtOpenAndAtClose) {
  const BusinessCalendar calendar = MustCreate(Weekdays("UTC", {Iv("09:00", "17:00")}));
  const absl::Time open = Utc(2026, 1, 5, 9);
  const absl::Time close = Utc(2026, 1, 5, 17);
  EXPECT_TRUE(calendar.IsOpen(open));
  EXPECT_FALSE(calendar.IsOpen(open - absl::Seconds(1)));
  EXPECT_TRUE(calendar.IsOpen(close - absl::Seconds(1)));
  EXPECT_FALSE(calendar.IsOpen(close));
  EXPECT_EQ(calendar.NextOpen(open), open);
  EXPECT_EQ(calendar.NextOpen(close), Utc(2026, 1, 6, 9));
  EXPECT_EQ(calendar.NextClose(open), close);
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 5, 8)), close);
  // A closed start reports the close of the next stretch.
  EXPECT_EQ(calendar.NextClose(close), Utc(2026, 1, 6, 17));
  // The earliest end: the whole day ends at 17:00, not at the next opening.
  EXPECT_THAT(calendar.AddBusinessTime(open, absl::Hours(8)), HoldsTime(close));
  EXPECT_THAT(calendar.AddBusinessTime(close, absl::Hours(8)), HoldsTime(Utc(2026, 1, 6, 17)));
  EXPECT_THAT(calendar.AddBusinessTime(close, absl::Seconds(1)),
              HoldsTime(Utc(2026, 1, 6, 9, 0, 1)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 5, 8), absl::Hours(1)),
              HoldsTime(Utc(2026, 1, 5, 10)));
  // The latest start going back: the day starts at 09:00, not at the previous close.
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 6, 9), -absl::Hours(8)), HoldsTime(open));
  EXPECT_THAT(calendar.AddBusinessTime(close, -absl::Hours(8)), HoldsTime(open));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 6, 9), -absl::Seconds(1)),
              HoldsTime(close - absl::Seconds(1)));
  EXPECT_EQ(calendar.BusinessTimeBetween(open, close), absl::Hours(8));
  EXPECT_EQ(calendar.BusinessTimeBetween(close, Utc(2026, 1, 6, 9)), absl::ZeroDuration());
}

TEST(OfficeHoursTest, ZeroDurationReturnsTheStartEvenWhenClosed) {
  const BusinessCalendar calendar = MustCreate(Weekdays("UTC", {Iv("09:00", "17:00")}));
  for (const absl::Time t : {Utc(2026, 1, 10, 12), Utc(2026, 1, 5, 17), Utc(2026, 1, 5, 9),
                             Utc(2026, 1, 5, 10) + absl::Nanoseconds(3)}) {
    EXPECT_THAT(calendar.AddBusinessTime(t, absl::ZeroDuration()), HoldsTime(t));
    EXPECT_EQ(calendar.BusinessTimeBetween(t, t), absl::ZeroDuration());
  }
}

TEST(OfficeHoursTest, SeveralIntervalsPerDayWithLunchBreak) {
  const BusinessCalendar calendar = MustCreate(
      Spec("UTC", {{kMon, {Iv("13:00", "17:00"), Iv("09:00", "12:00"), Iv("18:00", "18:30")}}}));
  const absl::CivilDay monday(2026, 1, 5);
  auto at = [&](int h, int m, int s = 0) { return Utc(2026, 1, 5, h, m, s); };
  EXPECT_EQ(absl::GetWeekday(monday), absl::Weekday::monday);
  EXPECT_FALSE(calendar.IsOpen(at(12, 30)));
  EXPECT_EQ(calendar.NextClose(at(10, 0)), at(12, 0));
  EXPECT_EQ(calendar.NextOpen(at(12, 0)), at(13, 0));
  EXPECT_EQ(calendar.NextClose(at(12, 0)), at(17, 0));
  EXPECT_EQ(calendar.BusinessTimeBetween(at(9, 0), at(17, 0)), absl::Hours(7));
  EXPECT_EQ(calendar.BusinessTimeBetween(at(0, 0), Utc(2026, 1, 6)), absl::Minutes(7 * 60 + 30));
  EXPECT_THAT(calendar.AddBusinessTime(at(11, 30), absl::Hours(1)), HoldsTime(at(13, 30)));
  EXPECT_THAT(calendar.AddBusinessTime(at(9, 0), absl::Hours(3)), HoldsTime(at(12, 0)));
  EXPECT_THAT(calendar.AddBusinessTime(at(12, 30), absl::Seconds(1)), HoldsTime(at(13, 0, 1)));
  EXPECT_THAT(calendar.AddBusinessTime(at(16, 0), absl::Hours(1) + absl::Minutes(15)),
              HoldsTime(at(18, 15)));
  EXPECT_THAT(calendar.AddBusinessTime(at(16, 0), absl::Hours(2)),
              HoldsTime(Utc(2026, 1, 12, 9, 30)));
  EXPECT_THAT(calendar.AddBusinessTime(at(13, 30), -absl::Hours(1)), HoldsTime(at(11, 30)));
  EXPECT_THAT(calendar.AddBusinessTime(at(13, 0), -absl::Hours(1)), HoldsTime(at(11, 0)));
  EXPECT_THAT(calendar.AddBusinessTime(at(12, 30), -absl::Seconds(1)), HoldsTime(at(11, 59, 59)));
}

TEST(OfficeHoursTest, AdjacentIntervalsMergeAcrossMidnight) {
  const BusinessCalendar calendar = MustCreate(Spec("UTC", {{kMon, {Iv("00:00", "24:00")}},
                                                            {kTue, {Iv("00:00", "12:00")}},
                                                            {kSat, {Iv("22:00", "24:00")}},
                                                            {kSun, {Iv("00:00", "02:00")}}}));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 5, 10)), Utc(2026, 1, 6, 12));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 3, 23)), Utc(2026, 1, 4, 2));
  // Saturday evening, closed: the next stretch runs from Saturday 22:00 to Sunday 02:00.
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 3, 12)), Utc(2026, 1, 4, 2));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 1, 4, 2)), Utc(2026, 1, 5));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 4, 2)), Utc(2026, 1, 6, 12));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 5, 23), absl::Hours(13)),
              HoldsTime(Utc(2026, 1, 6, 12)));
}

TEST(OfficeHoursTest, CloseAtMidnightWrittenAsZeroOrTwentyFour) {
  for (const char* close : {"00:00", "24:00"}) {
    SCOPED_TRACE(close);
    const BusinessCalendar calendar = MustCreate(Spec("UTC", {{kMon, {Iv("22:00", close)}}}));
    EXPECT_EQ(calendar.weekly_open_time(), absl::Hours(2));
    EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 5, 23, 59, 59)));
    EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 6)));
    EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 6, 0, 30)));
    EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 5, 23)), Utc(2026, 1, 6));
    EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 5, 22), absl::Hours(3)),
                HoldsTime(Utc(2026, 1, 12, 23)));
  }
}

TEST(OfficeHoursTest, NegativeDurationsGoBackToTheLatestStart) {
  const BusinessCalendar calendar = MustCreate(Weekdays("UTC", {Iv("09:00", "17:00")}));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 12, 10), -absl::Hours(2)),
              HoldsTime(Utc(2026, 1, 9, 16)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 12, 9), -absl::Hours(1)),
              HoldsTime(Utc(2026, 1, 9, 16)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 10, 12), -absl::Seconds(1)),
              HoldsTime(Utc(2026, 1, 9, 16, 59, 59)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 12, 9), -absl::Hours(40)),
              HoldsTime(Utc(2026, 1, 5, 9)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 12, 12), -absl::Hours(43)),
              HoldsTime(Utc(2026, 1, 5, 9)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 12, 12), -absl::Hours(44)),
              HoldsTime(Utc(2026, 1, 2, 16)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 12, 10), Utc(2026, 1, 9, 16)),
            -absl::Hours(2));
}

TEST(OfficeHoursTest, SpansOfOneHourEightHoursAndFiveDays) {
  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar calendar =
      MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  const absl::Time monday = Local(ny, 2026, 3, 2, 10, 30);
  EXPECT_THAT(calendar.AddBusinessTime(monday, absl::Hours(1)),
              HoldsTime(Local(ny, 2026, 3, 2, 11, 30)));
  EXPECT_THAT(calendar.AddBusinessTime(monday, absl::Hours(8)),
              HoldsTime(Local(ny, 2026, 3, 3, 10, 30)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 2, 9), absl::Hours(40)),
              HoldsTime(Local(ny, 2026, 3, 6, 17)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 4, 12), absl::Hours(40)),
              HoldsTime(Local(ny, 2026, 3, 11, 12)));
  // Thursday 12:00 EST plus 16 h crosses the spring-forward weekend: Monday 12:00 EDT.
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 5, 12), absl::Hours(16)),
              HoldsTime(Utc(2026, 3, 9, 16)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 3, 2, 9), Local(ny, 2026, 3, 9, 9)),
            absl::Hours(40));
}

TEST(OfficeHoursTest, ThirtyBusinessDaysAndThirtyCalendarDays) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 2, 16)};
  const BusinessCalendar calendar = MustCreate(spec);
  // 2-6, 9-13, 17-20 (16th is the holiday), 23-27 February and 2-6, 9-13 March make 29 days.
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 2, 2, 9), absl::Hours(30 * 8)),
              HoldsTime(Local(ny, 2026, 3, 16, 17)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 2, 2), Local(ny, 2026, 3, 17)),
            absl::Hours(30 * 8));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 16, 17), -absl::Hours(30 * 8)),
              HoldsTime(Local(ny, 2026, 2, 2, 9)));

  CalendarSpec always = Spec("America/New_York", {});
  for (int day = 0; day < 7; ++day) always.week[day] = {Iv("00:00", "24:00")};
  // March 2026 loses an hour on the 8th.
  EXPECT_EQ(MustCreate(always).BusinessTimeBetween(Local(ny, 2026, 3, 1), Local(ny, 2026, 3, 31)),
            absl::Hours(30 * 24 - 1));
}

TEST(OfficeHoursTest, OneYearOfWeekdays) {
  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar calendar =
      MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  // 2026 starts on a Thursday: 52 whole weeks plus one Thursday, 261 weekdays.
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 1, 1), Local(ny, 2027, 1, 1)),
            absl::Hours(261 * 8));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 1), absl::Hours(261 * 8)),
              HoldsTime(Local(ny, 2026, 12, 31, 17)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 5, 9), absl::Hours(52 * 40)),
              HoldsTime(Local(ny, 2027, 1, 1, 17)));
}

TEST(OfficeHoursTest, TwoYearsOfWeekdaysAndOfWallTime) {
  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar calendar =
      MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  // 2026 and 2027 have 261 weekdays each.
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 1, 1), Local(ny, 2028, 1, 1)),
            absl::Hours(522 * 8));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 1), absl::Hours(522 * 8)),
              HoldsTime(Local(ny, 2027, 12, 31, 17)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2027, 12, 31, 17), -absl::Hours(522 * 8)),
              HoldsTime(Local(ny, 2026, 1, 1, 9)));

  CalendarSpec always = Spec("America/New_York", {});
  for (int day = 0; day < 7; ++day) always.week[day] = {Iv("00:00", "24:00")};
  const BusinessCalendar open = MustCreate(always);
  EXPECT_EQ(open.BusinessTimeBetween(Local(ny, 2026, 1, 1), Local(ny, 2028, 1, 1)),
            absl::Hours(730 * 24));
  EXPECT_THAT(open.AddBusinessTime(Local(ny, 2026, 1, 1), absl::Hours(730 * 24)),
              HoldsTime(Local(ny, 2028, 1, 1)));
}

// ---------------------------------------------------------------------------------------------
// Daylight-saving time.

TEST(DstTest, NewYorkSpringForwardDayLastsTwentyThreeHours) {
  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("00:00", "24:00")}}}));
  const absl::Time sunday = Local(ny, 2026, 3, 8);
  EXPECT_EQ(sunday, Utc(2026, 3, 8, 5));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 3, 7), Local(ny, 2026, 3, 10)),
            absl::Hours(23));
  EXPECT_EQ(calendar.NextOpen(Local(ny, 2026, 3, 7, 12)), sunday);
  EXPECT_EQ(calendar.NextClose(sunday), Utc(2026, 3, 9, 4));
  EXPECT_THAT(calendar.AddBusinessTime(sunday, absl::Hours(23)), HoldsTime(Utc(2026, 3, 9, 4)));
  EXPECT_THAT(calendar.AddBusinessTime(sunday, absl::Hours(23) + absl::Seconds(1)),
              HoldsTime(Local(ny, 2026, 3, 15, 0, 0, 1)));
  // 02:00 to 03:00 does not exist: two hours after midnight is 03:00 EDT.
  EXPECT_THAT(calendar.AddBusinessTime(sunday, absl::Hours(2)), HoldsTime(Utc(2026, 3, 8, 7)));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 3, 8, 6, 59, 59)));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 3, 8, 7)));
}

TEST(DstTest, NewYorkFallBackDayLastsTwentyFiveHours) {
  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("00:00", "24:00")}}}));
  const absl::Time sunday = Local(ny, 2026, 11, 1);
  EXPECT_EQ(sunday, Utc(2026, 11, 1, 4));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 10, 31), Local(ny, 2026, 11, 3)),
            absl::Hours(25));
  EXPECT_EQ(calendar.NextClose(sunday + absl::Hours(3)), Utc(2026, 11, 2, 5));
  EXPECT_THAT(calendar.AddBusinessTime(sunday, absl::Hours(25)), HoldsTime(Utc(2026, 11, 2, 5)));
  // Two hours after midnight EDT is the second 01:00, in EST.
  EXPECT_THAT(calendar.AddBusinessTime(sunday, absl::Hours(2)), HoldsTime(Utc(2026, 11, 1, 6)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 11, 2, 5), -absl::Hours(25)), HoldsTime(sunday));
}

TEST(DstTest, NewYorkIntervalSpanningTheJumps) {
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("01:00", "04:00")}}}));
  // 8 March: 01:00 EST (06:00Z) to 04:00 EDT (08:00Z), two real hours.
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 8), Utc(2026, 3, 9)), absl::Hours(2));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 3, 8)), Utc(2026, 3, 8, 6));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 3, 8, 6, 30)), Utc(2026, 3, 8, 8));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 8, 6), absl::Hours(1)),
              HoldsTime(Utc(2026, 3, 8, 7)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 8, 6), absl::Minutes(90)),
              HoldsTime(Utc(2026, 3, 8, 7, 30)));
  // 1 November: 01:00 EDT (05:00Z) to 04:00 EST (09:00Z), four real hours.
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 11, 1), Utc(2026, 11, 2)), absl::Hours(4));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 11, 1, 5)), Utc(2026, 11, 1, 9));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 11, 1, 5), absl::Minutes(90)),
              HoldsTime(Utc(2026, 11, 1, 6, 30)));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 11, 1, 6, 30)));
}

TEST(DstTest, NewYorkDeadlineLandingInTheGap) {
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSat, {Iv("22:00", "02:30")}}}));
  // Saturday 22:00 EST (03:00Z) to the gap at 02:00 EST (07:00Z): the close at 02:30 does not
  // exist, so the shift ends when the clocks jump.
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 7, 12), Utc(2026, 3, 8, 16)), absl::Hours(4));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 3, 8, 4)), Utc(2026, 3, 8, 7));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 8, 3), absl::Hours(4)),
              HoldsTime(Utc(2026, 3, 8, 7)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 3, 8, 3), absl::Hours(4) + absl::Seconds(1)),
              HoldsTime(Utc(2026, 3, 15, 2, 0, 1)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 3, 8, 7)));

  const absl::TimeZone ny = Zone("America/New_York");
  const BusinessCalendar sunday =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("00:00", "24:00")}}}));
  // Local 02:30 does not exist; 2.5 h after midnight is 03:30 EDT.
  EXPECT_THAT(sunday.AddBusinessTime(Local(ny, 2026, 3, 8), absl::Minutes(150)),
              HoldsTime(Utc(2026, 3, 8, 7, 30)));
  EXPECT_EQ(absl::ToCivilSecond(Utc(2026, 3, 8, 7, 30), ny), absl::CivilSecond(2026, 3, 8, 3, 30));
}

TEST(DstTest, NewYorkOpeningInsideTheGapTakesEffectAfterIt) {
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("02:30", "05:00")}}}));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 3, 8, 5)), Utc(2026, 3, 8, 7));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 3, 8, 6, 59, 59)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 8), Utc(2026, 3, 9)), absl::Hours(2));
  // A normal Sunday a week later: 02:30 EDT.
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 3, 9)), Utc(2026, 3, 15, 6, 30));

  const BusinessCalendar only_gap =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("02:00", "03:00")}}}));
  EXPECT_EQ(only_gap.BusinessTimeBetween(Utc(2026, 3, 8), Utc(2026, 3, 9)), absl::ZeroDuration());
  EXPECT_EQ(only_gap.NextOpen(Utc(2026, 3, 7, 12)), Utc(2026, 3, 15, 6));
  EXPECT_EQ(only_gap.NextClose(Utc(2026, 3, 7, 12)), Utc(2026, 3, 15, 7));
  EXPECT_THAT(only_gap.AddBusinessTime(Utc(2026, 3, 1, 8), absl::Minutes(30)),
              HoldsTime(Utc(2026, 3, 15, 6, 30)));
}

TEST(DstTest, NewYorkRepeatedHourIsOpenTwice) {
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("01:30", "02:00")}}}));
  // 01:30-02:00 EDT is 05:30-06:00Z; 01:30-02:00 EST is 06:30-07:00Z.
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 11, 1, 4)), Utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 11, 1, 5, 30)), Utc(2026, 11, 1, 6));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 11, 1, 6, 15)));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 11, 1, 6)), Utc(2026, 11, 1, 6, 30));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 11, 1, 6)), Utc(2026, 11, 1, 7));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 11, 1), Utc(2026, 11, 2)), absl::Hours(1));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 11, 1, 5, 45), absl::Minutes(30)),
              HoldsTime(Utc(2026, 11, 1, 6, 45)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 11, 1, 6, 45), -absl::Minutes(30)),
              HoldsTime(Utc(2026, 11, 1, 5, 45)));
  // In spring the half hour before the gap exists once.
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 8), Utc(2026, 3, 9)), absl::Minutes(30));
}

TEST(DstTest, NewYorkNightShiftAcrossTheJumps) {
  const BusinessCalendar calendar =
      MustCreate(Spec("America/New_York", {{kSat, {Iv("22:00", "06:00")}}}));
  // 7-8 March: 22:00 EST (03:00Z) to 06:00 EDT (10:00Z).
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 3, 7, 12), Utc(2026, 3, 8, 16)), absl::Hours(7));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 3, 8, 3)), Utc(2026, 3, 8, 10));
  // 31 October - 1 November: 22:00 EDT (02:00Z) to 06:00 EST (11:00Z).
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 10, 31, 12), Utc(2026, 11, 1, 16)),
            absl::Hours(9));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 11, 1, 2)), Utc(2026, 11, 1, 11));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 11, 1, 2), absl::Hours(4)),
              HoldsTime(Utc(2026, 11, 1, 6)));
}

TEST(DstTest, BerlinSpringForward) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const BusinessCalendar day = MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("00:00", "24:00")}}}));
  EXPECT_EQ(day.BusinessTimeBetween(Local(berlin, 2026, 3, 28), Local(berlin, 2026, 3, 30)),
            absl::Hours(23));
  const BusinessCalendar early =
      MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("01:00", "04:00")}}}));
  // 01:00 CET is 00:00Z; 04:00 CEST is 02:00Z.
  EXPECT_EQ(early.BusinessTimeBetween(Utc(2026, 3, 28), Utc(2026, 3, 30)), absl::Hours(2));
  EXPECT_EQ(early.NextClose(Utc(2026, 3, 29)), Utc(2026, 3, 29, 2));
  EXPECT_THAT(early.AddBusinessTime(Utc(2026, 3, 29), absl::Minutes(90)),
              HoldsTime(Local(berlin, 2026, 3, 29, 3, 30)));
  const BusinessCalendar in_gap =
      MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("02:30", "06:00")}}}));
  EXPECT_EQ(in_gap.NextOpen(Utc(2026, 3, 28, 12)), Utc(2026, 3, 29, 1));
  EXPECT_EQ(in_gap.BusinessTimeBetween(Utc(2026, 3, 28), Utc(2026, 3, 30)), absl::Hours(3));
  const BusinessCalendar night =
      MustCreate(Spec("Europe/Berlin", {{kSat, {Iv("22:00", "06:00")}}}));
  EXPECT_EQ(night.BusinessTimeBetween(Utc(2026, 3, 28), Utc(2026, 3, 30)), absl::Hours(7));
}

TEST(DstTest, BerlinFallBack) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const BusinessCalendar day = MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("00:00", "24:00")}}}));
  EXPECT_EQ(day.BusinessTimeBetween(Local(berlin, 2026, 10, 24), Local(berlin, 2026, 10, 26)),
            absl::Hours(25));
  const BusinessCalendar repeated =
      MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("02:00", "03:00")}}}));
  // 02:00 CEST is 00:00Z, and 03:00 CET is 02:00Z; the repeated hour is one stretch.
  EXPECT_EQ(repeated.NextOpen(Utc(2026, 10, 24, 12)), Utc(2026, 10, 25));
  EXPECT_EQ(repeated.NextClose(Utc(2026, 10, 25)), Utc(2026, 10, 25, 2));
  EXPECT_TRUE(repeated.IsOpen(Utc(2026, 10, 25, 1, 30)));
  EXPECT_EQ(repeated.BusinessTimeBetween(Utc(2026, 10, 24), Utc(2026, 10, 26)), absl::Hours(2));
  EXPECT_THAT(repeated.AddBusinessTime(Utc(2026, 10, 25, 0, 30), absl::Hours(1)),
              HoldsTime(Utc(2026, 10, 25, 1, 30)));
  const BusinessCalendar night =
      MustCreate(Spec("Europe/Berlin", {{kSat, {Iv("22:00", "06:00")}}}));
  EXPECT_EQ(night.BusinessTimeBetween(Utc(2026, 10, 24), Utc(2026, 10, 26)), absl::Hours(9));
  EXPECT_EQ(night.NextClose(Local(berlin, 2026, 10, 24, 22)), Local(berlin, 2026, 10, 25, 6));
  EXPECT_EQ(Local(berlin, 2026, 10, 25, 6), Utc(2026, 10, 25, 5));
}

TEST(DstTest, LordHoweHalfHourFallBack) {
  const BusinessCalendar day =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("00:00", "24:00")}}}));
  // 5 April 2026: 02:00 +11 (15:00Z on the 4th) becomes 01:30 +10:30.
  EXPECT_EQ(day.BusinessTimeBetween(Utc(2026, 4, 3), Utc(2026, 4, 6)),
            absl::Hours(24) + absl::Minutes(30));
  EXPECT_EQ(day.NextOpen(Utc(2026, 4, 3)), Utc(2026, 4, 4, 13));
  EXPECT_EQ(day.NextClose(Utc(2026, 4, 4, 13)), Utc(2026, 4, 5, 13, 30));
  const BusinessCalendar early =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("01:00", "03:00")}}}));
  EXPECT_EQ(early.BusinessTimeBetween(Utc(2026, 4, 4), Utc(2026, 4, 5)),
            absl::Hours(2) + absl::Minutes(30));
  EXPECT_EQ(early.NextClose(Utc(2026, 4, 4, 14)), Utc(2026, 4, 4, 16, 30));
  // 01:45 +11 (14:45Z) plus 30 min is the second 01:45, at +10:30.
  EXPECT_THAT(early.AddBusinessTime(Utc(2026, 4, 4, 14, 45), absl::Minutes(30)),
              HoldsTime(Utc(2026, 4, 4, 15, 15)));
  EXPECT_TRUE(early.IsOpen(Utc(2026, 4, 4, 15, 15)));
}

TEST(DstTest, LordHoweHalfHourSpringForward) {
  const BusinessCalendar day =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("00:00", "24:00")}}}));
  // 4 October 2026: 02:00 +10:30 (15:30Z on the 3rd) becomes 02:30 +11.
  EXPECT_EQ(day.BusinessTimeBetween(Utc(2026, 10, 2), Utc(2026, 10, 5)),
            absl::Hours(23) + absl::Minutes(30));
  const BusinessCalendar early =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("01:00", "04:00")}}}));
  EXPECT_EQ(early.BusinessTimeBetween(Utc(2026, 10, 3), Utc(2026, 10, 4)),
            absl::Hours(2) + absl::Minutes(30));
  // 01:00 +10:30 is 14:30Z; one hour later the clocks read 02:30 +11.
  EXPECT_THAT(early.AddBusinessTime(Utc(2026, 10, 3, 14, 30), absl::Hours(1)),
              HoldsTime(Utc(2026, 10, 3, 15, 30)));
  EXPECT_THAT(early.AddBusinessTime(Utc(2026, 10, 3, 14, 30), absl::Minutes(75)),
              HoldsTime(Utc(2026, 10, 3, 15, 45)));
  const BusinessCalendar in_gap =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("02:15", "03:00")}}}));
  EXPECT_EQ(in_gap.NextOpen(Utc(2026, 10, 3)), Utc(2026, 10, 3, 15, 30));
  EXPECT_EQ(in_gap.NextClose(Utc(2026, 10, 3)), Utc(2026, 10, 3, 16));
  const BusinessCalendar only_gap =
      MustCreate(Spec("Australia/Lord_Howe", {{kSun, {Iv("02:00", "02:30")}}}));
  // Next Sunday, 11 October, 02:00 +11.
  EXPECT_EQ(only_gap.NextOpen(Utc(2026, 10, 3)), Utc(2026, 10, 10, 15));
}

TEST(ZoneTest, AsiaShanghaiGoldenWeek) {
  const absl::TimeZone shanghai = Zone("Asia/Shanghai");
  const BusinessCalendar calendar = MustCreate(ShanghaiOffice());
  // Wednesday 30 September 17:00-18:00, then closed 1-8 October; Friday the 9th at 09:00.
  EXPECT_THAT(calendar.AddBusinessTime(Local(shanghai, 2026, 9, 30, 17), absl::Hours(2)),
              HoldsTime(Utc(2026, 10, 9, 2)));
  EXPECT_EQ(calendar.NextOpen(Local(shanghai, 2026, 10, 1)), Local(shanghai, 2026, 10, 9, 9));
  EXPECT_TRUE(calendar.IsOpen(Local(shanghai, 2026, 9, 27, 12, 30)));
  EXPECT_FALSE(calendar.IsOpen(Local(shanghai, 2026, 10, 9, 12, 30)));
  EXPECT_TRUE(calendar.IsOpen(Local(shanghai, 2026, 10, 10, 12, 30)));
  EXPECT_EQ(
      calendar.BusinessTimeBetween(Local(shanghai, 2026, 9, 30), Local(shanghai, 2026, 10, 11)),
      absl::Minutes(450 + 450 + 540));
  EXPECT_EQ(calendar.NextClose(Local(shanghai, 2026, 9, 27, 8)), Local(shanghai, 2026, 9, 27, 18));
}

// ---------------------------------------------------------------------------------------------
// Night shifts, holidays and special days.

TEST(NightShiftTest, CrossingMidnight) {
  const BusinessCalendar calendar = MustCreate(Weekdays("UTC", {Iv("22:00", "06:00")}));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 5, 3)));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 6, 3)));
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 10, 5, 59, 59)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 10, 6)));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 5, 23)), Utc(2026, 1, 6, 6));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 1, 6, 6)), Utc(2026, 1, 6, 22));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 5, 22), absl::Hours(8)),
              HoldsTime(Utc(2026, 1, 6, 6)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 5, 22), absl::Hours(9)),
              HoldsTime(Utc(2026, 1, 6, 23)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 10, 12), absl::Hours(1)),
              HoldsTime(Utc(2026, 1, 12, 23)));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 6, 6), -absl::Hours(8)),
              HoldsTime(Utc(2026, 1, 5, 22)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 5), Utc(2026, 1, 12)), absl::Hours(40));
}

TEST(NightShiftTest, SundayNightIntoMondayCrossesTheWeekEnd) {
  const BusinessCalendar alone = MustCreate(Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}}));
  EXPECT_TRUE(alone.IsOpen(Utc(2026, 1, 12, 5, 59)));
  EXPECT_FALSE(alone.IsOpen(Utc(2026, 1, 11, 21, 59)));
  EXPECT_EQ(alone.NextClose(Utc(2026, 1, 11, 22)), Utc(2026, 1, 12, 6));
  EXPECT_EQ(alone.NextOpen(Utc(2026, 1, 12, 6)), Utc(2026, 1, 18, 22));

  const BusinessCalendar merged =
      MustCreate(Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}, {kMon, {Iv("06:00", "14:00")}}}));
  EXPECT_EQ(merged.NextClose(Utc(2026, 1, 11, 23)), Utc(2026, 1, 12, 14));
  EXPECT_EQ(merged.BusinessTimeBetween(Utc(2026, 1, 11), Utc(2026, 1, 12, 12)), absl::Hours(14));
  EXPECT_THAT(merged.AddBusinessTime(Utc(2026, 1, 11, 22), absl::Hours(10)),
              HoldsTime(Utc(2026, 1, 12, 8)));
  EXPECT_THAT(merged.AddBusinessTime(Utc(2026, 1, 12, 14), -absl::Hours(16)),
              HoldsTime(Utc(2026, 1, 11, 22)));
}

TEST(NightShiftTest, HolidayOnTheStartDayRemovesTheWholeShift) {
  CalendarSpec spec = Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}, {kMon, {Iv("06:00", "14:00")}}});
  spec.holidays = {absl::CivilDay(2026, 1, 11)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 11, 23)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 12, 1)));
  EXPECT_EQ(calendar.NextOpen(Utc(2026, 1, 11, 12)), Utc(2026, 1, 12, 6));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 11), Utc(2026, 1, 12, 14)), absl::Hours(8));
}

TEST(NightShiftTest, HolidayOnTheSecondDayRemovesNoneOfIt) {
  CalendarSpec spec = Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}, {kMon, {Iv("06:00", "14:00")}}});
  spec.holidays = {absl::CivilDay(2026, 1, 12)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 12, 1)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 12, 7)));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 11, 22)), Utc(2026, 1, 12, 6));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 11), Utc(2026, 1, 13)), absl::Hours(8));
  EXPECT_THAT(calendar.AddBusinessTime(Utc(2026, 1, 11, 22), absl::Hours(8) + absl::Minutes(1)),
              HoldsTime(Utc(2026, 1, 18, 22, 1)));
}

TEST(HolidayTest, HolidaysNextToWeekends) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 7, 3), absl::CivilDay(2026, 1, 19)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 7, 2, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 7, 6, 10)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 16, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 1, 20, 10)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 1, 20, 10), -absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 1, 16, 16)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 7, 2, 17), Local(ny, 2026, 7, 6, 9)),
            absl::ZeroDuration());
  EXPECT_EQ(calendar.NextOpen(Local(ny, 2026, 7, 2, 17)), Local(ny, 2026, 7, 6, 9));
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 1, 16, 17)), Local(ny, 2026, 1, 20, 17));
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 7, 3, 12)));
}

TEST(SpecialDayTest, HalfDayBeforeAHoliday) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 12, 25)};
  spec.special_days = {{absl::CivilDay(2026, 12, 24), {Iv("09:00", "13:00")}}};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 12, 24, 14)));
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 12, 24, 10)), Local(ny, 2026, 12, 24, 13));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 12, 24, 12), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 12, 28, 10)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 12, 24), Local(ny, 2026, 12, 29)),
            absl::Hours(12));
}

TEST(SpecialDayTest, ExtraSaturday) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.special_days = {{absl::CivilDay(2026, 11, 28), {Iv("10:00", "14:00")}}};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 11, 27, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 11, 28, 11)));
  EXPECT_TRUE(calendar.IsOpen(Local(ny, 2026, 11, 28, 12)));
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 11, 21, 12)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 11, 27, 17), Local(ny, 2026, 11, 30, 9)),
            absl::Hours(4));
  EXPECT_EQ(calendar.NextOpen(Local(ny, 2026, 11, 27, 17)), Local(ny, 2026, 11, 28, 10));
  EXPECT_EQ(calendar.spec().special_days.size(), 1u);
}

TEST(SpecialDayTest, SpecialDayWinsOverAHolidayOnTheSameDate) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.holidays = {absl::CivilDay(2026, 12, 25)};
  spec.special_days = {{absl::CivilDay(2026, 12, 25), {Iv("10:00", "12:00")}}};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_TRUE(calendar.IsOpen(Local(ny, 2026, 12, 25, 11)));
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 12, 25, 9, 30)));
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 12, 25, 12)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Local(ny, 2026, 12, 25), Local(ny, 2026, 12, 26)),
            absl::Hours(2));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 12, 24, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 12, 25, 11)));
}

TEST(SpecialDayTest, EmptySpecialDayClosesTheDate) {
  const absl::TimeZone ny = Zone("America/New_York");
  CalendarSpec spec = Weekdays("America/New_York", {Iv("09:00", "17:00")});
  spec.special_days = {{absl::CivilDay(2026, 3, 4), {}}};
  spec.holidays = {absl::CivilDay(2026, 3, 4)};
  const BusinessCalendar calendar = MustCreate(spec);
  EXPECT_FALSE(calendar.IsOpen(Local(ny, 2026, 3, 4, 10)));
  EXPECT_THAT(calendar.AddBusinessTime(Local(ny, 2026, 3, 3, 16), absl::Hours(2)),
              HoldsTime(Local(ny, 2026, 3, 5, 10)));
  EXPECT_EQ(calendar.NextClose(Local(ny, 2026, 3, 3, 17)), Local(ny, 2026, 3, 5, 17));
}

TEST(SpecialDayTest, SpillsIntoAndOutOfSpecialDaysAreUnited) {
  CalendarSpec spec = Spec("UTC", {{kSun, {Iv("22:00", "06:00")}}, {kMon, {Iv("08:00", "16:00")}}});
  spec.special_days = {
      {absl::CivilDay(2026, 1, 12), {}},
      {absl::CivilDay(2026, 1, 19), {Iv("05:00", "07:00")}},
      {absl::CivilDay(2026, 1, 24), {Iv("20:00", "02:00")}},
  };
  spec.holidays = {absl::CivilDay(2026, 1, 25)};
  const BusinessCalendar calendar = MustCreate(spec);
  // Sunday's shift still spills into the closed special Monday.
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 12, 3)));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 12, 9)));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 11, 22)), Utc(2026, 1, 12, 6));
  // The spill (00:00-06:00) and the special hours (05:00-07:00) overlap and unite.
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 18, 22)), Utc(2026, 1, 19, 7));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 18), Utc(2026, 1, 20)), absl::Hours(9));
  // A special Saturday's night shift spills into a holiday Sunday.
  EXPECT_TRUE(calendar.IsOpen(Utc(2026, 1, 25, 1)));
  EXPECT_EQ(calendar.NextClose(Utc(2026, 1, 24, 20)), Utc(2026, 1, 25, 2));
  EXPECT_FALSE(calendar.IsOpen(Utc(2026, 1, 25, 23)));
  EXPECT_EQ(calendar.BusinessTimeBetween(Utc(2026, 1, 24), Utc(2026, 1, 27)), absl::Hours(6 + 8));
}

// ---------------------------------------------------------------------------------------------
// Edges of time.

TEST(EdgeTest, SubSecondInstantsAndDurations) {
  const BusinessCalendar calendar = MustCreate(Weekdays("UTC", {Iv("09:00", "17:00")}));
  const absl::Time open = Utc(2026, 1, 5, 9);
  const absl::Time close = Utc(2026, 1, 5, 17);
  const absl::Time next_open = Utc(2026, 1, 6, 9);
  EXPECT_THAT(calendar.AddBusinessTime(close - absl::Milliseconds(500), absl::Seconds(1)),
              HoldsTime(next_open + absl::Milliseconds(500)));
  EXPECT_EQ(
      calendar.BusinessTimeBetween(open - absl::Milliseconds(250), open + absl::Milliseconds(250)),
      absl::Milliseconds(250));
  EXPECT_EQ(calendar.NextClose(close - absl::Nanoseconds(1)), close);
  EXPECT_FALSE(calendar.IsOpen(open - absl::Nanoseconds(1)));
  EXPECT_TRUE(calendar.IsOpen(close - absl::Nanoseconds(1)));
  EXPECT_EQ(calendar.NextOpen(close + absl::Nanoseconds(1)), next_open);
  EXPECT_THAT(calendar.AddBusinessTime(close - absl::Nanoseconds(1), absl::Nanoseconds(2)),
              HoldsTime(next_open + absl::Nanoseconds(1)));
  EXPECT_THAT(calendar.AddBusinessTime(next_open + absl::Nanoseconds(1), -absl::Nanoseconds(2)),
              HoldsTime(close - absl::Nanoseconds(1)));
  EXPECT_THAT(calendar.AddBusinessTime(open + absl::Microseconds(3), absl::Microseconds(5)),
              HoldsTime(open + absl::Microseconds(8)));

  const BusinessCalendar seconds = MustCreate(Spec("UTC", {{kMon, {Iv("09:00:30", "09:01:15")}}}));
  EXPECT_EQ(seconds.BusinessTimeBetween(Utc(2026, 1, 5), Utc(2026, 1, 6)), absl::Seconds(45));
  EXPECT_EQ(seconds.NextOpen(Utc(2026, 1, 5, 9)), Utc(2026, 1, 5, 9, 0, 30));
  EXPECT_THAT(seconds.AddBusinessTime(Utc(2026, 1, 5, 9), absl::Seconds(45)),
              HoldsTime(Utc(2026, 1, 5, 9, 1, 15)));
}

TEST(EdgeTest, HorizonOfOneHundredYears) {
  EXPECT_EQ(BusinessCalendar::kHorizon, absl::Hours(24 * 36525));
  const absl::Time t = Utc(2026, 1, 5, 9);
  CalendarSpec all_week = Spec("UTC", {});
  for (int day = 0; day < 7; ++day) all_week.week[day] = {Iv("00:00", "24:00")};
  for (const BusinessCalendar& calendar : {BusinessCalendar::AlwaysOpen(), MustCreate(all_week)}) {
    EXPECT_THAT(calendar.AddBusinessTime(t, BusinessCalendar::kHorizon),
                HoldsTime(t + BusinessCalendar::kHorizon));
    EXPECT_THAT(calendar.AddBusinessTime(t, BusinessCalendar::kHorizon + absl::Seconds(1)),
                IsError(absl::StatusCode::kOutOfRange, testing::_));
    EXPECT_THAT(calendar.AddBusinessTime(t, -BusinessCalendar::kHorizon),
                HoldsTime(t - BusinessCalendar::kHorizon));
    EXPECT_THAT(calendar.AddBusinessTime(t, -BusinessCalendar::kHorizon - absl::Seconds(1)),
                IsError(absl::StatusCode::kOutOfRange, testing::_));
  }

  const BusinessCalendar office = MustCreate(Weekdays("UTC", {Iv("09:00", "17:00")}));
  // 5218 weeks end 5217 weeks + 4 days + 8 h after the start (36,523 days and 8 h); one week more
  // is past 36,525 days.
  EXPECT_THAT(office.AddBusinessTime(t, absl::Hours(40 * 5218)),
              HoldsTime(t + absl::Hours(24 * (5217 * 7 + 4) + 8)));
  EXPECT_THAT(office.AddBusinessTime(t, absl::Hours(40 * 5219)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_THAT(office.AddBusinessTime(t, -absl::Hours(40 * 5219)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));

  CalendarSpec far = Spec("UTC", {});
  far.special_days = {{absl::CivilDay(2127, 1, 4), {Iv("09:00", "10:00")}}};
  const BusinessCalendar far_calendar = MustCreate(far);
  EXPECT_EQ(far_calendar.NextOpen(t), Utc(2127, 1, 4, 9));
  EXPECT_THAT(far_calendar.AddBusinessTime(t, absl::Minutes(30)),
              IsError(absl::StatusCode::kOutOfRange, testing::_));
  EXPECT_THAT(far_calendar.AddBusinessTime(Utc(2100, 1, 1), absl::Minutes(30)),
              HoldsTime(Utc(2127, 1, 4, 9, 30)));
}

TEST(EdgeTest, InfiniteInstantsAndDurations) {
  const BusinessCalendar office = MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  const absl::Time t = Utc(2026, 1, 5, 15);
  for (const BusinessCalendar& calendar : {office, BusinessCalendar::AlwaysOpen()}) {
    EXPECT_FALSE(calendar.IsOpen(absl::InfiniteFuture()));
    EXPECT_FALSE(calendar.IsOpen(absl::InfinitePast()));
    EXPECT_EQ(calendar.NextOpen(absl::InfiniteFuture()), absl::InfiniteFuture());
    EXPECT_EQ(calendar.NextOpen(absl::InfinitePast()), absl::InfinitePast());
    EXPECT_EQ(calendar.NextClose(absl::InfiniteFuture()), absl::InfiniteFuture());
    EXPECT_EQ(calendar.NextClose(absl::InfinitePast()), absl::InfinitePast());
    EXPECT_THAT(calendar.AddBusinessTime(absl::InfiniteFuture(), absl::Hours(1)),
                HoldsTime(absl::InfiniteFuture()));
    EXPECT_THAT(calendar.AddBusinessTime(absl::InfinitePast(), absl::Hours(1)),
                HoldsTime(absl::InfinitePast()));
    EXPECT_THAT(calendar.AddBusinessTime(absl::InfiniteFuture(), -absl::Hours(1)),
                HoldsTime(absl::InfiniteFuture()));
    EXPECT_THAT(calendar.AddBusinessTime(t, absl::InfiniteDuration()),
                HoldsTime(absl::InfiniteFuture()));
    EXPECT_THAT(calendar.AddBusinessTime(t, -absl::InfiniteDuration()),
                HoldsTime(absl::InfinitePast()));
    EXPECT_EQ(calendar.BusinessTimeBetween(t, absl::InfiniteFuture()), absl::InfiniteDuration());
    EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfinitePast(), t), absl::InfiniteDuration());
    EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfiniteFuture(), t), -absl::InfiniteDuration());
    EXPECT_EQ(calendar.BusinessTimeBetween(t, absl::InfinitePast()), -absl::InfiniteDuration());
    EXPECT_EQ(calendar.BusinessTimeBetween(absl::InfinitePast(), absl::InfiniteFuture()),
              absl::InfiniteDuration());
  }
}

TEST(EdgeTest, FiniteInstantsBeyondTenToTheTwelveSecondsActAsInfinite) {
  const BusinessCalendar always = BusinessCalendar::AlwaysOpen();
  const BusinessCalendar office = MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  const absl::Time beyond = absl::FromUnixSeconds(2'000'000'000'000);
  const absl::Time before = absl::FromUnixSeconds(-2'000'000'000'000);
  const absl::Time t = Utc(2026, 1, 5, 15);
  EXPECT_FALSE(always.IsOpen(beyond));
  EXPECT_FALSE(always.IsOpen(before));
  EXPECT_TRUE(always.IsOpen(absl::FromUnixSeconds(999'999'000'000)));
  EXPECT_EQ(office.BusinessTimeBetween(t, beyond), absl::InfiniteDuration());
  EXPECT_EQ(office.BusinessTimeBetween(before, t), absl::InfiniteDuration());
  EXPECT_EQ(always.BusinessTimeBetween(t, beyond), absl::InfiniteDuration());
}

TEST(EdgeTest, FarFutureYears2600And3000) {
  const absl::TimeZone ny = Zone("America/New_York");
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  const BusinessCalendar sunday =
      MustCreate(Spec("America/New_York", {{kSun, {Iv("00:00", "24:00")}}}));
  EXPECT_EQ(sunday.BusinessTimeBetween(Local(ny, 2600, 3, 9), Local(ny, 2600, 3, 10)),
            absl::Hours(23));
  EXPECT_EQ(sunday.BusinessTimeBetween(Local(ny, 2600, 11, 2), Local(ny, 2600, 11, 3)),
            absl::Hours(25));
  EXPECT_EQ(sunday.BusinessTimeBetween(Local(ny, 3000, 3, 9), Local(ny, 3000, 3, 10)),
            absl::Hours(23));
  EXPECT_EQ(sunday.BusinessTimeBetween(Local(ny, 3000, 11, 2), Local(ny, 3000, 11, 3)),
            absl::Hours(25));
  EXPECT_THAT(sunday.AddBusinessTime(Local(ny, 3000, 11, 2), absl::Hours(2)),
              HoldsTime(Utc(3000, 11, 2, 6)));
  EXPECT_EQ(sunday.NextClose(Local(ny, 2600, 3, 9, 1)), Utc(2600, 3, 10, 4));

  const BusinessCalendar berlin_sunday =
      MustCreate(Spec("Europe/Berlin", {{kSun, {Iv("00:00", "24:00")}}}));
  EXPECT_EQ(
      berlin_sunday.BusinessTimeBetween(Local(berlin, 3000, 3, 30), Local(berlin, 3000, 3, 31)),
      absl::Hours(23));
  EXPECT_EQ(
      berlin_sunday.BusinessTimeBetween(Local(berlin, 3000, 10, 26), Local(berlin, 3000, 10, 27)),
      absl::Hours(25));

  const BusinessCalendar office = MustCreate(Weekdays("America/New_York", {Iv("09:00", "17:00")}));
  // 2600 and 3000 both start on a Wednesday and have 261 weekdays.
  EXPECT_EQ(office.BusinessTimeBetween(Local(ny, 2600, 1, 1), Local(ny, 2601, 1, 1)),
            absl::Hours(261 * 8));
  EXPECT_THAT(office.AddBusinessTime(Local(ny, 2600, 1, 1), absl::Hours(261 * 8)),
              HoldsTime(Local(ny, 2600, 12, 31, 17)));
  EXPECT_THAT(office.AddBusinessTime(Local(ny, 3000, 1, 6, 9), absl::Hours(52 * 40)),
              HoldsTime(Local(ny, 3001, 1, 2, 17)));
  // 149,749 weekdays from 2026 up to 2600.
  EXPECT_EQ(office.BusinessTimeBetween(Local(ny, 2026, 1, 1), Local(ny, 2600, 1, 1)),
            absl::Hours(int64_t{149749} * 8));
}

// ---------------------------------------------------------------------------------------------
// Against the reference.

TEST(ReferenceTest, ReferenceAgreesWithHandComputedValues) {
  // Guards the reference itself before it judges the library.
  const Reference ny(NewYorkOffice());
  // Saturday 7 March 23:00 EST to Sunday 00:30 EST: the 8th is a holiday, so only Saturday's
  // spill is left of the night.
  EXPECT_EQ(ny.Between(Utc(2026, 3, 8, 3), Utc(2026, 3, 8, 12)), absl::Minutes(90));
  EXPECT_EQ(ny.NextClose(Utc(2026, 3, 8, 4), kReferenceReach), Utc(2026, 3, 8, 5, 30));
  // 1 November is special: 00:30-03:00 with 01:00-02:00 twice, after Saturday's spill.
  EXPECT_EQ(ny.NextClose(Utc(2026, 11, 1, 3), kReferenceReach), Utc(2026, 11, 1, 8));
  EXPECT_TRUE(ny.IsOpen(Utc(2026, 11, 1, 6, 30)));
  const Reference berlin(BerlinShop());
  EXPECT_EQ(berlin.Between(Utc(2026, 3, 28), Utc(2026, 3, 30)), absl::Hours(4 + 5 + 4));
  EXPECT_EQ(berlin.Between(Utc(2026, 10, 24), Utc(2026, 10, 26)), absl::Hours(4 + 7 + 4));
  EXPECT_EQ(berlin.Add(Utc(2026, 1, 5, 14), absl::Hours(2), kReferenceReach), Utc(2026, 1, 6, 8));
  EXPECT_EQ(berlin.Add(Utc(2026, 1, 6, 8), -absl::Hours(2), kReferenceReach), Utc(2026, 1, 5, 14));
}

TEST(ReferenceTest, IsOpenMatchesEveryMinuteAroundTransitionsAndRandomly) {
  std::mt19937_64 rng(20260308);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (const absl::Time focus : s.focus) {
      const absl::Time start = MinuteFloor(focus) - absl::Hours(36);
      for (absl::Time t = start; t < start + absl::Hours(72); t += absl::Minutes(1)) {
        ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
      }
    }
    for (int i = 0; i < 4000; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
    }
  }
}

TEST(ReferenceTest, BusinessTimeBetweenMatches) {
  std::mt19937_64 rng(42);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (int i = 0; i < 400; ++i) {
      const absl::Time a = RandomMinute(rng, s);
      const absl::Time b = a + absl::Minutes(Uniform(rng, 0, 6 * 1440));
      const absl::Duration want = reference.Between(a, b);
      ASSERT_EQ(calendar.BusinessTimeBetween(a, b), want)
          << Describe(a, reference.zone()) << " to " << Describe(b, reference.zone());
      ASSERT_EQ(calendar.BusinessTimeBetween(b, a), -want);
    }
  }
}

TEST(ReferenceTest, AddBusinessTimeForwardMatches) {
  std::mt19937_64 rng(7);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (int i = 0; i < 400; ++i) {
      const absl::Time t = RandomMinute(rng, s);
      const absl::Duration d =
          absl::Minutes(Uniform(rng, 0, 1) == 0 ? Uniform(rng, 1, 180) : Uniform(rng, 1, 2400));
      const std::optional<absl::Time> want = reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(want.has_value()) << Describe(t, reference.zone()) << " + " << d;
      ASSERT_THAT(calendar.AddBusinessTime(t, d), HoldsTime(*want))
          << Describe(t, reference.zone()) << " + " << d << " should be "
          << Describe(*want, reference.zone());
    }
  }
}

TEST(ReferenceTest, AddBusinessTimeBackwardMatches) {
  std::mt19937_64 rng(8);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (int i = 0; i < 400; ++i) {
      const absl::Time t = RandomMinute(rng, s);
      const absl::Duration d =
          -absl::Minutes(Uniform(rng, 0, 1) == 0 ? Uniform(rng, 1, 180) : Uniform(rng, 1, 2400));
      const std::optional<absl::Time> want = reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(want.has_value()) << Describe(t, reference.zone()) << " + " << d;
      ASSERT_THAT(calendar.AddBusinessTime(t, d), HoldsTime(*want))
          << Describe(t, reference.zone()) << " + " << d << " should be "
          << Describe(*want, reference.zone());
    }
  }
}

TEST(ReferenceTest, NextOpenAndNextCloseMatch) {
  std::mt19937_64 rng(9);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (int i = 0; i < 1000; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      const std::optional<absl::Time> open = reference.NextOpen(t, kReferenceReach);
      const std::optional<absl::Time> close = reference.NextClose(t, kReferenceReach);
      ASSERT_TRUE(open.has_value() && close.has_value()) << Describe(t, reference.zone());
      ASSERT_EQ(calendar.NextOpen(t), *open)
          << Describe(t, reference.zone()) << " should open " << Describe(*open, reference.zone());
      ASSERT_EQ(calendar.NextClose(t), *close) << Describe(t, reference.zone()) << " should close "
                                               << Describe(*close, reference.zone());
    }
  }
}

TEST(ReferenceTest, SubSecondInstantsAndDurationsMatch) {
  std::mt19937_64 rng(10);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (int i = 0; i < 300; ++i) {
      const absl::Time a = RandomInstant(rng, s);
      const absl::Time b =
          a + absl::Nanoseconds(Uniform(rng, 0, int64_t{3} * 86400 * 1'000'000'000));
      ASSERT_EQ(calendar.BusinessTimeBetween(a, b), reference.Between(a, b))
          << Describe(a, reference.zone()) << " to " << Describe(b, reference.zone());
      absl::Duration d = absl::Nanoseconds(Uniform(rng, 1, int64_t{20} * 3600 * 1'000'000'000));
      if (Uniform(rng, 0, 1) == 0) d = -d;
      const std::optional<absl::Time> want = reference.Add(a, d, kReferenceReach);
      ASSERT_TRUE(want.has_value());
      ASSERT_THAT(calendar.AddBusinessTime(a, d), HoldsTime(*want))
          << Describe(a, reference.zone()) << " + " << d;
    }
  }
}

// An engine asks about instants that creep forward, often several calendars in turn: each
// calendar then answers from the open stretch it found last. Walks through every scenario with
// sub-second steps, interleaving two calendars, and checks every answer against the reference.
TEST(ReferenceTest, InstantsCreepingForwardMatch) {
  std::mt19937_64 rng(23);
  const std::vector<Scenario> scenarios = Scenarios();
  for (size_t k = 0; k < scenarios.size(); ++k) {
    const Scenario& s = scenarios[k];
    const Scenario& other = scenarios[(k + 1) % scenarios.size()];
    SCOPED_TRACE(s.name + " with " + other.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const BusinessCalendar other_calendar = MustCreate(other.spec);
    const Reference reference(s.spec);
    const Reference other_reference(other.spec);
    absl::Time t = RandomMinute(rng, s);
    for (int i = 0; i < 600; ++i) {
      t += absl::Nanoseconds(Uniform(rng, 0, int64_t{40} * 60 * 1'000'000'000));
      const absl::Duration d =
          absl::Nanoseconds(Uniform(rng, 1, int64_t{10} * 3600 * 1'000'000'000));
      const std::optional<absl::Time> want = reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(want.has_value());
      ASSERT_THAT(calendar.AddBusinessTime(t, d), HoldsTime(*want))
          << Describe(t, reference.zone()) << " + " << d;
      const absl::Time b =
          t + absl::Nanoseconds(Uniform(rng, 0, int64_t{12} * 3600 * 1'000'000'000));
      ASSERT_EQ(calendar.BusinessTimeBetween(t, b), reference.Between(t, b))
          << Describe(t, reference.zone()) << " to " << Describe(b, reference.zone());
      const std::optional<absl::Time> other_want = other_reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(other_want.has_value());
      ASSERT_THAT(other_calendar.AddBusinessTime(t, d), HoldsTime(*other_want))
          << other.name << ": " << Describe(t, other_reference.zone()) << " + " << d;
      ASSERT_EQ(other_calendar.BusinessTimeBetween(t, b), other_reference.Between(t, b));
    }
  }
}

TEST(ReferenceTest, FarFutureMatches) {
  std::mt19937_64 rng(2600);
  for (const Scenario& s : FarFutureScenarios()) {
    SCOPED_TRACE(s.name);
    ASSERT_GE(s.focus.size(), 2u) << "the zone should still change its clocks";
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (const absl::Time focus : s.focus) {
      const absl::Time start = MinuteFloor(focus) - absl::Hours(30);
      for (absl::Time t = start; t < start + absl::Hours(60); t += absl::Minutes(1)) {
        ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
      }
    }
    for (int i = 0; i < 200; ++i) {
      const absl::Time t = RandomMinute(rng, s);
      const absl::Time b = t + absl::Minutes(Uniform(rng, 0, 4 * 1440));
      ASSERT_EQ(calendar.BusinessTimeBetween(t, b), reference.Between(t, b))
          << Describe(t, reference.zone());
      const absl::Duration d = absl::Minutes(Uniform(rng, -1800, 1800));
      const std::optional<absl::Time> want = reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(want.has_value());
      ASSERT_THAT(calendar.AddBusinessTime(t, d), HoldsTime(*want))
          << Describe(t, reference.zone()) << " + " << d;
      const std::optional<absl::Time> open = reference.NextOpen(t, kReferenceReach);
      const std::optional<absl::Time> close = reference.NextClose(t, kReferenceReach);
      ASSERT_TRUE(open.has_value() && close.has_value());
      ASSERT_EQ(calendar.NextOpen(t), *open) << Describe(t, reference.zone());
      ASSERT_EQ(calendar.NextClose(t), *close) << Describe(t, reference.zone());
    }
  }
}

// Zones whose clocks change at midnight, by two hours, around a half-hour offset, or skip a whole
// date (Samoa left out 30 December 2011), all with night shifts that cross those changes.
TEST(ReferenceTest, UnusualZonesMatch) {
  auto night_shifts = [](std::string zone) {
    CalendarSpec spec = Weekdays(std::move(zone), {Iv("09:00", "12:00"), Iv("22:00", "06:00")});
    spec.week[kSat] = {Iv("23:00", "01:00")};
    spec.week[kSun] = {Iv("01:00", "02:00"), Iv("23:30", "00:15")};
    return spec;
  };
  std::vector<Scenario> scenarios;
  scenarios.push_back(MakeScenario("Apia2011", night_shifts("Pacific/Apia"), Utc(2011, 6, 1),
                                   Utc(2012, 6, 1), {Utc(2011, 12, 30)}));
  scenarios.push_back(
      MakeScenario("Santiago", night_shifts("America/Santiago"), Utc(2022, 1, 1), Utc(2024, 1, 1)));
  scenarios.push_back(
      MakeScenario("Troll", night_shifts("Antarctica/Troll"), Utc(2022, 1, 1), Utc(2024, 1, 1)));
  scenarios.push_back(
      MakeScenario("StJohns", night_shifts("America/St_Johns"), Utc(2022, 1, 1), Utc(2024, 1, 1)));
  std::mt19937_64 rng(2011);
  for (const Scenario& s : scenarios) {
    SCOPED_TRACE(s.name);
    ASSERT_GE(s.focus.size(), 3u);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    for (const absl::Time focus : s.focus) {
      const absl::Time start = MinuteFloor(focus) - absl::Hours(30);
      for (absl::Time t = start; t < start + absl::Hours(60); t += absl::Minutes(1)) {
        ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
      }
    }
    for (int i = 0; i < 150; ++i) {
      const absl::Time t = RandomMinute(rng, s);
      const absl::Time b = t + absl::Minutes(Uniform(rng, 0, 4 * 1440));
      ASSERT_EQ(calendar.BusinessTimeBetween(t, b), reference.Between(t, b))
          << Describe(t, reference.zone());
      const absl::Duration d = absl::Minutes(Uniform(rng, -1800, 1800));
      const std::optional<absl::Time> want = reference.Add(t, d, kReferenceReach);
      ASSERT_TRUE(want.has_value());
      ASSERT_THAT(calendar.AddBusinessTime(t, d), HoldsTime(*want))
          << Describe(t, reference.zone()) << " + " << d;
      const std::optional<absl::Time> open = reference.NextOpen(t, kReferenceReach);
      const std::optional<absl::Time> close = reference.NextClose(t, kReferenceReach);
      ASSERT_TRUE(open.has_value() && close.has_value());
      ASSERT_EQ(calendar.NextOpen(t), *open) << Describe(t, reference.zone());
      ASSERT_EQ(calendar.NextClose(t), *close) << Describe(t, reference.zone());
    }
  }
}

// Before 18 November 1883 New York kept local mean time, 4:56:02 behind UTC, so open stretches
// start and end at odd seconds; checked second by second and at random instants.
TEST(ReferenceTest, LocalMeanTimeOffsetsMatchToTheSecond) {
  CalendarSpec spec = NewYorkOffice();
  spec.week[kWed] = {Iv("09:00:17", "16:59:43")};
  const BusinessCalendar calendar = MustCreate(spec);
  const Reference reference(spec);
  for (absl::Time t = Utc(1883, 11, 18); t < Utc(1883, 11, 19, 12); t += absl::Seconds(1)) {
    ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
  }
  const Scenario s = MakeScenario("NewYork1883", spec, Utc(1883, 10, 1), Utc(1884, 2, 1));
  ASSERT_EQ(s.focus.size(), 1u);
  std::mt19937_64 rng(1883);
  for (int i = 0; i < 5000; ++i) {
    const absl::Time t = RandomInstant(rng, s);
    ASSERT_EQ(calendar.IsOpen(t), reference.IsOpen(t)) << Describe(t, reference.zone());
    const absl::Time open = calendar.NextOpen(t);
    const absl::Time close = calendar.NextClose(t);
    ASSERT_TRUE(reference.IsOpen(open)) << Describe(t, reference.zone());
    if (open > t) {
      ASSERT_FALSE(reference.IsOpen(open - absl::Nanoseconds(1))) << Describe(t, reference.zone());
    }
    ASSERT_TRUE(reference.IsOpen(close - absl::Nanoseconds(1))) << Describe(t, reference.zone());
    ASSERT_FALSE(reference.IsOpen(close)) << Describe(t, reference.zone());
  }
}

TEST(ReferenceTest, WholeYearSpansMatch) {
  std::mt19937_64 rng(2027);
  for (const Scenario& s : Scenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    const Reference reference(s.spec);
    const absl::Time start = s.from + absl::Minutes(Uniform(rng, 0, 7 * 1440));
    const absl::Time end = start + absl::Hours(24 * 365);
    const absl::Duration total = reference.Between(start, end);
    ASSERT_EQ(calendar.BusinessTimeBetween(start, end), total);
    const absl::Duration d = total - absl::Minutes(Uniform(rng, 1, 600));
    const std::optional<absl::Time> forward = reference.Add(start, d, absl::Hours(24 * 366));
    ASSERT_TRUE(forward.has_value());
    EXPECT_THAT(calendar.AddBusinessTime(start, d), HoldsTime(*forward));
    const std::optional<absl::Time> backward = reference.Add(end, -d, absl::Hours(24 * 366));
    ASSERT_TRUE(backward.has_value());
    EXPECT_THAT(calendar.AddBusinessTime(end, -d), HoldsTime(*backward));
  }
}

// ---------------------------------------------------------------------------------------------
// Properties over many random instants; no reference needed.

std::vector<Scenario> PropertyScenarios() {
  std::vector<Scenario> scenarios = Scenarios();
  for (Scenario& s : FarFutureScenarios()) scenarios.push_back(std::move(s));
  return scenarios;
}

absl::Duration RandomDuration(std::mt19937_64& rng, int64_t max_hours) {
  return absl::Nanoseconds(
      Uniform(rng, -max_hours * 3'600'000'000'000, max_hours * 3'600'000'000'000));
}

TEST(PropertyTest, BusinessTimeBetweenUndoesAddBusinessTime) {
  std::mt19937_64 rng(11);
  for (const Scenario& s : PropertyScenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    for (int i = 0; i < 5000; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      const absl::Duration d = RandomDuration(rng, i % 2 == 0 ? 30 : 2000);
      const absl::StatusOr<absl::Time> e = calendar.AddBusinessTime(t, d);
      ASSERT_TRUE(e.ok()) << e.status();
      ASSERT_EQ(calendar.BusinessTimeBetween(t, *e), d) << Describe(t, calendar.time_zone());
      if (d > absl::ZeroDuration()) {
        ASSERT_GE(*e, t);
      } else {
        ASSERT_LE(*e, t);
      }
    }
  }
}

TEST(PropertyTest, AddBusinessTimeIsMonotoneInTheDuration) {
  std::mt19937_64 rng(12);
  for (const Scenario& s : PropertyScenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    for (int i = 0; i < 5000; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      absl::Duration d1 = RandomDuration(rng, 100);
      absl::Duration d2 =
          i % 3 == 0 ? d1 + absl::Nanoseconds(Uniform(rng, 1, 1000)) : RandomDuration(rng, 100);
      if (d2 < d1) std::swap(d1, d2);
      const absl::StatusOr<absl::Time> e1 = calendar.AddBusinessTime(t, d1);
      const absl::StatusOr<absl::Time> e2 = calendar.AddBusinessTime(t, d2);
      ASSERT_TRUE(e1.ok() && e2.ok());
      ASSERT_LE(*e1, *e2) << Describe(t, calendar.time_zone()) << " " << d1 << " " << d2;
      if (d1 < d2) {
        ASSERT_LT(*e1, *e2);
      }
    }
  }
}

TEST(PropertyTest, LongAddsEqualChainsOfShortOnes) {
  std::mt19937_64 rng(15);
  for (const Scenario& s : PropertyScenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    for (int i = 0; i < 300; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      // Up to about two years of business time, in ten steps of the same sign.
      absl::Duration step = absl::Nanoseconds(Uniform(rng, 1, int64_t{300} * 3'600'000'000'000));
      if (i % 2 == 1) step = -step;
      absl::Time chained = t;
      for (int k = 0; k < 10; ++k) {
        const absl::StatusOr<absl::Time> next = calendar.AddBusinessTime(chained, step);
        ASSERT_TRUE(next.ok()) << next.status();
        chained = *next;
      }
      ASSERT_THAT(calendar.AddBusinessTime(t, step * 10), HoldsTime(chained))
          << Describe(t, calendar.time_zone()) << " + 10 * " << step;
      ASSERT_EQ(calendar.BusinessTimeBetween(t, chained), step * 10);
    }
  }
}

TEST(PropertyTest, BusinessTimeBetweenIsAntisymmetricAndAdditive) {
  std::mt19937_64 rng(13);
  for (const Scenario& s : PropertyScenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    for (int i = 0; i < 5000; ++i) {
      const absl::Time a = RandomInstant(rng, s);
      const absl::Time b = a + RandomDuration(rng, 24 * 40);
      const absl::Time c = b + RandomDuration(rng, 24 * 40);
      const absl::Duration ab = calendar.BusinessTimeBetween(a, b);
      ASSERT_EQ(calendar.BusinessTimeBetween(b, a), -ab);
      ASSERT_EQ(ab + calendar.BusinessTimeBetween(b, c), calendar.BusinessTimeBetween(a, c))
          << Describe(a, calendar.time_zone()) << " " << Describe(b, calendar.time_zone()) << " "
          << Describe(c, calendar.time_zone());
      ASSERT_LE(absl::AbsDuration(ab), absl::AbsDuration(b - a));
    }
  }
}

TEST(PropertyTest, NextOpenAndNextCloseAgreeWithIsOpen) {
  std::mt19937_64 rng(14);
  for (const Scenario& s : PropertyScenarios()) {
    SCOPED_TRACE(s.name);
    const BusinessCalendar calendar = MustCreate(s.spec);
    for (int i = 0; i < 5000; ++i) {
      const absl::Time t = RandomInstant(rng, s);
      const std::string where = Describe(t, calendar.time_zone());
      const bool open = calendar.IsOpen(t);
      const absl::Time next_open = calendar.NextOpen(t);
      ASSERT_EQ(open, next_open == t) << where;
      ASSERT_GE(next_open, t) << where;
      ASSERT_TRUE(calendar.IsOpen(next_open)) << where;
      if (!open) {
        // Nothing in [t, next_open) is open.
        for (const absl::Time probe : {t, t + (next_open - t) / 3, t + (next_open - t) / 2,
                                       next_open - absl::Nanoseconds(1)}) {
          ASSERT_FALSE(calendar.IsOpen(probe)) << where << " probe " << probe;
        }
        ASSERT_EQ(calendar.BusinessTimeBetween(t, next_open), absl::ZeroDuration()) << where;
      }
      const absl::Time next_close = calendar.NextClose(t);
      ASSERT_GT(next_close, next_open) << where;
      ASSERT_TRUE(calendar.IsOpen(next_close - absl::Seconds(1))) << where;
      ASSERT_FALSE(calendar.IsOpen(next_close)) << where;
      // The whole stretch is open.
      ASSERT_EQ(calendar.BusinessTimeBetween(next_open, next_close), next_close - next_open)
          << where;
      if (open) {
        ASSERT_GT(next_close, t) << where;
        ASSERT_EQ(calendar.NextClose(next_close - absl::Nanoseconds(1)), next_close) << where;
      }
    }
  }
}

// The zone tables' search agrees with a binary search over the whole table, for evenly spread
// keys, clustered and repeated ones, and keys spanning most of the 64-bit range.
TEST(BucketSearchTest, FindsTheLastKeyAtOrBeforeAsABinarySearchDoes) {
  std::mt19937_64 rng(7);
  const auto check = [&](const std::vector<int64_t>& keys) {
    const internal::BucketSearch search(keys);
    const auto expected = [&](int64_t x) {
      return (std::upper_bound(keys.begin(), keys.end(), x) - keys.begin()) - 1;
    };
    std::vector<int64_t> probes = {std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()};
    for (int64_t key : keys) {
      for (int64_t delta : {-1, 0, 1}) {
        if ((delta < 0 && key == std::numeric_limits<int64_t>::min()) ||
            (delta > 0 && key == std::numeric_limits<int64_t>::max())) {
          continue;
        }
        probes.push_back(key + delta);
      }
    }
    for (int i = 0; i < 200 && !keys.empty(); ++i) {
      probes.push_back(std::uniform_int_distribution<int64_t>(keys.front(), keys.back())(rng));
    }
    for (int64_t x : probes) ASSERT_EQ(search.LastAtOrBefore(keys, x), expected(x)) << x;
  };
  check({});
  check({42});
  check({-5, -5, -5});
  check({std::numeric_limits<int64_t>::min() + 1, 0, std::numeric_limits<int64_t>::max() - 1});
  for (int round = 0; round < 50; ++round) {
    std::vector<int64_t> keys(1 + rng() % 300);
    const int64_t spread = int64_t{1} << (rng() % 40);
    for (int64_t& key : keys) {
      key = std::uniform_int_distribution<int64_t>(-spread, spread)(rng);
      if (rng() % 4 == 0) key = key % 16;  // clusters and repeats
    }
    std::sort(keys.begin(), keys.end());
    check(keys);
  }
}

}  // namespace
}  // namespace omniroute
