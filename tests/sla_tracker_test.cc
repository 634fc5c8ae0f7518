#include "omniroute/sla_tracker.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"
#include "internal/state_codec.h"
#include "omniroute/config_json.h"
#include "sla_test_support.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

using sla_test::MustCalendar;
using sla_test::NewYork;
using sla_test::Ny;
using sla_test::Office;

// The domain's tiers on the office calendar: A 5 min / 30 min, B 30 min / 2 h, C 4 h / 24 h,
// level-2 issues solved within 2 working days; VIPs get half.
SlaPolicy Tiered() {
  CalendarMap calendars;
  calendars.emplace("office", Office());
  absl::StatusOr<SlaPolicy> policy = ParseSlaPolicyJson(R"({
      "name": "tiered", "calendar": "office", "warn_at": [0.5, 0.75, 0.9],
      "targets": {"A": {"first_response": "5m", "resolution": "30m"},
                  "B": {"first_response": "30m", "resolution": "2h"},
                  "C": {"first_response": "4h", "resolution": "24h"},
                  "L2": {"resolution": "2wd"}},
      "tiers": {"vip": 0.5}})",
                                                        calendars);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

// "#item metric/cycle kind fraction due [late at]", instants in New York local time.
std::string Describe(const SlaEvent& event) {
  const auto local = [](absl::Time t) {
    return absl::FormatTime("%m-%d %H:%M:%E*S", t, NewYork());
  };
  std::string text = absl::StrCat("#", event.item, " ", std::string(SlaMetricName(event.metric)),
                                  "/", event.cycle, " ", std::string(SlaEventKindName(event.kind)));
  if (event.kind == SlaEvent::Kind::kWarning) absl::StrAppend(&text, " ", event.fraction);
  absl::StrAppend(&text, " ", local(event.due));
  if (event.late) {
    absl::StrAppend(&text, " late");
    if (event.at != event.due) absl::StrAppend(&text, "@", local(event.at));
  }
  if (event.overrun != absl::ZeroDuration()) {
    absl::StrAppend(&text, " +", absl::FormatDuration(event.overrun));
  }
  return text;
}

std::vector<std::string> Drain(SlaTracker& tracker) {
  std::vector<std::string> lines;
  for (const SlaEvent& event : tracker.PollEvents()) lines.push_back(Describe(event));
  return lines;
}

class SlaTrackerTest : public ::testing::Test {
 protected:
  SlaTracker MakeTracker(absl::Time origin, SlaPolicy policy = Tiered()) {
    SlaTracker tracker(SlaTracker::Options{.origin = origin});
    const absl::Status added = tracker.AddPolicy(std::move(policy));
    EXPECT_TRUE(added.ok()) << added;
    return tracker;
  }
};

TEST_F(SlaTrackerTest, PriorityCAcrossTheWeekend) {
  // Friday 16:00, an hour before the weekend.
  const absl::Time created = Ny(2026, 11, 20, 16);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "C", "", created).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->Deadline(), Ny(2026, 11, 23, 12));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kNextResponse), nullptr);
  // Meeting the deadline exactly is on time: no breach yet.
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 12)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_warning 0.5 11-23 10:00:00",
                                          "#1 first_response/1 sla_warning 0.75 11-23 11:00:00",
                                          "#1 first_response/1 sla_warning 0.9 11-23 11:36:00"));
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 12, 0, 1)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_breached 11-23 12:00:00"));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->state(), SlaState::kBreached);
  // 24 business hours: Fri 1 h, Mon-Wed 21 h, Thanksgiving (open here) 2 h.
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), Ny(2026, 11, 26, 11));
}

// VisitAllClocks gives each tracked item's clocks as VisitClocks does, forgotten items none.
TEST_F(SlaTrackerTest, VisitAllClocksVisitsEveryTrackedItemsClocks) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  for (SlaItemId id = 1; id <= 5; ++id) {
    ASSERT_TRUE(tracker.Start(id, "tiered", id % 2 == 0 ? "A" : "C", "", created).ok());
  }
  ASSERT_TRUE(tracker.AgentResponded(3, created + absl::Minutes(20)).ok());
  ASSERT_TRUE(tracker.Forget(2).ok());
  ASSERT_TRUE(tracker.Forget(4).ok());
  ASSERT_TRUE(tracker.Start(6, "tiered", "B", "vip", created + absl::Minutes(30)).ok());
  const auto line = [](SlaItemId id, const SlaClock& clock) {
    return absl::StrCat("#", id, " ", std::string(SlaMetricName(clock.metric())), "/",
                        clock.cycle(), " ", static_cast<int>(clock.state()), " ",
                        absl::FormatTime(clock.Deadline()));
  };
  std::vector<std::string> all;
  tracker.VisitAllClocks(
      [&](SlaItemId id, const SlaClock& clock) { all.push_back(line(id, clock)); });
  std::vector<std::string> each;
  for (const SlaItemId id : {1, 3, 5, 6}) {
    tracker.VisitClocks(id, [&](const SlaClock& clock, const BusinessCalendar&) {
      each.push_back(line(id, clock));
    });
  }
  EXPECT_THAT(all, UnorderedElementsAreArray(each));
  EXPECT_EQ(all.size(), 8u);
}

TEST_F(SlaTrackerTest, PriorityAWarnsAndBreachesWithinMinutes) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(7, "tiered", "A", "", created).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 9, 10)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#7 first_response/1 sla_warning 0.5 11-23 09:02:30",
                                          "#7 first_response/1 sla_warning 0.75 11-23 09:03:45",
                                          "#7 first_response/1 sla_warning 0.9 11-23 09:04:30",
                                          "#7 first_response/1 sla_breached 11-23 09:05:00"));
  ASSERT_TRUE(tracker.AgentResponded(7, Ny(2026, 11, 23, 9, 12)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#7 first_response/1 sla_met 11-23 09:12:00 late +7m"));
  ASSERT_TRUE(tracker.Resolve(7, Ny(2026, 11, 23, 9, 20)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#7 resolution/1 sla_warning 0.5 11-23 09:15:00",
                                          "#7 resolution/1 sla_met 11-23 09:20:00"));
  EXPECT_EQ(tracker.open_clock_count(), 0u);
  EXPECT_EQ(tracker.pending_timer_count(), 0u);
}

TEST_F(SlaTrackerTest, VipTierHalvesTheTargets) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "vip", created).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->target(), absl::Minutes(15));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), Ny(2026, 11, 23, 10));
}

