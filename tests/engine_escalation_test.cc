// Escalation through the engine: a level's actions taken together, escalations at one instant,
// and the instants SLA-progress triggers wait for.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Monday 2026-11-23 00:00 UTC, the engines' origin.
const absl::Time kMonday = absl::FromCivil(absl::CivilSecond(2026, 11, 23), absl::UTCTimeZone());

absl::Time At(absl::Duration since_monday) { return kMonday + since_monday; }

std::unique_ptr<Engine> Make(std::string_view json) {
  const std::string origin = absl::FormatTime(absl::RFC3339_full, kMonday, absl::UTCTimeZone());
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      EngineFromJson(absl::StrReplaceAll(std::string(json), {{"$ORIGIN", origin}}));
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

void AddAvailable(Engine& e, const std::string& id, std::vector<std::string> queues,
                  std::map<std::string, int> skills = {}, absl::Time at = kMonday) {
  EngineAgentSpec spec{.id = id, .skills = std::move(skills), .capacity = {{"chat", 1}}};
  for (std::string& queue : queues) spec.queues.push_back({.queue = std::move(queue)});
  ASSERT_TRUE(e.AddAgent(spec, at).ok());
  ASSERT_TRUE(e.SetAgentState(id, AgentState::kAvailable, at).ok());
}

// "kind item agent queue" for each event about `item`.
std::vector<std::string> Story(Engine& e, std::string_view item) {
  std::vector<std::string> story;
  for (const EngineEvent& event : e.PollEvents()) {
    if (event.item != item) continue;
    story.push_back(absl::StrCat(std::string(EngineEventKindName(event.kind)), " ", event.item, " ",
                                 event.agent.empty() ? "-" : event.agent, " ", event.queue));
  }
  return story;
}

// The instants at which `item` was escalated.
std::vector<absl::Time> EscalatedAt(Engine& e, std::string_view item) {
  std::vector<absl::Time> instants;
  for (const EngineEvent& event : e.PollEvents()) {
    if (event.kind == EngineEventKind::kEscalated && event.item == item) {
      instants.push_back(event.at);
    }
  }
  return instants;
}

// A manual escalation into L2, whose actions are `actions` (a JSON list), from queue "q" to
// whatever they say; q2 gives preferred agents 60 s of first refusal.
constexpr std::string_view kTwoQueues = R"({
  "origin": "$ORIGIN", "skills": ["senior"],
  "escalation": {"name": "e", "levels": [{"name": "L1"}, {"name": "L2", "actions": $ACTIONS}],
                 "rules": [{"trigger": {"kind": "manual"}}]},
  "queues": [{"name": "q"}, {"name": "q2", "preferred_agent_window": "60s"}]})";

std::unique_ptr<Engine> TwoQueues(std::string_view actions) {
  return Make(absl::StrReplaceAll(std::string(kTwoQueues), {{"$ACTIONS", std::string(actions)}}));
}

// The two orders of `first` and `second` as a level's actions (JSON lists).
std::vector<std::string> BothOrders(std::string_view first, std::string_view second) {
  return {absl::StrCat("[", std::string(first), ", ", std::string(second), "]"),
          absl::StrCat("[", std::string(second), ", ", std::string(first), "]")};
}

constexpr std::string_view kMoveToQ2 = R"({"kind": "move_to_queue", "target": "q2"})";
const absl::Time kEscalatedAt = At(absl::Seconds(1));

// Item "i" submitted to q and escalated into L2 at kEscalatedAt; the events before the
// escalation are dropped.
void SubmitAndEscalate(Engine& e) {
  ASSERT_TRUE(e.Submit({.id = "i", .queue = "q", .channel = "chat"}, kEscalatedAt).ok());
  (void)e.PollEvents();
  ASSERT_TRUE(e.Escalate("i", kEscalatedAt).ok());
}

