#include "omniroute/config_json.h"

#include <string>
#include <string_view>

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

// The parser's message quotes the bytes read up to the error, here the first byte of "é": the
// message stays UTF-8 text, with that byte escaped and whole characters kept.
TEST(CalendarJsonTest, MalformedJsonMessagesAreUtf8) {
  const std::string cut =
      std::string(ParseCalendarSpecJson("{\"tz\": [\xc3\xa9]}").status().message());
  EXPECT_THAT(cut, HasSubstr("malformed JSON"));
  EXPECT_THAT(cut, HasSubstr("\\xc3"));
  EXPECT_EQ(cut.find('\xc3'), std::string::npos);
  const std::string whole =
      std::string(ParseCalendarSpecJson("{\"tz\": \"\xc3\xa9").status().message());
  EXPECT_THAT(whole, HasSubstr("\xc3\xa9"));
}

TEST(CalendarJsonTest, WholeCalendarErrorsComeFromCreate) {
  EXPECT_THAT(ParseCalendarJson(R"({"tz": "Mars/Olympus_Mons"})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "unknown time zone"));
  EXPECT_THAT(ParseCalendarJson(R"({"tz": "localtime"})"),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "not an IANA zone name"));
  EXPECT_THAT(
      ParseCalendarJson(R"({"tz": "/usr/share/zoneinfo/America/New_York"})"),
      IsErrorWith(absl::StatusCode::kInvalidArgument, "\"/usr/share/zoneinfo/America/New_York\""));
  EXPECT_THAT(
      ParseCalendarJson(R"({"week": {"wed": [["09:00", "12:00"], ["11:00", "13:00"]]}})"),
      IsErrorWith(absl::StatusCode::kInvalidArgument, "wed 09:00-12:00 overlaps wed 11:00-13:00"));
}

CalendarMap OfficeCalendars() {
  absl::StatusOr<BusinessCalendar> office = ParseCalendarJson(R"({"tz": "Europe/Berlin",
      "week": {"mon": ["08:00-12:00", "13:00-17:00"], "tue": ["08:00-12:00", "13:00-17:00"],
               "wed": ["08:00-12:00", "13:00-17:00"], "thu": ["08:00-12:00", "13:00-17:00"],
               "fri": ["08:00-12:00", "13:00-17:00"]}})");
  EXPECT_TRUE(office.ok()) << office.status();
  CalendarMap calendars;
  calendars.emplace("office", *office);
  return calendars;
}

TEST(SlaDurationJsonTest, AcceptsSecondsDurationsDaysAndWorkingDays) {
  const BusinessCalendar office = OfficeCalendars().at("office");
  const BusinessCalendar always_open;
  EXPECT_EQ(*ParseSlaDuration("90", office), absl::Seconds(90));
  EXPECT_EQ(*ParseSlaDuration("2.5", office), absl::Milliseconds(2500));
  EXPECT_EQ(*ParseSlaDuration("5m", office), absl::Minutes(5));
  EXPECT_EQ(*ParseSlaDuration("1h30m", office), absl::Minutes(90));
  EXPECT_EQ(*ParseSlaDuration("1.5d", office), absl::Hours(36));
  EXPECT_EQ(*ParseSlaDuration("2wd", office), absl::Hours(16));
  EXPECT_EQ(*ParseSlaDuration("2wd", always_open), absl::Hours(48));
  EXPECT_EQ(*ParseSlaDuration("0", office), absl::ZeroDuration());
}

TEST(SlaDurationJsonTest, RejectsMalformedNegativeAndInfiniteDurations) {
  const BusinessCalendar office = OfficeCalendars().at("office");
  EXPECT_THAT(ParseSlaDuration("soon", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "malformed duration \"soon\""));
  EXPECT_THAT(ParseSlaDuration("-5m", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "negative"));
  EXPECT_THAT(ParseSlaDuration("inf", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "\"inf\""));
  EXPECT_THAT(ParseSlaDuration("1e300d", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "not finite"));
  EXPECT_THAT(ParseSlaDuration("xwd", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "malformed"));
  EXPECT_THAT(ParseSlaDuration("", office),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "malformed"));
  absl::StatusOr<BusinessCalendar> closed = ParseCalendarJson("{}");
  ASSERT_TRUE(closed.ok());
  EXPECT_THAT(ParseSlaDuration("1wd", *closed),
              IsErrorWith(absl::StatusCode::kInvalidArgument, "without weekly hours"));
}