TEST_F(SlaTrackerTest, TwoWorkingDaysAcrossAHoliday) {
  // Christmas Eve 10:00: 6 h that day, Christmas closed, the weekend closed, 7 h on Monday,
  // the last hour on Tuesday.
  const absl::Time created = Ny(2026, 12, 24, 10);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(3, "tiered", "L2", "", created).ok());
  EXPECT_EQ(tracker.Clock(3, SlaMetric::kResolution)->target(), absl::Hours(14));
  EXPECT_EQ(tracker.Clock(3, SlaMetric::kFirstResponse), nullptr);
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 12, 31, 9)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#3 resolution/1 sla_warning 0.5 12-28 10:00:00",
                                          "#3 resolution/1 sla_warning 0.75 12-28 14:30:00",
                                          "#3 resolution/1 sla_warning 0.9 12-28 16:36:00",
                                          "#3 resolution/1 sla_breached 12-29 10:00:00"));
}

TEST_F(SlaTrackerTest, PauseAcrossCloseTimeCostsOnlyTheOpenTimePaused) {
  // Friday 16:00, B: resolution (2 h) due Monday 10:00.
  const absl::Time created = Ny(2026, 11, 20, 16);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "", created).ok());
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 20, 16, 5)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), Ny(2026, 11, 23, 10));
  Drain(tracker);
  // Waiting on the customer from 16:30 Friday to 10:00 Monday: 30 + 60 open minutes.
  ASSERT_TRUE(tracker.Pause(1, "customer", Ny(2026, 11, 20, 16, 30)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->state(), SlaState::kPaused);
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 9, 59)).ok());
  EXPECT_THAT(Drain(tracker), IsEmpty());
  ASSERT_TRUE(tracker.Resume(1, "customer", Ny(2026, 11, 23, 10)).ok());
  const SlaClock* resolution = tracker.Clock(1, SlaMetric::kResolution);
  EXPECT_EQ(resolution->Elapsed(Ny(2026, 11, 23, 10), Office()), absl::Minutes(30));
  EXPECT_EQ(resolution->Deadline(), Ny(2026, 11, 23, 11, 30));
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 12)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 resolution/1 sla_warning 0.5 11-23 10:30:00",
                                          "#1 resolution/1 sla_warning 0.75 11-23 11:00:00",
                                          "#1 resolution/1 sla_warning 0.9 11-23 11:18:00",
                                          "#1 resolution/1 sla_breached 11-23 11:30:00"));
}

TEST_F(SlaTrackerTest, PauseMovesTheDeadlineAndSilencesThePausedMetric) {
  const absl::Time created = Ny(2026, 11, 20, 16);  // Friday
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "C", "", created).ok());
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 20, 16, 5)).ok());
  Drain(tracker);
  // Resolution (24 h) would be due Thursday 11:00. Paused 16:30 Friday - 10:00 Monday: 1.5 open
  // hours, so due Thursday 13:30 (lunch skipped); the warnings move with it.
  ASSERT_TRUE(tracker.Pause(1, "customer", Ny(2026, 11, 20, 16, 30)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), absl::InfiniteFuture());
  ASSERT_TRUE(tracker.Resume(1, "customer", Ny(2026, 11, 23, 10)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), Ny(2026, 11, 26, 13, 30));
  // A reason the metric is not paused by changes nothing.
  ASSERT_TRUE(tracker.Pause(1, "third_party", Ny(2026, 11, 23, 11)).ok());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kResolution)->running());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 26, 13, 31)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 resolution/1 sla_warning 0.5 11-24 15:30:00",
                                          "#1 resolution/1 sla_warning 0.75 11-25 14:30:00",
                                          "#1 resolution/1 sla_warning 0.9 11-26 10:06:00",
                                          "#1 resolution/1 sla_breached 11-26 13:30:00"));
}

TEST_F(SlaTrackerTest, EveryActiveReasonMustEndBeforeAClockRunsAgain) {
  SlaPolicy policy = Tiered();
  policy.settings(SlaMetric::kResolution).paused_by = {"customer", "third_party"};
  policy.settings(SlaMetric::kFirstResponse).paused_by = {"customer"};
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created, policy);
  ASSERT_TRUE(tracker.Start(1, "tiered", "C", "", created).ok());
  ASSERT_TRUE(tracker.Pause(1, "third_party", Ny(2026, 11, 23, 9, 10)).ok());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kResolution)->paused());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kFirstResponse)->running());
  ASSERT_TRUE(tracker.Pause(1, "customer", Ny(2026, 11, 23, 9, 20)).ok());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kFirstResponse)->paused());
  ASSERT_TRUE(tracker.Resume(1, "third_party", Ny(2026, 11, 23, 9, 30)).ok());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kResolution)->paused());
  ASSERT_TRUE(tracker.Resume(1, "customer", Ny(2026, 11, 23, 9, 40)).ok());
  EXPECT_TRUE(tracker.Clock(1, SlaMetric::kResolution)->running());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Elapsed(Ny(2026, 11, 23, 10), Office()),
            absl::Minutes(30));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->Elapsed(Ny(2026, 11, 23, 10), Office()),
            absl::Minutes(40));
}

TEST_F(SlaTrackerTest, PriorityDownAFromBeforeTheBreachKeepsLaterThresholds) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "A", "", created).ok());
  ASSERT_TRUE(tracker.Retarget(1, "C", "", Ny(2026, 11, 23, 9, 3)).ok());
  // Re-targeted from the original start: 4 h from 09:00 is 14:00 after lunch. The 0.5 warning
  // of this cycle has fired already (at 09:02:30); the later thresholds follow the new target.
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->Deadline(), Ny(2026, 11, 23, 14));
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 15)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_warning 0.5 11-23 09:02:30",
                                          "#1 first_response/1 sla_warning 0.75 11-23 12:00:00",
                                          "#1 first_response/1 sla_warning 0.9 11-23 13:36:00",
                                          "#1 first_response/1 sla_breached 11-23 14:00:00"));
}

