#include "omniroute/sla.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "sla_test_support.h"

namespace omniroute {
namespace {

using ::testing::HasSubstr;

using sla_test::MustCalendar;
using sla_test::Ny;
using sla_test::Office;

SlaClock MustStart(SlaMetric metric, absl::Time start, absl::Duration target,
                   const BusinessCalendar& calendar) {
  absl::StatusOr<SlaClock> clock = SlaClock::Start(metric, start, target, calendar);
  EXPECT_TRUE(clock.ok()) << clock.status();
  return *clock;
}

// The domain's tiers: A 5 min / 30 min, B 30 min / 2 h, C 4 h / 24 h.
SlaPolicy Tiered() {
  SlaPolicy policy;
  policy.name = "tiered";
  policy.warn_at = {0.5, 0.75, 0.9};
  policy.targets["A"][SlaMetric::kFirstResponse] = absl::Minutes(5);
  policy.targets["A"][SlaMetric::kResolution] = absl::Minutes(30);
  policy.targets["B"][SlaMetric::kFirstResponse] = absl::Minutes(30);
  policy.targets["B"][SlaMetric::kResolution] = absl::Hours(2);
  policy.targets["C"][SlaMetric::kFirstResponse] = absl::Hours(4);
  policy.targets["C"][SlaMetric::kResolution] = absl::Hours(24);
  policy.targets["L2"][SlaMetric::kResolution] = 2 * WorkingDay(Office());
  policy.tier_factors["vip"] = 0.5;
  policy.tier_targets["gold"]["C"][SlaMetric::kResolution] = absl::Hours(8);
  for (SlaMetric metric : kAllSlaMetrics) policy.settings(metric).calendar = Office();
  return policy;
}

TEST(SlaMetricTest, NamesRoundTrip) {
  for (SlaMetric metric : kAllSlaMetrics) {
    absl::StatusOr<SlaMetric> parsed = ParseSlaMetric(SlaMetricName(metric));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, metric);
  }
  EXPECT_EQ(SlaMetricName(SlaMetric::kPeriodicUpdate), "periodic_update");
  absl::StatusOr<SlaMetric> bad = ParseSlaMetric("answer_time");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("answer_time"));
  EXPECT_EQ(SlaStateName(SlaState::kBreached), "breached");
}

TEST(SlaPolicyTest, TargetsPerPriorityAndTier) {
  const SlaPolicy policy = Tiered();
  ASSERT_TRUE(policy.Validate().ok()) << policy.Validate();
  EXPECT_EQ(*policy.Target(SlaMetric::kFirstResponse, "A", ""), absl::Minutes(5));
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "B", ""), absl::Hours(2));
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "C", "vip"), absl::Hours(12));
  EXPECT_EQ(*policy.Target(SlaMetric::kFirstResponse, "A", "vip"), absl::Seconds(150));
  // An explicit tier target wins over the factor; other metrics of that tier use the base.
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "C", "gold"), absl::Hours(8));
  EXPECT_EQ(*policy.Target(SlaMetric::kFirstResponse, "C", "gold"), absl::Hours(4));
  // An unknown tier has no factor.
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "A", "bronze"), absl::Minutes(30));
  // "Level-2 issues: solution within 2 working days": two 7-hour office days.
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "L2", ""), absl::Hours(14));
  EXPECT_EQ(*policy.Target(SlaMetric::kNextResponse, "A", ""), absl::InfiniteDuration());
  absl::StatusOr<absl::Duration> unknown = policy.Target(SlaMetric::kResolution, "Z", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("\"Z\""));
}

TEST(SlaPolicyTest, TierFactorRoundsToTheNanosecond) {
  SlaPolicy policy;
  policy.name = "thirds";
  policy.targets["A"][SlaMetric::kResolution] = absl::Seconds(1);
  policy.tier_factors["third"] = 1.0 / 3.0;
  EXPECT_EQ(*policy.Target(SlaMetric::kResolution, "A", "third"), absl::Nanoseconds(333333333));
}