TEST(SlaPolicyJsonTest, ParsesTheDomainsTiers) {
  absl::StatusOr<SlaPolicy> policy = ParseSlaPolicyJson(R"({
      "name": "tiered",
      "calendar": "office",
      "warn_at": [0.5, 0.75, 0.9],
      "targets": {"A": {"first_response": "5m", "resolution": "30m"},
                  "B": {"first_response": 1800, "resolution": "2h"},
                  "C": {"first_response": "4h", "resolution": "24h"},
                  "L2": {"resolution": "2wd"}},
      "tiers": {"vip": 0.5},
      "tier_targets": {"gold": {"C": {"resolution": "8h"}}},
      "metrics": {"periodic_update": {"calendar": "24x7"},
                  "resolution": {"paused_by": ["customer", "third_party"]}}})",
                                                        OfficeCalendars());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "tiered");
  EXPECT_EQ(policy->warn_at, (std::vector<double>{0.5, 0.75, 0.9}));
  EXPECT_EQ(*policy->Target(SlaMetric::kFirstResponse, "A", ""), absl::Minutes(5));
  EXPECT_EQ(*policy->Target(SlaMetric::kFirstResponse, "B", ""), absl::Minutes(30));
  EXPECT_EQ(*policy->Target(SlaMetric::kResolution, "C", "vip"), absl::Hours(12));
  EXPECT_EQ(*policy->Target(SlaMetric::kResolution, "C", "gold"), absl::Hours(8));
  EXPECT_EQ(*policy->Target(SlaMetric::kResolution, "L2", ""), absl::Hours(16));
  EXPECT_EQ(policy->settings(SlaMetric::kResolution).calendar, OfficeCalendars().at("office"));
  EXPECT_TRUE(policy->settings(SlaMetric::kPeriodicUpdate).calendar.IsAlwaysOpen());
  EXPECT_TRUE(policy->Pauses(SlaMetric::kResolution, "third_party"));
  EXPECT_FALSE(policy->Pauses(SlaMetric::kFirstResponse, "customer"));
}

TEST(SlaPolicyJsonTest, WorkingDaysFollowTheMetricsOwnCalendar) {
  absl::StatusOr<SlaPolicy> policy = ParseSlaPolicyJson(R"({"name": "p", "calendar": "office",
      "metrics": {"first_response": {"calendar": "24x7"}},
      "targets": {"A": {"first_response": "1wd", "resolution": "1wd"}}})",
                                                        OfficeCalendars());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(*policy->Target(SlaMetric::kFirstResponse, "A", ""), absl::Hours(24));
  EXPECT_EQ(*policy->Target(SlaMetric::kResolution, "A", ""), absl::Hours(8));
}