TEST_F(SlaTrackerTest, PriorityUpCToAFiresWhatIsPastAtOnceMarkedLate) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "C", "", created).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 9, 20)).ok());
  EXPECT_THAT(Drain(tracker), IsEmpty());
  ASSERT_TRUE(tracker.Retarget(1, "A", "", Ny(2026, 11, 23, 9, 20)).ok());
  EXPECT_THAT(Drain(tracker),
              ElementsAre("#1 first_response/1 sla_warning 0.5 11-23 09:02:30 late@11-23 09:20:00",
                          "#1 first_response/1 sla_warning 0.75 11-23 09:03:45 late@11-23 09:20:00",
                          "#1 first_response/1 sla_warning 0.9 11-23 09:04:30 late@11-23 09:20:00",
                          "#1 first_response/1 sla_breached 11-23 09:05:00 late@11-23 09:20:00",
                          "#1 resolution/1 sla_warning 0.5 11-23 09:15:00 late@11-23 09:20:00"));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kFirstResponse)->state(), SlaState::kBreached);
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 10)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 resolution/1 sla_warning 0.75 11-23 09:22:30",
                                          "#1 resolution/1 sla_warning 0.9 11-23 09:27:00",
                                          "#1 resolution/1 sla_breached 11-23 09:30:00"));
  // Back to C: the breaches stand, nothing fires twice.
  ASSERT_TRUE(tracker.Retarget(1, "C", "", Ny(2026, 11, 23, 10, 1)).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 12, 31, 10)).ok());
  EXPECT_THAT(Drain(tracker), IsEmpty());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->target(), absl::Hours(24));
}

TEST_F(SlaTrackerTest, RetroactiveStartFiresPassedThresholdsOnceLate) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "A", "", created, Ny(2026, 11, 23, 9, 4)).ok());
  EXPECT_THAT(
      Drain(tracker),
      ElementsAre("#1 first_response/1 sla_warning 0.5 11-23 09:02:30 late@11-23 09:04:00",
                  "#1 first_response/1 sla_warning 0.75 11-23 09:03:45 late@11-23 09:04:00"));
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 9, 5)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_warning 0.9 11-23 09:04:30"));
}

TEST_F(SlaTrackerTest, ZeroTargetIsBreachedAtItsStart) {
  SlaPolicy policy = Tiered();
  policy.warn_at = {0.5};
  policy.targets["now"][SlaMetric::kFirstResponse] = absl::ZeroDuration();
  const absl::Time created = Ny(2026, 11, 21, 3);  // Saturday night: closed
  SlaTracker tracker = MakeTracker(created, policy);
  ASSERT_TRUE(tracker.Start(1, "tiered", "now", "", created).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_warning 0.5 11-21 03:00:00",
                                          "#1 first_response/1 sla_breached 11-21 03:00:00"));
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 21, 3)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_met 11-21 03:00:00 late"));
}

TEST_F(SlaTrackerTest, NextResponseRunsFromEachCustomerMessageAfterAnAgentResponse) {
  SlaPolicy policy = Tiered();
  policy.warn_at = {};
  policy.targets["B"][SlaMetric::kNextResponse] = absl::Minutes(20);
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created, policy);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "", created).ok());
  // A customer message before any agent response starts nothing.
  ASSERT_TRUE(tracker.CustomerMessaged(1, Ny(2026, 11, 23, 9, 1)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kNextResponse), nullptr);
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 23, 9, 10)).ok());
  ASSERT_TRUE(tracker.CustomerMessaged(1, Ny(2026, 11, 23, 9, 30)).ok());
  // A second message while one is waiting keeps the first one's clock.
  ASSERT_TRUE(tracker.CustomerMessaged(1, Ny(2026, 11, 23, 9, 35)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kNextResponse)->start(), Ny(2026, 11, 23, 9, 30));
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 23, 9, 45)).ok());
  ASSERT_TRUE(tracker.CustomerMessaged(1, Ny(2026, 11, 23, 10)).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 10, 30)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_met 11-23 09:10:00",
                                          "#1 next_response/1 sla_met 11-23 09:45:00",
                                          "#1 next_response/2 sla_breached 11-23 10:20:00"));
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kNextResponse)->cycle(), 2);
}

TEST_F(SlaTrackerTest, PeriodicUpdateRestartsWithEachAgentResponseUntilResolution) {
  SlaPolicy policy = Tiered();
  policy.warn_at = {};
  policy.targets["B"][SlaMetric::kPeriodicUpdate] = absl::Hours(1);
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created, policy);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "", created).ok());
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 23, 9, 50)).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 11)).ok());
  ASSERT_TRUE(tracker.Resolve(1, Ny(2026, 11, 23, 11, 30)).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 24, 11)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_breached 11-23 09:30:00",
                                          "#1 first_response/1 sla_met 11-23 09:50:00 late +20m",
                                          "#1 periodic_update/1 sla_met 11-23 09:50:00",
                                          "#1 periodic_update/2 sla_breached 11-23 10:50:00",
                                          "#1 resolution/1 sla_breached 11-23 11:00:00",
                                          "#1 periodic_update/2 sla_met 11-23 11:30:00 late +40m",
                                          "#1 resolution/1 sla_met 11-23 11:30:00 late +30m"));
}