TEST(SlaPolicyTest, DefaultsPauseOnlyResolutionForTheCustomer) {
  const SlaPolicy policy;
  EXPECT_TRUE(policy.Pauses(SlaMetric::kResolution, "customer"));
  EXPECT_FALSE(policy.Pauses(SlaMetric::kResolution, "third_party"));
  EXPECT_FALSE(policy.Pauses(SlaMetric::kFirstResponse, "customer"));
  EXPECT_TRUE(policy.settings(SlaMetric::kFirstResponse).calendar.IsAlwaysOpen());
}

TEST(SlaPolicyTest, ValidateNamesThePolicyAndTheProblem) {
  const auto expect_invalid = [](SlaPolicy policy, std::string_view fragment) {
    absl::Status status = policy.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << fragment;
    EXPECT_THAT(status.message(), HasSubstr(fragment));
    if (!policy.name.empty()) {
      EXPECT_THAT(status.message(), HasSubstr(policy.name));
    }
  };
  SlaPolicy unnamed = Tiered();
  unnamed.name = "";
  expect_invalid(unnamed, "without a name");
  for (double bad : {0.0, -0.5, 1.5, std::nan("")}) {
    SlaPolicy policy = Tiered();
    policy.warn_at = {bad};
    expect_invalid(policy, "outside (0, 1]");
  }
  SlaPolicy full = Tiered();
  full.warn_at = {1.0};
  EXPECT_TRUE(full.Validate().ok());
  SlaPolicy descending = Tiered();
  descending.warn_at = {0.75, 0.5};
  expect_invalid(descending, "ascend");
  SlaPolicy repeated = Tiered();
  repeated.warn_at = {0.5, 0.5};
  expect_invalid(repeated, "ascend");
  SlaPolicy many = Tiered();
  many.warn_at = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  expect_invalid(many, "at most 7");
  SlaPolicy negative = Tiered();
  negative.targets["B"][SlaMetric::kResolution] = absl::Minutes(-1);
  expect_invalid(negative, "negative target");
  SlaPolicy endless = Tiered();
  endless.targets["B"][SlaMetric::kResolution] = absl::Hours(24 * 365 * 1000);
  expect_invalid(endless, "not finite");
  SlaPolicy negative_tier = Tiered();
  negative_tier.tier_targets["gold"]["A"][SlaMetric::kFirstResponse] = absl::Seconds(-1);
  expect_invalid(negative_tier, "tier gold priority A");
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity()}) {
    SlaPolicy policy = Tiered();
    policy.tier_factors["vip"] = bad;
    expect_invalid(policy, "tier vip factor");
  }
  SlaPolicy empty_reason = Tiered();
  empty_reason.settings(SlaMetric::kResolution).paused_by.push_back("");
  expect_invalid(empty_reason, "empty pause reason");
}

TEST(WorkingDayTest, AveragesTheWeekOverDaysWithHours) {
  EXPECT_EQ(WorkingDay(Office()), absl::Hours(7));
  EXPECT_EQ(WorkingDay(BusinessCalendar()), absl::Hours(24));
  EXPECT_EQ(WorkingDay(MustCalendar(R"({"tz": "UTC", "week": {"mon": ["09:00-17:00"],
                                       "sat": ["10:00-14:00"]}})")),
            absl::Hours(6));
  EXPECT_EQ(WorkingDay(MustCalendar(R"({"tz": "UTC", "week": {}})")), absl::ZeroDuration());
}

TEST(SlaSelectorTest, FirstMatchingRuleWinsAndTheDefaultCatchesTheRest) {
  SlaRule vip_chat;
  vip_chat.channels = {"chat", "voice"};
  vip_chat.tiers = {"vip"};
  vip_chat.policy = "vip";
  SlaRule billing_urgent;
  billing_urgent.queues = {"billing"};
  billing_urgent.priorities = {"A"};
  billing_urgent.policy = "urgent";
  SlaRule angry;
  angry.tags_any = {"angry", "upset"};
  angry.tags_all = {"customer"};
  angry.policy = "care";
  SlaRule billing;
  billing.queues = {"billing"};
  billing.policy = "billing";
  const SlaSelector selector({vip_chat, billing_urgent, angry, billing}, "standard");

  const std::vector<std::string> no_tags;
  const std::vector<std::string> upset = {"customer", "upset"};
  const std::vector<std::string> upset_only = {"upset"};
  EXPECT_EQ(selector.Select({"chat", "billing", "A", "vip", no_tags}), "vip");
  EXPECT_EQ(selector.Select({"email", "billing", "A", "vip", no_tags}), "urgent");
  EXPECT_EQ(selector.Select({"email", "billing", "B", "", upset}), "care");
  EXPECT_EQ(selector.Select({"email", "billing", "B", "", upset_only}), "billing");
  EXPECT_EQ(selector.Select({"email", "sales", "B", "", upset_only}), "standard");
  EXPECT_EQ(selector.Select({}), "standard");

  EXPECT_EQ(SlaSelector().Select({"chat", "billing", "A", "vip", no_tags}), "");
  SlaRule everything;
  everything.policy = "all";
  EXPECT_EQ(SlaSelector({everything}, "unused").Select({}), "all");
}