TEST(SlaPolicyJsonTest, ErrorsNameTheJsonPath) {
  const CalendarMap calendars = OfficeCalendars();
  const auto error = [&](std::string_view json) {
    return ParseSlaPolicyJson(json, calendars).status();
  };
  EXPECT_THAT(error(R"({"name": "p", "targets": {"A": {"resolution": "-5m"}}})").message(),
              HasSubstr("targets.A.resolution"));
  EXPECT_THAT(error(R"({"name": "p", "targets": {"A": {"answer": "5m"}}})").message(),
              HasSubstr("answer"));
  EXPECT_THAT(error(R"({"name": "p", "targets": {"A": {"resolution": true}}})").message(),
              HasSubstr("targets.A.resolution"));
  EXPECT_THAT(error(R"({"name": "p", "warn_at": [0.5, "x"]})").message(), HasSubstr("warn_at[1]"));
  EXPECT_THAT(error(R"({"name": "p", "warn_at": [0.5, 1.5]})").message(),
              HasSubstr("warning threshold 1.5"));
  EXPECT_THAT(error(R"({"name": "p", "tiers": {"vip": -1}})").message(), HasSubstr("tier vip"));
  EXPECT_THAT(error(R"({"name": "p", "metrics": {"resolution": {"paused": []}}})").message(),
              HasSubstr("metrics.resolution"));
  EXPECT_THAT(error(R"({"name": "p", "deadline": 5})").message(), HasSubstr("deadline"));
  EXPECT_THAT(error(R"({"targets": {}})").message(), HasSubstr("name"));
  EXPECT_EQ(error(R"({"name": "p", "calendar": "night"})").code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(error(R"({"name": "p", "calendar": "night"})").message(), HasSubstr("night"));
  EXPECT_EQ(error(R"({"name": "p", "targets": )").code(), absl::StatusCode::kInvalidArgument);
}

// Seconds beyond what absl::Duration holds would saturate to InfiniteDuration(), which a policy
// reads as "not tracked"; smaller ones beyond 290 years are refused by the policy.
TEST(SlaPolicyJsonTest, RefusesTargetsTooLargeForADuration) {
  const auto error = [](std::string_view seconds) {
    return ParseSlaPolicyJson(std::string(R"({"name": "p", "targets": {"A": {"resolution": )") +
                                  std::string(seconds) + "}}}",
                              OfficeCalendars());
  };
  EXPECT_THAT(error("1e12"), IsErrorWith(absl::StatusCode::kInvalidArgument,
                                         "resolution: target 277777777h46m40s is not finite"));
  EXPECT_THAT(error("1e19"), IsErrorWith(absl::StatusCode::kInvalidArgument,
                                         "targets.A.resolution: target 1e+19s is not finite"));
  EXPECT_THAT(error("1.7e308"),
              IsErrorWith(absl::StatusCode::kInvalidArgument,
                          "targets.A.resolution: target 1.7e+308s is not finite"));
}

TEST(SlaSelectorJsonTest, ParsesRulesInOrderAndTheDefault) {
  absl::StatusOr<SlaSelector> selector = ParseSlaSelectorJson(R"({
      "rules": [{"tiers": ["vip"], "channels": ["chat", "voice"], "policy": "vip"},
                {"queues": ["billing"], "priorities": ["A"], "policy": "urgent"},
                {"tags_any": ["angry"], "tags_all": ["customer"], "policy": "care"}],
      "default": "standard"})");
  ASSERT_TRUE(selector.ok()) << selector.status();
  ASSERT_EQ(selector->rules().size(), 3u);
  EXPECT_EQ(selector->rules()[0].channels, (std::vector<std::string>{"chat", "voice"}));
  EXPECT_EQ(selector->default_policy(), "standard");
  const std::vector<std::string> tags = {"angry", "customer"};
  EXPECT_EQ(selector->Select({"chat", "billing", "A", "vip", {}}), "vip");
  EXPECT_EQ(selector->Select({"email", "billing", "A", "vip", {}}), "urgent");
  EXPECT_EQ(selector->Select({"email", "sales", "B", "", tags}), "care");
  EXPECT_EQ(selector->Select({"email", "sales", "B", "", {}}), "standard");
  absl::StatusOr<SlaSelector> empty = ParseSlaSelectorJson("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->Select({}), "");
}

TEST(SlaSelectorJsonTest, ErrorsNameTheJsonPath) {
  EXPECT_THAT(
      ParseSlaSelectorJson(R"({"rules": [{"policy": "a"}, {"queues": ["q"]}]})").status().message(),
      HasSubstr("rules[1]"));
  EXPECT_THAT(
      ParseSlaSelectorJson(R"({"rules": [{"policy": "a", "queues": "q"}]})").status().message(),
      HasSubstr("rules[0].queues"));
  EXPECT_THAT(ParseSlaSelectorJson(R"({"rules": [], "fallback": "x"})").status().message(),
              HasSubstr("fallback"));
}

constexpr char kEscalationJson[] = R"({
  "name": "support",
  "levels": [{"name": "L1", "time_limit": "4h", "calendar": "office"},
             {"name": "L2", "time_limit": "2wd", "calendar": "office",
              "actions": [{"kind": "raise_priority_by", "amount": 1},
                          {"kind": "require_skill", "target": "senior", "amount": 1}]},
             {"name": "L3", "actions": [{"kind": "notify", "target": "emergency_group"},
                                        {"kind": "schedule_follow_up", "target": "callbacks",
                                         "after": "48h"}]}],
  "rules": [{"trigger": {"kind": "level_time_limit"}},
            {"trigger": {"kind": "sla_breached", "metric": "resolution"}, "to_level": "L3"},
            {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1", "to_level": 1},
            {"trigger": {"kind": "sla_remaining_below", "duration": 600}, "from_level": "L1"},
            {"trigger": {"kind": "manual"}, "from_level": "L3", "to_level": "L1",
             "deescalate": true}]})";