TEST_F(SlaTrackerTest, ReopenStartsANewCycleAndKeepsHistory) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "", created).ok());
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 23, 9, 10)).ok());
  ASSERT_TRUE(tracker.Resolve(1, Ny(2026, 11, 23, 9, 40)).ok());
  EXPECT_EQ(tracker.Resolve(1, Ny(2026, 11, 23, 9, 41)).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(tracker.Reopen(1, Ny(2026, 11, 24, 9)).ok());
  const SlaClock* resolution = tracker.Clock(1, SlaMetric::kResolution);
  EXPECT_EQ(resolution->cycle(), 2);
  EXPECT_EQ(resolution->start(), Ny(2026, 11, 24, 9));
  EXPECT_EQ(resolution->Deadline(), Ny(2026, 11, 24, 11));
  ASSERT_TRUE(tracker.Resolve(1, Ny(2026, 11, 24, 14)).ok());
  const auto history = tracker.History(1);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].metric, SlaMetric::kFirstResponse);
  EXPECT_EQ(history[1].metric, SlaMetric::kResolution);
  EXPECT_EQ(history[1].cycle, 1);
  EXPECT_FALSE(history[1].late);
  EXPECT_EQ(history[1].business_time, absl::Minutes(40));
  EXPECT_EQ(history[2].cycle, 2);
  EXPECT_TRUE(history[2].late);
  EXPECT_EQ(history[2].business_time, absl::Hours(4));
  const SlaAttainment* attainment = tracker.Attainment("tiered", SlaMetric::kResolution, "B");
  ASSERT_NE(attainment, nullptr);
  EXPECT_EQ(attainment->started, 2u);
  EXPECT_EQ(attainment->met, 1u);
  EXPECT_EQ(attainment->met_late, 1u);
  EXPECT_EQ(attainment->breached, 1u);
  EXPECT_EQ(attainment->open(), 0u);
  EXPECT_DOUBLE_EQ(attainment->met_ratio(), 0.5);
  // Reopening needs a resolved item.
  EXPECT_EQ(tracker.Reopen(1, Ny(2026, 11, 24, 15)).code(), absl::StatusCode::kOk);
  EXPECT_EQ(tracker.Reopen(1, Ny(2026, 11, 24, 15)).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SlaTrackerTest, AttainmentCountsMetRatioAndTimesToStop) {
  const absl::Time created = Ny(2026, 11, 23, 10, 30);
  SlaTracker tracker = MakeTracker(created);
  // Ten B items resolved after 10, 20, ... 100 business minutes: 2 h is met by all; first
  // response (30 min) met by the three answered within 30 minutes.
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(tracker.Start(i, "tiered", "B", "", created).ok());
  }
  for (int i = 1; i <= 10; ++i) {
    absl::StatusOr<absl::Time> at = Office().AddBusinessTime(created, absl::Minutes(10 * i));
    ASSERT_TRUE(at.ok());
    ASSERT_TRUE(tracker.Resolve(i, *at).ok());
  }
  const SlaAttainment* resolution = tracker.Attainment("tiered", SlaMetric::kResolution, "B");
  ASSERT_NE(resolution, nullptr);
  EXPECT_EQ(resolution->met, 10u);
  EXPECT_DOUBLE_EQ(resolution->met_ratio(), 1.0);
  EXPECT_NEAR(resolution->business_seconds.mean(), 55 * 60, 1e-6);
  EXPECT_NEAR(resolution->business_seconds.Quantile(0.5), 50 * 60, 0.02 * 50 * 60);
  // The one resolved after lunch took an hour longer in wall time.
  EXPECT_NEAR(resolution->wall_seconds.mean(), 61 * 60, 1e-6);
  const SlaAttainment* first = tracker.Attainment("tiered", SlaMetric::kFirstResponse, "B");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->met, 3u);
  EXPECT_EQ(first->met_late, 7u);
  EXPECT_EQ(first->breached, 7u);
  EXPECT_DOUBLE_EQ(first->met_ratio(), 0.3);
  EXPECT_EQ(tracker.Attainment("tiered", SlaMetric::kFirstResponse, "A"), nullptr);
  const auto all = tracker.AllAttainment();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].metric, SlaMetric::kFirstResponse);
  EXPECT_EQ(all[1].metric, SlaMetric::kResolution);
}

TEST_F(SlaTrackerTest, CancelSilencesEveryClock) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "A", "", created).ok());
  ASSERT_TRUE(tracker.Cancel(1, Ny(2026, 11, 23, 9, 1)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_cancelled 11-23 09:01:00",
                                          "#1 resolution/1 sla_cancelled 11-23 09:01:00"));
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 30, 9)).ok());
  EXPECT_THAT(Drain(tracker), IsEmpty());
  EXPECT_EQ(tracker.AgentResponded(1, Ny(2026, 11, 30, 9)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(tracker.Attainment("tiered", SlaMetric::kResolution, "A")->cancelled, 1u);
  EXPECT_EQ(tracker.pending_timer_count(), 0u);
  ASSERT_TRUE(tracker.Forget(1).ok());
  EXPECT_FALSE(tracker.Tracks(1));
  EXPECT_EQ(tracker.Forget(1).code(), absl::StatusCode::kNotFound);
}

TEST_F(SlaTrackerTest, ReplacingAPolicyRetargetsItsOpenItems) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "B", "", created).ok());
  SlaPolicy faster = Tiered();
  faster.targets["B"][SlaMetric::kResolution] = absl::Hours(1);
  SlaPolicy missing_b = Tiered();
  missing_b.targets.erase("B");
  EXPECT_EQ(tracker.ReplacePolicy(missing_b, Ny(2026, 11, 23, 9, 30)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->target(), absl::Hours(2));
  ASSERT_TRUE(tracker.ReplacePolicy(faster, Ny(2026, 11, 23, 9, 30)).ok());
  EXPECT_EQ(tracker.Clock(1, SlaMetric::kResolution)->Deadline(), Ny(2026, 11, 23, 10));
  SlaPolicy unknown = Tiered();
  unknown.name = "other";
  EXPECT_EQ(tracker.ReplacePolicy(unknown, Ny(2026, 11, 23, 9, 30)).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SlaTrackerTest, DeadlinesOnADaylightSavingDay) {
  CalendarMap calendars;
  calendars.emplace("daily", MustCalendar(R"({"tz": "America/New_York", "week": {
      "mon": ["08:00-20:00"], "tue": ["08:00-20:00"], "wed": ["08:00-20:00"],
      "thu": ["08:00-20:00"], "fri": ["08:00-20:00"], "sat": ["08:00-20:00"],
      "sun": ["08:00-20:00"]}})"));
  absl::StatusOr<SlaPolicy> policy = ParseSlaPolicyJson(R"({"name": "daily",
      "calendar": "daily", "targets": {"B": {"first_response": "2h", "resolution": "14h"}}})",
                                                        calendars);
  ASSERT_TRUE(policy.ok()) << policy.status();
  // Saturday 19:00 before spring forward: 1 h on Saturday, the rest on Sunday morning (EDT).
  const absl::Time created = Ny(2026, 3, 7, 19);
  SlaTracker tracker = MakeTracker(created, *policy);
  ASSERT_TRUE(tracker.Start(1, "daily", "B", "", created).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 3, 9, 20)).ok());
  EXPECT_THAT(Drain(tracker), ElementsAre("#1 first_response/1 sla_breached 03-08 09:00:00",
                                          "#1 resolution/1 sla_breached 03-09 09:00:00"));
  EXPECT_EQ(Ny(2026, 3, 8, 9) - created, absl::Hours(13));
}