TEST(EngineEscalationTest, AMovedItemIsRoutedUnderTheSkillTheSameLevelRequires) {
  for (const std::string& actions :
       BothOrders(kMoveToQ2, R"({"kind": "require_skill", "target": "senior", "amount": 3})")) {
    SCOPED_TRACE(actions);
    std::unique_ptr<Engine> e = TwoQueues(actions);
    ASSERT_NE(e, nullptr);
    AddAvailable(*e, "plain", {"q2"});
    AddAvailable(*e, "senior", {"q2"}, {{"senior", 2}});
    SubmitAndEscalate(*e);
    EXPECT_THAT(Story(*e, "i"),
                ElementsAre("escalated i - q", "transferred i - q2", "queued i - q2"));
    AddAvailable(*e, "expert", {"q2"}, {{"senior", 3}}, kEscalatedAt);
    EXPECT_THAT(Story(*e, "i"), ElementsAre("offered i expert q2"));
  }
}

TEST(EngineEscalationTest, AMovedItemIsFirstOfferedToThePreferredAgentTheSameLevelNames) {
  for (const std::string& actions :
       BothOrders(kMoveToQ2, R"({"kind": "set_preferred_agent", "target": "boss"})")) {
    SCOPED_TRACE(actions);
    std::unique_ptr<Engine> e = TwoQueues(actions);
    ASSERT_NE(e, nullptr);
    AddAvailable(*e, "plain", {"q2"});
    AddAvailable(*e, "boss", {"q2"});
    SubmitAndEscalate(*e);
    // plain has waited longest, but boss has first refusal: one offer, to boss.
    EXPECT_THAT(Story(*e, "i"),
                ElementsAre("escalated i - q", "transferred i - q2", "offered i boss q2"));
    absl::StatusOr<EngineAgentView> plain = e->Agent("plain");
    ASSERT_TRUE(plain.ok());
    EXPECT_THAT(plain->offered, IsEmpty());
  }
}

// Two items breach together and their escalation moves them to q2. Moving the first frees its
// agent, who takes the second from q; the second's own escalation then sees it assigned and takes
// it away as a transfer, leaving the agent and the item in agreement.
TEST(EngineEscalationTest, EscalationsAtOneInstantSeeWhatTheOnesBeforeThemRouted) {
  std::unique_ptr<Engine> e = Make(R"({
    "origin": "$ORIGIN",
    "sla_policies": [{"name": "p", "targets": {"C": {"first_response": "10m"}}}],
    "escalation": {"name": "e",
                   "levels": [{"name": "L1"},
                              {"name": "L2", "actions": [{"kind": "move_to_queue",
                                                          "target": "q2"}]}],
                   "rules": [{"trigger": {"kind": "sla_breached"}}]},
    "queues": [{"name": "q", "sla_policy": "p", "auto_accept": true}, {"name": "q2"}]})");
  ASSERT_NE(e, nullptr);
  AddAvailable(*e, "a", {"q"});
  ASSERT_TRUE(e->Submit({.id = "busy", .queue = "q", .channel = "chat"}, kMonday).ok());
  ASSERT_TRUE(e->Submit({.id = "i", .queue = "q", .channel = "chat"}, kMonday).ok());
  (void)e->PollEvents();
  ASSERT_TRUE(e->AdvanceTo(At(absl::Minutes(11))).ok());
  EXPECT_THAT(Story(*e, "i"),
              ElementsAre("sla_breached i - q", "offered i a q", "assigned i a q",
                          "escalated i a q", "transferred i a q2", "queued i - q2"));
  absl::StatusOr<EngineItemView> i = e->Item("i");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->state, ItemState::kQueued);
  EXPECT_EQ(i->queue, "q2");
  EXPECT_EQ(i->agent, "");
  absl::StatusOr<EngineAgentView> a = e->Agent("a");
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->assigned, IsEmpty());
  EXPECT_EQ(e->Queue("q2")->waiting, 2u);

  const absl::Time later = At(absl::Minutes(12));
  AddAvailable(*e, "b", {"q2"}, {}, later);
  absl::StatusOr<EngineAgentView> b = e->Agent("b");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->offered.size(), 1u);
  const std::string& first = b->offered.front();
  ASSERT_TRUE(e->Accept(first, "b", later).ok());
  EXPECT_TRUE(e->Resolve(first, later).ok());
}