TEST(SlaClockTest, RunsOnBusinessTimeAcrossNightsAndWeekends) {
  // Friday 16:00: one business hour before the weekend.
  const absl::Time created = Ny(2026, 11, 20, 16);
  const SlaClock clock = MustStart(SlaMetric::kResolution, created, absl::Hours(4), Office());
  EXPECT_EQ(clock.state(), SlaState::kRunning);
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 23, 12));
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 22, 12), Office()), absl::Hours(1));
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 23, 10, 30), Office()), absl::Hours(2.5));
  EXPECT_DOUBLE_EQ(clock.Consumed(Ny(2026, 11, 23, 10), Office()), 0.5);
  EXPECT_EQ(clock.Remaining(Ny(2026, 11, 23, 13, 30), Office()), absl::Minutes(-30));
  // Lunch costs nothing either.
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 23, 12, 45), Office()), absl::Hours(4));
  EXPECT_EQ(clock.InstantReaching(clock.Threshold(0.75), Office()), Ny(2026, 11, 23, 11));
  EXPECT_EQ(clock.Threshold(0.9), absl::Minutes(216));
}

TEST(SlaClockTest, ThresholdRoundsHalfAwayFromZeroLikeLlround) {
  for (const int64_t target_ns :
       {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{5}, int64_t{999'999'999},
        int64_t{1'800'000'000'001}, (int64_t{1} << 53) + 1, (int64_t{1} << 62) - 1,
        int64_t{1} << 62, int64_t{9'000'000'000'000'000'000}}) {
    const SlaClock clock = MustStart(SlaMetric::kResolution, absl::UnixEpoch(),
                                     absl::Nanoseconds(target_ns), BusinessCalendar());
    for (const double fraction : {0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.0 / 3, 0.999999999}) {
      const int64_t expected =
          static_cast<int64_t>(std::llround(static_cast<long double>(target_ns) * fraction));
      EXPECT_EQ(clock.Threshold(fraction), absl::Nanoseconds(expected))
          << target_ns << " x " << fraction;
    }
  }
  // Exactly half a nanosecond rounds up.
  EXPECT_EQ(
      MustStart(SlaMetric::kResolution, absl::UnixEpoch(), absl::Nanoseconds(5), BusinessCalendar())
          .Threshold(0.5),
      absl::Nanoseconds(3));
}

TEST(SlaClockTest, PauseExcludesOnlyOpenTime) {
  const absl::Time created = Ny(2026, 11, 20, 16);
  SlaClock clock = MustStart(SlaMetric::kResolution, created, absl::Hours(4), Office());
  EXPECT_EQ(clock.MarkNanos(), absl::ToUnixNanos(created));
  EXPECT_EQ(clock.AccumulatedNanos(), 0);
  // Paused over the weekend, which is closed anyway: the deadline does not move.
  ASSERT_TRUE(clock.Pause(Ny(2026, 11, 20, 17), Office()).ok());
  EXPECT_EQ(clock.state(), SlaState::kPaused);
  EXPECT_EQ(clock.Deadline(), absl::InfiniteFuture());
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 25, 12), Office()), absl::Hours(1));
  ASSERT_TRUE(clock.Resume(Ny(2026, 11, 23, 9), Office()).ok());
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 23, 12));
  // The running stretch began at the resume, with the hour counted before the pause.
  EXPECT_EQ(clock.MarkNanos(), absl::ToUnixNanos(Ny(2026, 11, 23, 9)));
  EXPECT_EQ(clock.AccumulatedNanos(), absl::ToInt64Nanoseconds(absl::Hours(1)));
  // Paused for 90 open minutes around lunch (11:00-12:00 and 13:00-13:30).
  ASSERT_TRUE(clock.Pause(Ny(2026, 11, 23, 11), Office()).ok());
  EXPECT_EQ(clock.stopped_at(), Ny(2026, 11, 23, 11));
  ASSERT_TRUE(clock.Resume(Ny(2026, 11, 23, 13, 30), Office()).ok());
  EXPECT_EQ(clock.AccumulatedNanos(), absl::ToInt64Nanoseconds(absl::Hours(3)));
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 23, 13, 30), Office()), absl::Hours(3));
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 23, 14, 30));
}

