#include "omniroute/escalation.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sla_test_support.h"

namespace omniroute {
namespace {

using ::testing::HasSubstr;
using Trigger = EscalationTriggerKind;
using Action = EscalationActionKind;

// L1 (4 business hours) → L2 (8 business hours, priority up, needs "senior") → L3 (notify).
EscalationPolicySpec Support() {
  EscalationPolicySpec spec;
  spec.name = "support";
  spec.levels = {
      {.name = "L1", .time_limit = absl::Hours(4), .calendar = "office"},
      {.name = "L2",
       .time_limit = absl::Hours(8),
       .calendar = "office",
       .actions = {{.kind = Action::kRaisePriorityBy, .amount = 1},
                   {.kind = Action::kRequireSkill, .amount = 1, .target = "senior"}}},
      {.name = "L3", .actions = {{.kind = Action::kNotify, .target = "emergency_group"}}}};
  spec.rules = {
      {.trigger = {.kind = Trigger::kLevelTimeLimit}},
      {.trigger = {.kind = Trigger::kSlaBreached, .metric = SlaMetric::kResolution}, .to_level = 2},
      {.trigger = {.kind = Trigger::kTag, .value = "upset"}, .from_level = 0, .to_level = 1},
      {.trigger = {.kind = Trigger::kSlaWarning, .fraction = 0.75}, .from_level = 0},
      {.trigger = {.kind = Trigger::kRejectedOffers, .count = 3}, .from_level = 0},
      {.trigger = {.kind = Trigger::kManual}},
  };
  return spec;
}

absl::flat_hash_map<std::string, BusinessCalendar> Calendars() {
  absl::flat_hash_map<std::string, BusinessCalendar> calendars;
  calendars.emplace("office", sla_test::Office());
  return calendars;
}

TEST(EscalationTest, TimeLimitsCountOnTheLevelsCalendar) {
  const EscalationPolicy policy = *EscalationPolicy::Create(Support());
  const auto calendars = Calendars();
  // Entered L1 on a Friday at 15:00 New York: 4 business hours end Monday 11:00 (09:00-17:00).
  const absl::Time friday_3pm = sla_test::Ny(2026, 11, 20, 15, 0);
  EXPECT_EQ(*policy.LevelDeadline(0, friday_3pm, calendars), sla_test::Ny(2026, 11, 23, 11, 0));
  EXPECT_EQ(*policy.LevelDeadline(2, friday_3pm, calendars), absl::InfiniteFuture());
  EscalationFacts facts{.level = 0, .level_entered = friday_3pm};
  EXPECT_FALSE(policy.Evaluate(facts, sla_test::Ny(2026, 11, 23, 10, 59), calendars)->has_value());
  const std::optional<EscalationStep> step =
      *policy.Evaluate(facts, sla_test::Ny(2026, 11, 23, 11, 0), calendars);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(*step, (EscalationStep{0, 1, 0, Trigger::kLevelTimeLimit}));
  // Without the calendar the deadline cannot be computed.
  EXPECT_EQ(policy.Evaluate(facts, friday_3pm, {}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(policy.Evaluate({.level = 5}, friday_3pm, calendars).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EscalationTest, AGivenLevelDeadlineStandsInForTheCalendars) {
  const EscalationPolicy policy = *EscalationPolicy::Create(Support());
  const absl::Time entered = sla_test::Ny(2026, 11, 20, 15, 0);
  const absl::Time deadline = sla_test::Ny(2026, 11, 23, 11, 0);
  const EscalationFacts facts{.level = 0, .level_entered = entered};
  EXPECT_FALSE(
      policy.EvaluateWithDeadline(facts, deadline - absl::Seconds(1), deadline)->has_value());
  EXPECT_EQ(*policy.EvaluateWithDeadline(facts, deadline, deadline),
            (EscalationStep{0, 1, 0, Trigger::kLevelTimeLimit}));
  // The deadline is taken as given, whatever the calendars would say.
  EXPECT_EQ(*policy.EvaluateWithDeadline(facts, entered, entered),
            (EscalationStep{0, 1, 0, Trigger::kLevelTimeLimit}));
  EXPECT_FALSE(policy.EvaluateWithDeadline(facts, deadline, absl::InfiniteFuture())->has_value());
  EXPECT_EQ(policy.EvaluateWithDeadline({.level = 3}, entered, deadline).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.EvaluateWithDeadline({.level = -1}, entered, deadline).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EscalationTest, APolicyTellsWhichFactsItsRulesRead) {
  const EscalationPolicy support = *EscalationPolicy::Create(Support());
  EXPECT_TRUE(support.ReadsSla());
  EXPECT_TRUE(support.ReadsSlaProgress());  // the 75 % warning
  EXPECT_TRUE(support.ReadsTags());
  EXPECT_FALSE(support.ReadsTier());
  EXPECT_FALSE(support.ReadsQueueKpis());

  EscalationPolicySpec breach_only{.name = "breach", .levels = {{.name = "L1"}, {.name = "L2"}}};
  breach_only.rules = {{.trigger = {.kind = Trigger::kSlaBreached}}};
  const EscalationPolicy breach = *EscalationPolicy::Create(breach_only);
  EXPECT_TRUE(breach.ReadsSla());
  EXPECT_FALSE(breach.ReadsSlaProgress());
  EXPECT_FALSE(breach.ReadsTags());

  EscalationPolicySpec kpis{.name = "kpis", .levels = {{.name = "L1"}, {.name = "L2"}}};
  kpis.rules = {{.trigger = {.kind = Trigger::kServiceLevelBelow, .fraction = 0.8}},
                {.trigger = {.kind = Trigger::kTier, .value = "gold"}},
                {.trigger = {.kind = Trigger::kSlaRemainingBelow, .duration = absl::Minutes(1)}}};
  const EscalationPolicy queue = *EscalationPolicy::Create(kpis);
  EXPECT_TRUE(queue.ReadsQueueKpis());
  EXPECT_TRUE(queue.ReadsTier());
  EXPECT_TRUE(queue.ReadsSla());
  EXPECT_TRUE(queue.ReadsSlaProgress());
  EXPECT_FALSE(queue.ReadsTags());
}

TEST(EscalationTest, TheFirstRuleThatHoldsWins) {
  const EscalationPolicy policy = *EscalationPolicy::Create(Support());
  const auto calendars = Calendars();
  const absl::Time entered = sla_test::Ny(2026, 11, 23, 9, 0);
  const absl::Time now = entered + absl::Minutes(5);
  const auto evaluate = [&](EscalationFacts facts) {
    facts.level_entered = entered;
    return *policy.Evaluate(facts, now, calendars);
  };
  EXPECT_FALSE(evaluate({}).has_value());
  // A breached resolution clock jumps to L3 from anywhere.
  EXPECT_EQ(evaluate({.sla = {{SlaMetric::kResolution, 1.2, true, absl::ZeroDuration()}}}),
            (EscalationStep{0, 2, 1, Trigger::kSlaBreached}));
  EXPECT_EQ(evaluate({.level = 1, .sla = {{SlaMetric::kResolution, 1.2, true}}}),
            (EscalationStep{1, 2, 1, Trigger::kSlaBreached}));
  // A breach of another metric is not the resolution breach; it passes the 75 % warning.
  EXPECT_EQ(evaluate({.sla = {{SlaMetric::kFirstResponse, 1.2, true}}})->rule, 3);
  // An upset customer goes to L2; so does a 75 % warning on any metric, or 3 rejections.
  EXPECT_EQ(evaluate({.tags = {"vip", "upset"}})->rule, 2);
  EXPECT_EQ(evaluate({.sla = {{SlaMetric::kFirstResponse, 0.75, false}}})->rule, 3);
  EXPECT_FALSE(evaluate({.sla = {{SlaMetric::kFirstResponse, 0.74, false}}}).has_value());
  EXPECT_EQ(evaluate({.rejected_offers = 3})->rule, 4);
  EXPECT_FALSE(evaluate({.rejected_offers = 2}).has_value());
  // Rules from level 0 do not apply at level 1; manual escalation moves one level up.
  EXPECT_FALSE(evaluate({.level = 1, .tags = {"upset"}}).has_value());
  EXPECT_EQ(evaluate({.level = 1, .manual = true}), (EscalationStep{1, 2, 5, Trigger::kManual}));
  // Nothing moves past the last level.
  EXPECT_FALSE(evaluate({.level = 2, .manual = true}).has_value());
}

TEST(EscalationTest, QueueTierAndRemainingTimeTriggersAndDeescalation) {
  EscalationPolicySpec spec;
  spec.name = "q";
  spec.levels = {{.name = "normal"}, {.name = "borrow"}, {.name = "vip"}};
  spec.rules = {
      {.trigger = {.kind = Trigger::kExpectedWaitAbove, .duration = absl::Minutes(10)},
       .from_level = 0},
      {.trigger = {.kind = Trigger::kServiceLevelBelow, .fraction = 0.8}, .from_level = 0},
      {.trigger = {.kind = Trigger::kTier, .value = "gold"}, .to_level = 2},
      {.trigger = {.kind = Trigger::kSlaRemainingBelow,
                   .metric = SlaMetric::kFirstResponse,
                   .duration = absl::Minutes(2)},
       .from_level = 0},
      {.trigger = {.kind = Trigger::kManual}, .from_level = 2, .to_level = 0, .deescalate = true},
      {.trigger = {.kind = Trigger::kTransfers, .count = 2}, .from_level = 1, .to_level = 0}};
  // The last rule leads down without saying so.
  absl::Status down = EscalationPolicy::Create(spec).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(down.message(), HasSubstr("rules[5].to_level"));
  spec.rules.back().deescalate = true;
  const EscalationPolicy policy = *EscalationPolicy::Create(spec);
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  const auto evaluate = [&](EscalationFacts facts) { return *policy.Evaluate(facts, t, {}); };
  EXPECT_EQ(evaluate({.queue_expected_wait = absl::Minutes(11)})->rule, 0);
  EXPECT_FALSE(evaluate({.queue_expected_wait = absl::Minutes(10)}).has_value());
  EXPECT_EQ(evaluate({.queue_service_level = 0.79})->rule, 1);
  EXPECT_EQ(evaluate({.tier = "gold"}), (EscalationStep{0, 2, 2, Trigger::kTier}));
  EXPECT_EQ(evaluate({.sla = {{SlaMetric::kFirstResponse, 0.9, false, absl::Seconds(90)}}})->rule,
            3);
  // A breached clock has no remaining time to fall below.
  EXPECT_FALSE(evaluate({.sla = {{SlaMetric::kFirstResponse, 1.1, true, absl::ZeroDuration()}}})
                   .has_value());
  EXPECT_EQ(evaluate({.level = 2, .manual = true}), (EscalationStep{2, 0, 4, Trigger::kManual}));
  EXPECT_EQ(evaluate({.level = 1, .transfers = 2}), (EscalationStep{1, 0, 5, Trigger::kTransfers}));
}

TEST(EscalationTest, ValidationNamesThePath) {
  const auto rejected = [](auto mutate, const std::string& path,
                           const EscalationNames& names = {}) {
    EscalationPolicySpec spec = Support();
    mutate(spec);
    absl::Status status = EscalationPolicy::Create(spec, names).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(status.message(), HasSubstr(path));
  };
  rejected([](EscalationPolicySpec& s) { s.name.clear(); }, "name");
  rejected([](EscalationPolicySpec& s) { s.levels.clear(); }, "levels");
  rejected([](EscalationPolicySpec& s) { s.levels[1].name = "L1"; }, "levels[1].name");
  rejected([](EscalationPolicySpec& s) { s.levels[0].time_limit = absl::Hours(-1); },
           "levels[0].time_limit");
  rejected([](EscalationPolicySpec& s) { s.levels[1].actions[0].amount = 0; },
           "levels[1].actions[0].amount");
  rejected([](EscalationPolicySpec& s) { s.levels[1].actions[1].amount = 101; },
           "levels[1].actions[1].amount");
  rejected([](EscalationPolicySpec& s) { s.levels[2].actions[0].target.clear(); },
           "levels[2].actions[0].target");
  rejected(
      [](EscalationPolicySpec& s) {
        s.levels[2].actions.push_back({.kind = Action::kScheduleFollowUp, .target = "callbacks"});
      },
      "levels[2].actions[1].after");
  rejected([](EscalationPolicySpec& s) { s.rules[3].trigger.fraction = 1.5; },
           "rules[3].trigger.fraction");
  rejected([](EscalationPolicySpec& s) { s.rules[4].trigger.count = 0; }, "rules[4].trigger.count");
  rejected([](EscalationPolicySpec& s) { s.rules[2].trigger.value.clear(); },
           "rules[2].trigger.value");
  rejected([](EscalationPolicySpec& s) { s.rules[1].to_level = 3; }, "rules[1].to_level");
  rejected([](EscalationPolicySpec& s) { s.rules[2].from_level = -1; }, "rules[2].from_level");
  rejected([](EscalationPolicySpec& s) { s.rules[2].to_level = 0; }, "rules[2].to_level");
  rejected(
      [](EscalationPolicySpec& s) {
        s.rules[0].from_level = 2;  // L3 has no time limit
      },
      "rules[0].trigger");
  // With only the tag rule, nothing leads to L3.
  rejected(
      [](EscalationPolicySpec& s) {
        s.rules = {{.trigger = {.kind = Trigger::kTag, .value = "upset"}, .to_level = 1}};
      },
      "levels[2]");
  // Names the host does not know.
  const EscalationNames strict{
      .queue_exists = [](std::string_view) { return false; },
      .skill_exists = [](std::string_view name) { return name == "senior"; },
      .calendar_exists = [](std::string_view name) { return name == "office"; },
      .agent_exists = [](std::string_view) { return false; }};
  EXPECT_TRUE(EscalationPolicy::Create(Support(), strict).ok());
  rejected([](EscalationPolicySpec& s) { s.levels[1].actions[1].target = "junior"; },
           "levels[1].actions[1].target", strict);
  rejected([](EscalationPolicySpec& s) { s.levels[0].calendar = "moon"; }, "levels[0].calendar",
           strict);
  rejected(
      [](EscalationPolicySpec& s) {
        s.levels[2].actions.push_back({.kind = Action::kMoveToQueue, .target = "tier2"});
      },
      "levels[2].actions[1].target", strict);
  rejected(
      [](EscalationPolicySpec& s) {
        s.levels[2].actions.push_back({.kind = Action::kSetPreferredAgent, .target = "ann"});
      },
      "levels[2].actions[1].target", strict);
}

TEST(EscalationTest, NamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(Trigger::kManual); ++k) {
    EXPECT_EQ(*ParseEscalationTriggerKind(EscalationTriggerKindName(static_cast<Trigger>(k))),
              static_cast<Trigger>(k));
  }
  for (int k = 0; k <= static_cast<int>(Action::kScheduleFollowUp); ++k) {
    EXPECT_EQ(*ParseEscalationActionKind(EscalationActionKindName(static_cast<Action>(k))),
              static_cast<Action>(k));
  }
  EXPECT_FALSE(ParseEscalationTriggerKind("late").ok());
  EXPECT_FALSE(ParseEscalationActionKind("page").ok());
}

}  // namespace
}  // namespace omniroute