// A warning's instant is the one the calendar gives for its threshold from the clock's start,
// however the tracker finds it: thresholds ending exactly at a closing time, open stretches across
// both daylight-saving changes, fractional starts and targets of a few nanoseconds.
TEST_F(SlaTrackerTest, WarningsAndBreachesAreWhereTheCalendarPutsTheirThresholds) {
  const BusinessCalendar night = MustCalendar(R"({"tz": "America/New_York",
      "week": {"sat": ["22:00-06:00"], "sun": ["22:00-06:00"]}})");
  struct Case {
    const BusinessCalendar* calendar;
    absl::Time start;
    absl::Duration target;
  };
  const std::vector<Case> cases = {
      // 10:00, 11:00, 12:00 (closing), 13:36, 14:00.
      {&Office(), Ny(2026, 11, 23, 9), absl::Hours(4)},
      // 11:15 ... 12:00, all in the morning's stretch.
      {&Office(), Ny(2026, 11, 23, 11), absl::Hours(1)},
      {&Office(), Ny(2026, 11, 23, 11, 59, 59) + absl::Nanoseconds(999'999'998),
       absl::Nanoseconds(3)},
      {&Office(), Ny(2026, 11, 20, 16, 10) + absl::Nanoseconds(123), absl::Hours(24)},
      {&Office(), Ny(2026, 11, 22, 3), absl::Minutes(7) + absl::Nanoseconds(1)},
      // Spring forward inside the night's stretch (7 real hours), and fall back (9).
      {&night, Ny(2027, 3, 13, 21), absl::Hours(6)},
      {&night, Ny(2027, 3, 13, 23, 30), absl::Hours(5) + absl::Nanoseconds(7)},
      {&night, Ny(2026, 10, 31, 22), absl::Hours(9)},
      {&night, Ny(2026, 10, 31, 23) + absl::Nanoseconds(1), absl::Hours(30)},
  };
  const std::vector<double> warn_at = {0.25, 0.5, 0.75, 0.9, 1.0};
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(i);
    SlaPolicy policy;
    policy.name = "p";
    policy.warn_at = warn_at;
    policy.targets["A"][SlaMetric::kResolution] = c.target;
    policy.settings(SlaMetric::kResolution).calendar = *c.calendar;
    SlaTracker tracker = MakeTracker(c.start, policy);
    ASSERT_TRUE(tracker.Start(1, "p", "A", "", c.start).ok());
    const SlaClock clock = *tracker.Clock(1, SlaMetric::kResolution);
    // Minute steps, as a host would advance.
    for (absl::Time now = c.start; now < c.start + absl::Hours(24 * 14); now += absl::Minutes(1)) {
      ASSERT_TRUE(tracker.AdvanceTo(now).ok());
    }
    const std::vector<SlaEvent> events = tracker.PollEvents();
    ASSERT_EQ(events.size(), warn_at.size() + 1);
    for (size_t k = 0; k < events.size(); ++k) {
      const bool breach = k == warn_at.size();
      const absl::Duration threshold = breach ? c.target : clock.Threshold(warn_at[k]);
      const absl::StatusOr<absl::Time> expected = c.calendar->AddBusinessTime(c.start, threshold);
      ASSERT_TRUE(expected.ok()) << expected.status();
      EXPECT_EQ(events[k].kind, breach ? SlaEvent::Kind::kBreached : SlaEvent::Kind::kWarning);
      EXPECT_EQ(events[k].due, *expected) << Describe(events[k]);
      EXPECT_FALSE(events[k].late) << Describe(events[k]);
    }
  }
}

// The next-response clock starts last but is visited between the other two, each clock with the
// calendar its metric counts on.
TEST_F(SlaTrackerTest, VisitClocksGivesEachClockInMetricOrderWithItsCalendar) {
  SlaPolicy policy = Tiered();
  policy.settings(SlaMetric::kNextResponse).calendar = BusinessCalendar::AlwaysOpen();
  policy.targets["A"][SlaMetric::kNextResponse] = absl::Minutes(10);
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created, policy);
  ASSERT_TRUE(tracker.Start(1, "tiered", "A", "", created).ok());
  ASSERT_TRUE(tracker.AgentResponded(1, Ny(2026, 11, 23, 9, 1)).ok());
  ASSERT_TRUE(tracker.CustomerMessaged(1, Ny(2026, 11, 23, 9, 2)).ok());
  std::vector<std::string> seen;
  tracker.VisitClocks(1, [&seen](const SlaClock& clock, const BusinessCalendar& calendar) {
    seen.push_back(std::string(SlaMetricName(clock.metric())) +
                   (calendar.IsAlwaysOpen() ? " always" : " office"));
  });
  EXPECT_THAT(seen,
              ElementsAre("first_response office", "next_response always", "resolution office"));
  std::vector<SlaMetric> metrics;
  for (const SlaClock& clock : tracker.Clocks(1)) metrics.push_back(clock.metric());
  EXPECT_THAT(metrics, ElementsAre(SlaMetric::kFirstResponse, SlaMetric::kNextResponse,
                                   SlaMetric::kResolution));
  bool visited = false;
  tracker.VisitClocks(2, [&visited](const SlaClock&, const BusinessCalendar&) { visited = true; });
  EXPECT_FALSE(visited);
}

