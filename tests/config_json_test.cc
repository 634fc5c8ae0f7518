#include "omniroute/config_json.h"

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

using ::testing::HasSubstr;

MATCHER_P2(IsErrorWith, code, fragment, "") {
  return arg.status().code() == code &&
         std::string(arg.status().message()).find(fragment) != std::string::npos;
}

TEST(CalendarJsonTest, ParsesEveryPartOfTheShape) {
  absl::StatusOr<CalendarSpec> spec = ParseCalendarSpecJson(R"({
      "tz": "Asia/Shanghai",
      "week": {"mon": [["09:00", "12:00"], "13:00-18:00"], "sat": [["22:00", "06:00"]]},
      "holidays": ["2026-10-01", "2026-10-02"],
      "special_days": {"2026-09-27": [["09:00", "18:00"]], "2026-10-08": []}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->time_zone, "Asia/Shanghai");
  ASSERT_EQ(spec->week[0].size(), 2u);
  EXPECT_EQ(spec->week[0][1].open, TimeOfDay::FromHms(13, 0));
  EXPECT_EQ(spec->week[0][1].close, TimeOfDay::FromHms(18, 0));
  EXPECT_TRUE(spec->week[5][0].overnight());
  EXPECT_TRUE(spec->week[1].empty());
  EXPECT_EQ(spec->holidays, (std::vector<absl::CivilDay>{absl::CivilDay(2026, 10, 1),
                                                         absl::CivilDay(2026, 10, 2)}));
  ASSERT_EQ(spec->special_days.size(), 2u);
  EXPECT_TRUE(spec->special_days.at(absl::CivilDay(2026, 10, 8)).empty());
}

TEST(CalendarJsonTest, EmptyObjectIsAClosedUtcCalendar) {
  absl::StatusOr<BusinessCalendar> calendar = ParseCalendarJson("{}");
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ(calendar->spec().time_zone, "UTC");
  EXPECT_EQ(calendar->weekly_open_time(), absl::ZeroDuration());
}

TEST(CalendarJsonTest, RoundTripsThroughCalendarSpecToJson) {
  absl::StatusOr<BusinessCalendar> calendar = ParseCalendarJson(R"({
      "tz": "Europe/Berlin",
      "week": {"tue": [["13:00", "17:30:15"], ["08:00", "12:00"]], "sun": [["23:00", "24:00"]]},
      "holidays": ["2026-12-26", "2026-12-25"],
      "special_days": {"2026-12-24": [["09:00", "12:00"]]}})");
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  absl::StatusOr<CalendarSpec> again = ParseCalendarSpecJson(CalendarSpecToJson(calendar->spec()));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, calendar->spec());
}

TEST(CalendarJsonTest, ErrorsNameTheJsonPath) {
  EXPECT_THAT(
      ParseCalendarSpecJson(R"({"week": {"mon": [["9:00", "17:00"]]}})"),
      IsErrorWith(absl::StatusCode::kInvalidArgument, "week.mon[0]: malformed time \"9:00\""));
  EXPECT_THAT(
      ParseCalendarSpecJson(R"({"week": {"fri": ["09:00-17:00", "18:00"]}})"),
      IsErrorWith(absl::StatusCode::kInvalidArgument, "week.fri[1]: expected \"HH:MM-HH:MM\""));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"week": {"monday": []}})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "week: unknown week day \"monday\""));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"holidays": ["2026-02-30"]})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "holidays[0]: malformed date"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"holidays": [20261225]})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "holidays[0]: expected a string"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"special_days": {"24.12.2026": []}})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "special_days: malformed date"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"special_days": {"2026-12-24": [["09:00"]]}})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "special_days.2026-12-24[0]"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"tz": 8})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "tz: expected a string"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"timezone": "UTC"})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "unknown key \"timezone\""));
  EXPECT_THAT(ParseCalendarSpecJson(R"([1, 2])"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "expected an object"));
  EXPECT_THAT(ParseCalendarSpecJson(R"({"tz": "UTC",)"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "malformed JSON"));
}

TEST(CalendarJsonTest, WholeCalendarErrorsComeFromCreate) {
  EXPECT_THAT(ParseCalendarJson(R"({"tz": "Mars/Olympus_Mons"})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "unknown time zone"));
  EXPECT_THAT(
      ParseCalendarJson(R"({"week": {"wed": [["09:00", "12:00"], ["11:00", "13:00"]]}})"),
      IsErrorWith(absl::StatusCode::kInvalidArgument, "wed 09:00-12:00 overlaps wed 11:00-13:00"));
}

}  // namespace
}  // namespace omniroute