TEST(SlaClockTest, StopsOnTimeExactlyAtTheDeadlineAndLateAfterIt) {
  const absl::Time start = Ny(2026, 11, 23, 9);
  SlaClock on_time = MustStart(SlaMetric::kFirstResponse, start, absl::Minutes(5), Office());
  ASSERT_TRUE(on_time.Stop(start + absl::Minutes(5), Office()).ok());
  EXPECT_EQ(on_time.state(), SlaState::kMet);
  EXPECT_FALSE(on_time.met_late());
  EXPECT_EQ(on_time.Deadline(), absl::InfiniteFuture());
  EXPECT_EQ(on_time.Elapsed(start + absl::Hours(3), Office()), absl::Minutes(5));

  SlaClock late = MustStart(SlaMetric::kFirstResponse, start, absl::Minutes(5), Office());
  ASSERT_TRUE(late.Stop(start + absl::Minutes(5) + absl::Nanoseconds(1), Office()).ok());
  EXPECT_TRUE(late.met_late());
  EXPECT_TRUE(late.breached());
  EXPECT_EQ(late.state(), SlaState::kMet);
}

TEST(SlaClockTest, StopInClosedHoursAfterADeadlineAtClosingIsLate) {
  // Due Friday 17:00, at closing; answered at 17:30 with no business time added.
  const absl::Time start = Ny(2026, 11, 20, 16);
  SlaClock clock = MustStart(SlaMetric::kFirstResponse, start, absl::Hours(1), Office());
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 20, 17));
  ASSERT_TRUE(clock.Stop(Ny(2026, 11, 20, 17, 30), Office()).ok());
  EXPECT_TRUE(clock.met_late());
  EXPECT_EQ(clock.Elapsed(Ny(2026, 11, 23, 9), Office()), absl::Hours(1));

  SlaClock paused = MustStart(SlaMetric::kResolution, start, absl::Hours(1), Office());
  ASSERT_TRUE(paused.Pause(Ny(2026, 11, 20, 18), Office()).ok());
  EXPECT_EQ(paused.state(), SlaState::kBreached);

  SlaClock zero = MustStart(SlaMetric::kFirstResponse, start, absl::ZeroDuration(), Office());
  ASSERT_TRUE(zero.Stop(start, Office()).ok());
  EXPECT_TRUE(zero.met_late());
}

TEST(SlaClockTest, AClockThatOverranBeforeAPauseKeepsTheInstantItFirstDid) {
  // Monday 16:00, 30 minutes: overran at 16:30, paused at 16:45, resumed Tuesday 10:00.
  const absl::Time start = Ny(2026, 11, 23, 16);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Minutes(30), Office());
  ASSERT_TRUE(clock.Pause(Ny(2026, 11, 23, 16, 45), Office()).ok());
  ASSERT_TRUE(clock.Resume(Ny(2026, 11, 24, 10), Office()).ok());
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 23, 16, 30));
  // Reached exactly at closing, paused in the evening: the deadline stays at the close.
  SlaClock at_close = MustStart(SlaMetric::kResolution, start, absl::Hours(1), Office());
  ASSERT_TRUE(at_close.Pause(Ny(2026, 11, 23, 18), Office()).ok());
  ASSERT_TRUE(at_close.Resume(Ny(2026, 11, 24, 10), Office()).ok());
  EXPECT_EQ(at_close.Deadline(), Ny(2026, 11, 23, 17));
  // Paused exactly at its deadline: not overrun, so the deadline is where it resumes.
  SlaClock on_the_dot = MustStart(SlaMetric::kResolution, start, absl::Minutes(30), Office());
  ASSERT_TRUE(on_the_dot.Pause(Ny(2026, 11, 23, 16, 30), Office()).ok());
  ASSERT_TRUE(on_the_dot.Resume(Ny(2026, 11, 24, 10), Office()).ok());
  EXPECT_EQ(on_the_dot.Deadline(), Ny(2026, 11, 24, 10));
  ASSERT_TRUE(on_the_dot.Stop(Ny(2026, 11, 24, 10), Office()).ok());
  EXPECT_FALSE(on_the_dot.met_late());
}