TEST_F(SlaTrackerTest, RefusedCommandsChangeNothing) {
  const absl::Time created = Ny(2026, 11, 23, 9);
  SlaTracker tracker = MakeTracker(created);
  ASSERT_TRUE(tracker.Start(1, "tiered", "A", "", created).ok());
  ASSERT_TRUE(tracker.AdvanceTo(Ny(2026, 11, 23, 9, 1)).ok());
  const std::vector<SlaClock> clocks = tracker.Clocks(1);
  const absl::Time now = tracker.now();
  const absl::Time later = Ny(2026, 11, 23, 9, 30);
  const absl::Time earlier = Ny(2026, 11, 23, 9, 0, 30);

  EXPECT_EQ(tracker.Start(1, "tiered", "A", "", later).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(tracker.Start(2, "nope", "A", "", later).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tracker.Start(2, "tiered", "Z", "", later).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tracker.Start(2, "tiered", "A", "", later, later - absl::Minutes(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker.Start(2, "tiered", "A", "", earlier).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker.AgentResponded(9, later).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tracker.AgentResponded(1, earlier).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tracker.AgentResponded(1, earlier).message(), HasSubstr("before the tracker's"));
  EXPECT_EQ(tracker.Resume(1, "customer", later).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(tracker.Pause(1, "", later).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker.Reopen(1, later).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(tracker.Retarget(1, "Z", "", later).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tracker.AdvanceTo(earlier).code(), absl::StatusCode::kInvalidArgument);
  SlaPolicy invalid = Tiered();
  invalid.warn_at = {0.9, 0.5};
  EXPECT_EQ(tracker.AddPolicy(invalid).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker.AddPolicy(Tiered()).code(), absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(tracker.Clocks(1), clocks);
  EXPECT_EQ(tracker.now(), now);
  EXPECT_FALSE(tracker.Tracks(2));
  EXPECT_EQ(tracker.item_count(), 1u);
  // Nothing fired while refusing: the 09:02:30 warning is still ahead.
  EXPECT_THAT(Drain(tracker), IsEmpty());

  ASSERT_TRUE(tracker.Pause(1, "customer", Ny(2026, 11, 23, 9, 2)).ok());
  EXPECT_EQ(tracker.Pause(1, "customer", Ny(2026, 11, 23, 9, 3)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(tracker.now(), Ny(2026, 11, 23, 9, 2));
}

// ---------------------------------------------------------------------------------------------
// Exactly once, whatever the step size: random items and commands, replayed once advancing only
// to each command's instant and once in many small random steps; the event streams must be
// identical, and each threshold must have fired exactly when the clock's business time reached
// it.

struct Command {
  enum Kind { kStart, kRespond, kMessage, kPause, kResume, kResolve, kReopen, kRetarget, kCancel };
  absl::Time at;
  Kind kind;
  SlaItemId item;
  std::string text;  // priority or pause reason
};

std::vector<Command> RandomCommands(std::mt19937_64& rng, absl::Time from, int items) {
  std::vector<Command> commands;
  const std::vector<std::string> priorities = {"A", "B", "C", "L2"};
  const std::vector<std::string> reasons = {"customer", "third_party"};
  std::uniform_int_distribution<int64_t> start_s(0, 5 * 86400);
  std::uniform_int_distribution<int64_t> gap_s(1, 6 * 3600);
  std::uniform_int_distribution<int> pick(0, 99);
  for (int i = 0; i < items; ++i) {
    absl::Time t = from + absl::Seconds(start_s(rng));
    commands.push_back(
        {t, Command::kStart, static_cast<SlaItemId>(i), priorities[pick(rng) % priorities.size()]});
    const int steps = 1 + pick(rng) % 8;
    for (int s = 0; s < steps; ++s) {
      t += absl::Seconds(gap_s(rng)) / (1 + pick(rng) % 20);
      const int choice = pick(rng);
      Command command{t, Command::kRespond, static_cast<SlaItemId>(i), ""};
      if (choice < 20) {
        command.kind = Command::kRespond;
      } else if (choice < 35) {
        command.kind = Command::kMessage;
      } else if (choice < 50) {
        command.kind = Command::kPause;
        command.text = reasons[pick(rng) % 2];
      } else if (choice < 62) {
        command.kind = Command::kResume;
        command.text = reasons[pick(rng) % 2];
      } else if (choice < 75) {
        command.kind = Command::kResolve;
      } else if (choice < 83) {
        command.kind = Command::kReopen;
      } else if (choice < 95) {
        command.kind = Command::kRetarget;
        command.text = priorities[pick(rng) % priorities.size()];
      } else {
        command.kind = Command::kCancel;
      }
      commands.push_back(command);
    }
  }
  std::stable_sort(commands.begin(), commands.end(),
                   [](const Command& a, const Command& b) { return a.at < b.at; });
  return commands;
}

absl::Status Apply(SlaTracker& tracker, const Command& command) {
  switch (command.kind) {
    case Command::kStart:
      return tracker.Start(command.item, "tiered", command.text, "", command.at);
    case Command::kRespond:
      return tracker.AgentResponded(command.item, command.at);
    case Command::kMessage:
      return tracker.CustomerMessaged(command.item, command.at);
    case Command::kPause:
      return tracker.Pause(command.item, command.text, command.at);
    case Command::kResume:
      return tracker.Resume(command.item, command.text, command.at);
    case Command::kResolve:
      return tracker.Resolve(command.item, command.at);
    case Command::kReopen:
      return tracker.Reopen(command.item, command.at);
    case Command::kRetarget:
      return tracker.Retarget(command.item, command.text, "", command.at);
    case Command::kCancel:
      return tracker.Cancel(command.item, command.at);
  }
  return absl::InternalError("unknown command");
}

SlaPolicy PropertyPolicy() {
  SlaPolicy policy = Tiered();
  policy.targets["A"][SlaMetric::kNextResponse] = absl::Minutes(10);
  policy.targets["B"][SlaMetric::kNextResponse] = absl::Hours(1);
  policy.targets["B"][SlaMetric::kPeriodicUpdate] = absl::Hours(3);
  policy.targets["C"][SlaMetric::kPeriodicUpdate] = absl::Hours(8);
  policy.settings(SlaMetric::kResolution).paused_by = {"customer", "third_party"};
  policy.settings(SlaMetric::kNextResponse).paused_by = {"customer"};
  policy.settings(SlaMetric::kPeriodicUpdate).calendar = BusinessCalendar();
  return policy;
}

struct Replayed {
  std::vector<SlaEvent> events;
  std::vector<absl::StatusCode> codes;
  SlaTracker tracker;
};

Replayed Replay(const std::vector<Command>& commands, absl::Time origin, absl::Time end,
                std::mt19937_64* steps) {
  Replayed run{{}, {}, SlaTracker(SlaTracker::Options{.origin = origin})};
  EXPECT_TRUE(run.tracker.AddPolicy(PropertyPolicy()).ok());
  const auto advance_to = [&](absl::Time target) {
    if (steps != nullptr) {
      std::uniform_int_distribution<int64_t> step_ms(1, 40 * 60 * 1000);
      for (absl::Time t = run.tracker.now() + absl::Milliseconds(step_ms(*steps)); t < target;
           t += absl::Milliseconds(step_ms(*steps))) {
        EXPECT_TRUE(run.tracker.AdvanceTo(t).ok());
      }
    }
    EXPECT_TRUE(run.tracker.AdvanceTo(target).ok());
  };
  for (const Command& command : commands) {
    advance_to(command.at);
    run.codes.push_back(Apply(run.tracker, command).code());
  }
  advance_to(end);
  run.events = run.tracker.PollEvents();
  return run;
}

TEST(SlaTrackerPropertyTest, OneStepAndManyStepsGiveTheSameEventsExactlyOnce) {
  const absl::Time origin = Ny(2026, 11, 23, 0);
  const absl::Time end = Ny(2027, 1, 31, 0);
  std::mt19937_64 rng(20261123);
  const std::vector<Command> commands = RandomCommands(rng, origin, 2000);
  const Replayed coarse = Replay(commands, origin, end, nullptr);
  std::mt19937_64 step_rng(99);
  const Replayed fine = Replay(commands, origin, end, &step_rng);
  ASSERT_EQ(coarse.codes, fine.codes);
  ASSERT_EQ(coarse.events.size(), fine.events.size());
  for (size_t i = 0; i < coarse.events.size(); ++i) {
    ASSERT_EQ(coarse.events[i], fine.events[i])
        << i << ": " << Describe(coarse.events[i]) << " vs " << Describe(fine.events[i]);
  }
  // Both accepted and refused commands occur.
  EXPECT_GT(std::count(coarse.codes.begin(), coarse.codes.end(), absl::StatusCode::kOk), 4000);
  EXPECT_GT(std::count_if(coarse.codes.begin(), coarse.codes.end(),
                          [](absl::StatusCode c) { return c != absl::StatusCode::kOk; }),
            100);

  // Every threshold at most once per cycle, and none after the cycle ended.
  using CycleKey = std::tuple<SlaItemId, SlaMetric, uint16_t>;
  std::map<CycleKey, std::set<double>> thresholds;
  std::set<CycleKey> ended;
  int late = 0;
  for (const SlaEvent& event : coarse.events) {
    const CycleKey key{event.item, event.metric, event.cycle};
    ASSERT_FALSE(ended.contains(key)) << Describe(event);
    ASSERT_LE(event.due, event.at);
    if (event.kind == SlaEvent::Kind::kMet || event.kind == SlaEvent::Kind::kCancelled) {
      ended.insert(key);
      continue;
    }
    if (event.late) ++late;
    const double threshold = event.kind == SlaEvent::Kind::kBreached ? 2.0 : event.fraction;
    ASSERT_TRUE(thresholds[key].insert(threshold).second) << Describe(event);
  }
  EXPECT_GT(late, 0);
  // Every finished cycle fired exactly the thresholds its business time reached, unless it was
  // re-targeted (a retarget keeps what fired under the earlier target).
  std::set<SlaItemId> retargeted;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].kind == Command::kRetarget && coarse.codes[i] == absl::StatusCode::kOk) {
      retargeted.insert(commands[i].item);
    }
  }
  const std::vector<double> warn_at = PropertyPolicy().warn_at;
  int checked = 0;
  for (int item = 0; item < 2000; ++item) {
    if (retargeted.contains(item)) continue;
    for (const SlaCycleRecord& record : coarse.tracker.History(item)) {
      const CycleKey key{static_cast<SlaItemId>(item), record.metric, record.cycle};
      std::set<double> warnings = thresholds[key];
      const bool breach = warnings.erase(2.0) == 1;
      std::set<double> expected;
      for (double fraction : warn_at) {
        const absl::Duration threshold = absl::Nanoseconds(static_cast<int64_t>(std::llround(
            static_cast<long double>(absl::ToInt64Nanoseconds(record.target)) * fraction)));
        if (record.business_time >= threshold) expected.insert(fraction);
      }
      EXPECT_EQ(warnings, expected)
          << "item " << item << " " << SlaMetricName(record.metric) << "/" << record.cycle;
      // Breached exactly when late; late whenever the target was overrun, never before it was
      // reached (a stop at the target, in closed hours after the deadline, may be either).
      EXPECT_EQ(breach, record.late) << "item " << item;
      if (record.business_time > record.target) {
        EXPECT_TRUE(breach) << "item " << item;
      }
      if (record.business_time < record.target) {
        EXPECT_FALSE(breach) << "item " << item;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 2000);
}

// ---------------------------------------------------------------------------------------------
// Saved state: a tracker loaded from another's state, anywhere in a random command stream,
// behaves exactly as the original from there on.

std::string SaveTracker(const SlaTracker& tracker) {
  internal::ByteWriter out;
  internal::StateCodec::Save(tracker, out);
  return std::string(out.bytes());
}

absl::Status LoadTracker(SlaTracker& tracker, std::string_view bytes) {
  internal::ByteReader in(bytes);
  absl::Status status = internal::StateCodec::Load(tracker, in);
  if (status.ok() && !in.done()) return absl::InvalidArgumentError("trailing bytes");
  return status;
}

SlaTracker PropertyTracker(absl::Time origin, bool other_policy_first) {
  SlaTracker tracker(SlaTracker::Options{.origin = origin});
  if (other_policy_first) {
    SlaPolicy other = Tiered();
    other.name = "other";
    other.settings(SlaMetric::kResolution).paused_by = {"legal"};
    EXPECT_TRUE(tracker.AddPolicy(other).ok());
  }
  EXPECT_TRUE(tracker.AddPolicy(PropertyPolicy()).ok());
  return tracker;
}

// Applies `command`, and forgets some items once cancelled or resolved (reusing their slots).
absl::StatusCode ApplyAndForget(SlaTracker& tracker, const Command& command) {
  const absl::Status status = Apply(tracker, command);
  if (status.ok() && command.item % 3 == 0 &&
      (command.kind == Command::kCancel || command.kind == Command::kResolve)) {
    EXPECT_TRUE(tracker.Forget(command.item).ok());
  }
  return status.code();
}

void ExpectSameObservableState(const SlaTracker& loaded, const SlaTracker& original, int items) {
  EXPECT_EQ(loaded.now(), original.now());
  EXPECT_EQ(loaded.NextDue(), original.NextDue());
  EXPECT_EQ(loaded.NextStop(), original.NextStop());
  EXPECT_EQ(loaded.item_count(), original.item_count());
  EXPECT_EQ(loaded.open_clock_count(), original.open_clock_count());
  EXPECT_EQ(loaded.pending_timer_count(), original.pending_timer_count());
  for (int item = 0; item < items; ++item) {
    ASSERT_EQ(loaded.Clocks(item), original.Clocks(item)) << item;
    const std::span<const SlaCycleRecord> a = loaded.History(item);
    const std::span<const SlaCycleRecord> b = original.History(item);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << item;
  }
  const auto a = loaded.AllAttainment();
  const auto b = original.AllAttainment();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].policy, b[i].policy);
    EXPECT_EQ(a[i].metric, b[i].metric);
    EXPECT_EQ(a[i].priority, b[i].priority);
    const SlaAttainment& x = *a[i].attainment;
    const SlaAttainment& y = *b[i].attainment;
    EXPECT_EQ(std::tie(x.started, x.met, x.met_late, x.breached, x.cancelled),
              std::tie(y.started, y.met, y.met_late, y.breached, y.cancelled));
    EXPECT_EQ(x.business_seconds.count(), y.business_seconds.count());
    EXPECT_EQ(x.business_seconds.Quantile(0.9), y.business_seconds.Quantile(0.9));
    EXPECT_EQ(x.wall_seconds.sum(), y.wall_seconds.sum());
    EXPECT_EQ(x.wall_seconds.Quantile(0.5), y.wall_seconds.Quantile(0.5));
  }
}

TEST(SlaTrackerStateTest, ALoadedTrackerBehavesAsTheOriginal) {
  const absl::Time origin = Ny(2026, 11, 23, 0);
  const absl::Time end = Ny(2027, 1, 31, 0);
  constexpr int kItems = 800;
  std::mt19937_64 rng(7);
  const std::vector<Command> commands = RandomCommands(rng, origin, kItems);
  for (const size_t split : {size_t{0}, commands.size() / 4, commands.size() / 2,
                             commands.size() * 3 / 4, commands.size()}) {
    for (const bool other_policy_first : {false, true}) {
      SCOPED_TRACE(absl::StrCat("split ", split, other_policy_first ? ", policies reordered" : ""));
      SlaTracker original = PropertyTracker(origin, false);
      for (size_t i = 0; i < split; ++i) {
        ASSERT_TRUE(original.AdvanceTo(commands[i].at).ok());
        ApplyAndForget(original, commands[i]);
      }
      // Events not yet polled are part of the state.
      const std::string saved = SaveTracker(original);
      SlaTracker loaded = PropertyTracker(origin, other_policy_first);
      ASSERT_TRUE(LoadTracker(loaded, saved).ok()) << LoadTracker(loaded, saved);
      if (!other_policy_first) {
        EXPECT_EQ(SaveTracker(loaded), saved);
      }
      ExpectSameObservableState(loaded, original, kItems);

      std::vector<absl::StatusCode> original_codes, loaded_codes;
      for (size_t i = split; i < commands.size(); ++i) {
        ASSERT_TRUE(original.AdvanceTo(commands[i].at).ok());
        ASSERT_TRUE(loaded.AdvanceTo(commands[i].at).ok());
        original_codes.push_back(ApplyAndForget(original, commands[i]));
        loaded_codes.push_back(ApplyAndForget(loaded, commands[i]));
      }
      ASSERT_TRUE(original.AdvanceTo(end).ok());
      ASSERT_TRUE(loaded.AdvanceTo(end).ok());
      EXPECT_EQ(loaded_codes, original_codes);
      const std::vector<SlaEvent> original_events = original.PollEvents();
      const std::vector<SlaEvent> loaded_events = loaded.PollEvents();
      ASSERT_EQ(loaded_events.size(), original_events.size());
      for (size_t i = 0; i < original_events.size(); ++i) {
        ASSERT_EQ(loaded_events[i], original_events[i])
            << i << ": " << Describe(loaded_events[i]) << " vs " << Describe(original_events[i]);
      }
      EXPECT_GT(original_events.size(), split == commands.size() ? 0u : 500u);
      ExpectSameObservableState(loaded, original, kItems);
      if (!other_policy_first) {
        EXPECT_EQ(SaveTracker(loaded), SaveTracker(original));
      }
    }
  }
}

TEST(SlaTrackerStateTest, APolicyTheTrackerLacksIsAnError) {
  const absl::Time origin = Ny(2026, 11, 23, 0);
  SlaTracker original = PropertyTracker(origin, true);
  ASSERT_TRUE(original.Start(1, "other", "A", "", origin + absl::Hours(9)).ok());
  SlaTracker lacking = PropertyTracker(origin, false);
  ASSERT_TRUE(lacking.Start(2, "tiered", "B", "", origin + absl::Hours(10)).ok());
  const absl::Status status = LoadTracker(lacking, SaveTracker(original));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no SLA policy \"other\""));
  EXPECT_TRUE(lacking.Tracks(2));
  EXPECT_FALSE(lacking.Tracks(1));
}

// Truncated state is refused and changes nothing; corrupt bytes never make the load read or write
// out of bounds (what they change within the structure is the engine snapshot's checksum's to
// catch).
TEST(SlaTrackerStateTest, CorruptStateIsRefusedOrStaysInBounds) {
  const absl::Time origin = Ny(2026, 11, 23, 0);
  std::mt19937_64 rng(3);
  const std::vector<Command> commands = RandomCommands(rng, origin, 40);
  SlaTracker original = PropertyTracker(origin, false);
  for (size_t i = 0; i < commands.size() / 2; ++i) {
    ASSERT_TRUE(original.AdvanceTo(commands[i].at).ok());
    ApplyAndForget(original, commands[i]);
  }
  const std::string saved = SaveTracker(original);
  SlaTracker target = PropertyTracker(origin, false);
  ASSERT_TRUE(target.Start(999, "tiered", "A", "", origin).ok());
  const std::string before = SaveTracker(target);
  for (size_t length = 0; length < saved.size(); ++length) {
    ASSERT_FALSE(LoadTracker(target, saved.substr(0, length)).ok()) << length;
  }
  EXPECT_EQ(SaveTracker(target), before);
  int refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string corrupt = saved;
    corrupt[rng() % corrupt.size()] ^= static_cast<char>(1 + rng() % 255);
    SlaTracker loaded = PropertyTracker(origin, false);
    refused += LoadTracker(loaded, corrupt).ok() ? 0 : 1;
  }
  EXPECT_GT(refused, 500);
}

}  // namespace
}  // namespace omniroute