// Resolution target 1000 s; escalate once less than 300 s is left.
constexpr std::string_view kRemainingBelow = R"({
  "origin": "$ORIGIN",
  "sla_policies": [{"name": "p", "targets": {"C": {"resolution": 1000}}}],
  "escalation": {"name": "e", "levels": [{"name": "L1"}, {"name": "L2"}],
                 "rules": [{"trigger": {"kind": "sla_remaining_below", "duration": 300}}]},
  "queues": [{"name": "q", "sla_policy": "p", "auto_accept": true}]})";

TEST(EngineEscalationTest, RemainingTimeBelowALimitWaitsForAPausedClock) {
  for (const bool paused : {false, true}) {
    SCOPED_TRACE(paused ? "paused from 500 s to 800 s" : "never paused");
    std::unique_ptr<Engine> e = Make(kRemainingBelow);
    ASSERT_NE(e, nullptr);
    AddAvailable(*e, "a", {"q"});
    ASSERT_TRUE(e->Submit({.id = "i", .queue = "q", .channel = "chat"}, kMonday).ok());
    if (paused) {
      ASSERT_TRUE(e->Pause("i", At(absl::Seconds(500)), "customer").ok());
      ASSERT_TRUE(e->Resume("i", At(absl::Seconds(800)), "customer").ok());
    }
    ASSERT_TRUE(e->AdvanceTo(At(absl::Seconds(1250))).ok());
    // 700 s counted (less than 300 s left) one nanosecond after 700 s, or after 1000 s with the
    // pause's 300 s.
    const absl::Duration counted = absl::Seconds(paused ? 1000 : 700) + absl::Nanoseconds(1);
    EXPECT_THAT(EscalatedAt(*e, "i"), ElementsAre(At(counted)));
  }
}

TEST(EngineEscalationTest, RemainingTimeBelowALimitReachedAtClosingFiresWhenTheCalendarOpens) {
  std::unique_ptr<Engine> e = Make(R"({
    "origin": "$ORIGIN",
    "calendars": {"office": {"tz": "UTC",
                             "week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]}}},
    "sla_policies": [{"name": "p", "calendar": "office",
                      "targets": {"C": {"resolution": "2h"}}}],
    "escalation": {"name": "e", "levels": [{"name": "L1"}, {"name": "L2"}],
                   "rules": [{"trigger": {"kind": "sla_remaining_below", "duration": "1h"}}]},
    "queues": [{"name": "q", "sla_policy": "p"}]})");
  ASSERT_NE(e, nullptr);
  // Submitted Monday 16:00: one hour is counted at the 17:00 close, so exactly one hour is left
  // all night; less is left as soon as the office opens on Tuesday.
  ASSERT_TRUE(e->Submit({.id = "i", .queue = "q", .channel = "chat"}, At(absl::Hours(16))).ok());
  ASSERT_TRUE(e->AdvanceTo(At(absl::Hours(24 + 9) + absl::Minutes(30))).ok());
  EXPECT_THAT(EscalatedAt(*e, "i"), ElementsAre(At(absl::Hours(24 + 9) + absl::Nanoseconds(1))));
}

TEST(EngineEscalationTest, AWarningFractionTheSlaPolicyDoesNotWarnAtFiresOnTime) {
  std::unique_ptr<Engine> e = Make(R"({
    "origin": "$ORIGIN",
    "sla_policies": [{"name": "p", "warn_at": [0.5], "targets": {"C": {"resolution": 1000}}}],
    "escalation": {"name": "e", "levels": [{"name": "L1"}, {"name": "L2"}, {"name": "L3"}],
                   "rules": [{"trigger": {"kind": "sla_warning", "fraction": 0.5},
                              "to_level": "L2"},
                             {"trigger": {"kind": "sla_warning", "metric": "resolution",
                                          "fraction": 0.8}}]},
    "queues": [{"name": "q", "sla_policy": "p"}]})");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->Submit({.id = "i", .queue = "q", .channel = "chat"}, kMonday).ok());
  ASSERT_TRUE(e->AdvanceTo(At(absl::Seconds(900))).ok());
  // At 50 % with the policy's own warning, at 80 % on its own.
  EXPECT_THAT(EscalatedAt(*e, "i"), ElementsAre(At(absl::Seconds(500)), At(absl::Seconds(800))));
  absl::StatusOr<EngineItemView> i = e->Item("i");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->level, 2);
}

}  // namespace
}  // namespace omniroute