TEST(SlaClockTest, BreachedClockKeepsCountingAndPausing) {
  const absl::Time start = Ny(2026, 11, 23, 9);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Minutes(30), Office());
  clock.MarkBreached();
  EXPECT_EQ(clock.state(), SlaState::kBreached);
  ASSERT_TRUE(clock.Pause(start + absl::Hours(1), Office()).ok());
  EXPECT_EQ(clock.state(), SlaState::kBreached);
  EXPECT_TRUE(clock.paused());
  ASSERT_TRUE(clock.Resume(start + absl::Hours(2), Office()).ok());
  ASSERT_TRUE(clock.Stop(start + absl::Hours(4), Office()).ok());
  EXPECT_TRUE(clock.met_late());
  // 09:00-10:00 and 11:00-12:00 and 13:00: lunch excluded, pause excluded.
  EXPECT_EQ(clock.Elapsed(start + absl::Hours(5), Office()), absl::Hours(2));
}

TEST(SlaClockTest, PausedClockStopsWhereItPaused) {
  const absl::Time start = Ny(2026, 11, 23, 9);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Hours(1), Office());
  ASSERT_TRUE(clock.Pause(start + absl::Minutes(50), Office()).ok());
  ASSERT_TRUE(clock.Stop(start + absl::Hours(2), Office()).ok());
  EXPECT_FALSE(clock.met_late());
  EXPECT_EQ(clock.Elapsed(start + absl::Hours(5), Office()), absl::Minutes(50));
}

TEST(SlaClockTest, RetargetCountsFromTheOriginalStart) {
  const absl::Time start = Ny(2026, 11, 23, 9);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Hours(24), Office());
  // Three 7-hour days and 3 hours: Thanksgiving is open on this calendar.
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 26, 12));
  ASSERT_TRUE(clock.Retarget(absl::Minutes(30), Office()).ok());
  EXPECT_EQ(clock.Deadline(), Ny(2026, 11, 23, 9, 30));
  EXPECT_DOUBLE_EQ(clock.Consumed(Ny(2026, 11, 23, 10), Office()), 2.0);
  EXPECT_EQ(clock.start(), start);
}

TEST(SlaClockTest, ZeroTargetIsDueAtItsStart) {
  const absl::Time start = Ny(2026, 11, 23, 10);
  SlaClock clock = MustStart(SlaMetric::kFirstResponse, start, absl::ZeroDuration(), Office());
  EXPECT_EQ(clock.Deadline(), start);
  EXPECT_DOUBLE_EQ(clock.Consumed(start, Office()), 1.0);
  EXPECT_TRUE(std::isinf(clock.Consumed(start + absl::Seconds(1), Office())));
  // Started while closed: still due at once.
  const SlaClock night =
      MustStart(SlaMetric::kFirstResponse, Ny(2026, 11, 21, 3), absl::ZeroDuration(), Office());
  EXPECT_EQ(night.Deadline(), Ny(2026, 11, 21, 3));
}