TEST(ConfigJsonTest, EscalationPolicyMirrorsTheSpec) {
  absl::StatusOr<EscalationPolicy> policy =
      ParseEscalationPolicyJson(kEscalationJson, OfficeCalendars());
  ASSERT_TRUE(policy.ok()) << policy.status();
  const EscalationPolicySpec& spec = policy->spec();
  ASSERT_EQ(policy->level_count(), 3);
  EXPECT_EQ(spec.levels[0].time_limit, absl::Hours(4));
  // Two working days of an 8-hour office week.
  EXPECT_EQ(spec.levels[1].time_limit, absl::Hours(16));
  EXPECT_EQ(spec.levels[1].actions[1],
            (EscalationAction{EscalationActionKind::kRequireSkill, 1, "senior", {}}));
  EXPECT_EQ(spec.levels[2].actions[1].after, absl::Hours(48));
  ASSERT_EQ(spec.rules.size(), 5u);
  EXPECT_EQ(spec.rules[1].trigger.metric, SlaMetric::kResolution);
  EXPECT_EQ(spec.rules[1].to_level, 2);
  EXPECT_EQ(spec.rules[2].from_level, 0);
  EXPECT_EQ(spec.rules[2].to_level, 1);
  EXPECT_EQ(spec.rules[3].trigger.duration, absl::Minutes(10));
  EXPECT_TRUE(spec.rules[4].deescalate);
}

TEST(ConfigJsonTest, EscalationPolicyErrorsNameTheJsonPath) {
  const auto error = [](std::string json, std::string_view from, std::string_view to) {
    const size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    json.replace(at, from.size(), to);
    return ParseEscalationPolicyJson(json, OfficeCalendars()).status();
  };
  const auto expect = [](const absl::Status& status, absl::StatusCode code, std::string_view text) {
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_THAT(status.message(), HasSubstr(text));
  };
  expect(error(kEscalationJson, R"("time_limit": "4h")", R"("time_limit": "4 hours")"),
         absl::StatusCode::kInvalidArgument, "levels[0].time_limit");
  expect(error(kEscalationJson, R"("time_limit": "4h")", R"("time_limit": 1e19)"),
         absl::StatusCode::kInvalidArgument, "levels[0].time_limit: duration 1e+19s is not finite");
  expect(error(kEscalationJson, R"("to_level": "L3")", R"("to_level": "L9")"),
         absl::StatusCode::kInvalidArgument, "rules[1].to_level: unknown level \"L9\"");
  expect(error(kEscalationJson, R"("kind": "notify")", R"("kind": "page")"),
         absl::StatusCode::kInvalidArgument, "levels[2].actions[0].kind");
  expect(error(kEscalationJson, R"({"kind": "manual"})", R"({"kind": "manual", "x": 1})"),
         absl::StatusCode::kInvalidArgument, "rules[4].trigger");
  expect(error(kEscalationJson, R"("calendar": "office"})", R"("calendar": "moon"})"),
         absl::StatusCode::kNotFound, "levels[0].calendar");
  // Validation of the whole policy names the same paths.
  expect(error(kEscalationJson, R"("amount": 1},)", R"("amount": 0},)"),
         absl::StatusCode::kInvalidArgument, "levels[1].actions[0].amount");
  expect(error(kEscalationJson, R"("deescalate": true)", R"("deescalate": false)"),
         absl::StatusCode::kInvalidArgument, "rules[4].to_level");
  expect(error(kEscalationJson, R"("value": "upset")", R"("value": "")"),
         absl::StatusCode::kInvalidArgument, "rules[2].trigger.value");
}

}  // namespace
}  // namespace omniroute