TEST(SlaClockTest, RefusedCallsChangeNothing) {
  const absl::Time start = Ny(2026, 11, 23, 10);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Hours(1), Office());
  const SlaClock before = clock;
  EXPECT_EQ(clock.Resume(start, Office()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(clock.Stop(start - absl::Seconds(1), Office()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(clock.Stop(start - absl::Seconds(1), Office()).message(),
              HasSubstr("before its last change"));
  EXPECT_EQ(clock.Pause(start - absl::Seconds(1), Office()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clock.Retarget(absl::Minutes(-5), Office()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clock.Retarget(absl::InfiniteDuration(), Office()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clock, before);

  ASSERT_TRUE(clock.Pause(start + absl::Minutes(10), Office()).ok());
  const SlaClock paused = clock;
  EXPECT_EQ(clock.Pause(start + absl::Minutes(20), Office()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(clock.Pause(start + absl::Minutes(20), Office()).message(), HasSubstr("paused"));
  EXPECT_EQ(clock.Resume(start + absl::Minutes(5), Office()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(clock, paused);

  ASSERT_TRUE(clock.Stop(start + absl::Minutes(30), Office()).ok());
  const SlaClock stopped = clock;
  EXPECT_EQ(clock.Stop(start + absl::Minutes(40), Office()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(clock.Cancel(start + absl::Minutes(40)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(clock.Pause(start + absl::Minutes(40), Office()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(clock, stopped);
}

TEST(SlaClockTest, StartRejectsBadTargetsAndInstants) {
  const absl::Time start = Ny(2026, 11, 23, 10);
  EXPECT_EQ(
      SlaClock::Start(SlaMetric::kResolution, start, absl::Seconds(-1), Office()).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SlaClock::Start(SlaMetric::kResolution, start, absl::InfiniteDuration(), Office())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<SlaClock> far = SlaClock::Start(
      SlaMetric::kResolution, absl::FromCivil(absl::CivilDay(2300, 1, 1), absl::UTCTimeZone()),
      absl::Hours(1), Office());
  EXPECT_EQ(far.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(far.status().message(), HasSubstr("1678-2262"));
}

TEST(SlaClockTest, CancelledClockCountsNothingMore) {
  const absl::Time start = Ny(2026, 11, 23, 10);
  SlaClock clock = MustStart(SlaMetric::kResolution, start, absl::Hours(1), Office());
  ASSERT_TRUE(clock.Cancel(start + absl::Minutes(10)).ok());
  EXPECT_EQ(clock.state(), SlaState::kCancelled);
  EXPECT_FALSE(clock.open());
  EXPECT_EQ(clock.Deadline(), absl::InfiniteFuture());
  EXPECT_EQ(clock.Resume(start + absl::Minutes(20), Office()).code(),
            absl::StatusCode::kFailedPrecondition);
}

// Daylight-saving days: business time is real elapsed time, so a deadline across a change lands
// one wall-clock hour earlier or later than local arithmetic would say.
TEST(SlaClockTest, DeadlinesAcrossDaylightSavingChanges) {
  const BusinessCalendar daily = MustCalendar(R"({"tz": "America/New_York",
    "week": {"mon": ["08:00-20:00"], "tue": ["08:00-20:00"], "wed": ["08:00-20:00"],
             "thu": ["08:00-20:00"], "fri": ["08:00-20:00"], "sat": ["08:00-20:00"],
             "sun": ["08:00-20:00"]}})");
  // Spring forward on Sunday 2026-03-08 02:00: 1 h on Saturday, 1 h on Sunday morning.
  const SlaClock spring =
      MustStart(SlaMetric::kResolution, Ny(2026, 3, 7, 19), absl::Hours(2), daily);
  EXPECT_EQ(spring.Deadline(), Ny(2026, 3, 8, 9));
  EXPECT_EQ(spring.Deadline() - spring.start(), absl::Hours(13));

  // Fall back on Sunday 2026-11-01 02:00: the night shift from Saturday 22:00 to Sunday 06:00
  // lasts 9 hours.
  const BusinessCalendar nights = MustCalendar(R"({"tz": "America/New_York",
    "week": {"sat": ["22:00-06:00"]}})");
  const SlaClock fall =
      MustStart(SlaMetric::kResolution, Ny(2026, 10, 31, 22), absl::Hours(8.5), nights);
  EXPECT_EQ(fall.Deadline(), Ny(2026, 11, 1, 5, 30));
  const SlaClock whole_night =
      MustStart(SlaMetric::kResolution, Ny(2026, 10, 31, 22), absl::Hours(9.5), nights);
  EXPECT_EQ(whole_night.Deadline(), Ny(2026, 11, 7, 22, 30));
}

}  // namespace
}  // namespace omniroute
