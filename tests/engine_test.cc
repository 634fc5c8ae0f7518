#include "omniroute/engine.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/config_json.h"
#include "sla_test_support.h"

namespace omniroute {
namespace {

using sla_test::Ny;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = EngineEventKind;

// Mon-Fri 09:00-17:00 New York; tiered A/B/C targets; escalation L1 (4 business hours) → L2 (4
// business hours, priority up, "senior" required) → L3 (notify the emergency group), upset
// customers straight to L2, VIP customers to the senior level; queues for general work,
// technical work, seniors and call-backs.
constexpr std::string_view kConfig = R"({
  "calendars": {"office": {"tz": "America/New_York",
                           "week": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"],
                                    "wed": ["09:00-17:00"], "thu": ["09:00-17:00"],
                                    "fri": ["09:00-17:00"]}}},
  "sla_policies": [{"name": "tiered", "calendar": "office", "warn_at": [0.5, 0.8],
                    "targets": {"A": {"first_response": "5m", "resolution": "30m"},
                                "B": {"first_response": "30m", "resolution": "2h"},
                                "C": {"first_response": "4h", "resolution": "24h"}}}],
  "escalation": {"name": "support",
                 "levels": [{"name": "L1", "time_limit": "4h", "calendar": "office"},
                            {"name": "L2", "time_limit": "4h", "calendar": "office",
                             "actions": [{"kind": "raise_priority_by", "amount": 1},
                                         {"kind": "notify", "target": "supervisors"}]},
                            {"name": "L3", "actions": [{"kind": "notify",
                                                        "target": "emergency_group"}]}],
                 "rules": [{"trigger": {"kind": "level_time_limit"}},
                           {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1",
                            "to_level": "L2"},
                           {"trigger": {"kind": "manual"}}]},
  "escalation_policies": [{"name": "vip",
                           "levels": [{"name": "standard"},
                                      {"name": "senior",
                                       "actions": [{"kind": "require_skill",
                                                    "target": "senior", "amount": 1}]}],
                           "rules": [{"trigger": {"kind": "tier", "value": "vip"}}]}],
  "queues": [{"name": "general", "strategy": "longest_idle", "sla_policy": "tiered",
              "offer_timeout": "30s", "follow_up": {"after": "48h", "queue": "callbacks",
                                                     "channel": "voice"}},
             {"name": "tech", "strategy": "most_skilled", "sla_policy": "tiered"},
             {"name": "chat", "strategy": "longest_idle", "sla_policy": "tiered",
              "escalation_policy": "vip", "auto_accept": true},
             {"name": "callbacks", "auto_accept": true}],
  "lifecycle": {"auto_close_after": "72h"}
})";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(kConfig);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  void Agent(const std::string& id, std::map<std::string, int> skills,
             std::map<std::string, int> capacity, std::vector<std::string> queues, absl::Time at) {
    EngineAgentSpec spec{.id = id, .skills = std::move(skills), .capacity = std::move(capacity)};
    for (const std::string& q : queues) spec.queues.push_back({.queue = q});
    ASSERT_TRUE(engine_->AddAgent(spec, at).ok());
    ASSERT_TRUE(engine_->SetAgentState(id, AgentState::kAvailable, at).ok());
  }

  // A priority-B voice item for the general queue; tests set what else it carries.
  static EngineItemSpec GeneralVoice(std::string id) {
    return {.id = std::move(id), .queue = "general", .channel = "voice", .priority = "B"};
  }

  void Submit(const std::string& id, const std::string& queue, const std::string& channel,
              const std::string& priority, absl::Time at) {
    const absl::Status submitted =
        engine_->Submit({.id = id, .queue = queue, .channel = channel, .priority = priority}, at);
    ASSERT_TRUE(submitted.ok()) << submitted;
  }

  std::vector<EngineEvent> Events(Kind kind) {
    std::vector<EngineEvent> out;
    for (EngineEvent& e : engine_->PollEvents()) {
      if (e.kind == kind) out.push_back(std::move(e));
    }
    return out;
  }

  EngineItemView Item(std::string_view id) {
    absl::StatusOr<EngineItemView> view = engine_->Item(id);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : EngineItemView{};
  }

  std::unique_ptr<Engine> engine_;
  const absl::Time monday_ = Ny(2026, 11, 23, 10);
};

TEST_F(EngineTest, IdsListTheAgentsAndItemsTheEngineHolds) {
  for (const std::string id : {"b", "a", "c"}) Agent(id, {}, {{"chat", 1}}, {"chat"}, monday_);
  ASSERT_TRUE(engine_->RemoveAgent("a", monday_).ok());
  EXPECT_THAT(engine_->AgentIds(), ElementsAre("b", "c"));
  for (const std::string id : {"t2", "t1", "t3", "t4"}) Submit(id, "general", "chat", "B", monday_);
  ASSERT_TRUE(engine_->Cancel("t2", monday_).ok());
  EXPECT_THAT(engine_->ItemIds(), ElementsAre("t1", "t3", "t4"));
}

// AgentSpec is the profile as AddAgent and UpdateAgent take it: the budget only when it is not the
// capacity's default, channels the agent does not take left out.
TEST_F(EngineTest, AgentSpecGivesTheProfileBackAndUpdatingToItChangesNothing) {
  const EngineAgentSpec given{.id = "a1",
                              .skills = {{"english", 5}, {"senior", 2}},
                              .capacity = {{"chat", 2}, {"email", 0}, {"voice", 1}},
                              .budget = 2,
                              .queues = {{.queue = "tech", .delay = absl::Seconds(30)},
                                         {.queue = "general", .priority = 1}}};
  ASSERT_TRUE(engine_->AddAgent(given, monday_).ok());
  EngineAgentSpec expected = given;
  expected.capacity.erase("email");
  EXPECT_EQ(engine_->AgentSpec("a1").value_or(EngineAgentSpec{}), expected);
  // a2's budget is its capacity's default (each channel costs one unit), given or not.
  for (const std::optional<int> budget : {std::optional<int>(), std::optional<int>(3)}) {
    EngineAgentSpec a2{.id = "a2", .capacity = {{"chat", 3}}, .budget = budget};
    ASSERT_TRUE((budget ? engine_->UpdateAgent(a2, monday_) : engine_->AddAgent(a2, monday_)).ok());
    a2.budget.reset();
    EXPECT_EQ(engine_->AgentSpec("a2").value_or(EngineAgentSpec{}), a2);
  }
  EXPECT_EQ(engine_->Agent("a2")->budget, 3);

  ASSERT_TRUE(engine_->SetAgentState("a1", AgentState::kAvailable, monday_).ok());
  Submit("t1", "general", "chat", "B", monday_ + absl::Minutes(1));
  Submit("t2", "callbacks", "voice", "B", monday_ + absl::Minutes(1));
  ASSERT_EQ(Item("t1").state, ItemState::kOffered);
  (void)engine_->PollEvents();
  const uint64_t digest = engine_->StateDigest();
  ASSERT_TRUE(engine_->UpdateAgent(*engine_->AgentSpec("a1"), monday_ + absl::Minutes(1)).ok());
  EXPECT_EQ(engine_->StateDigest(), digest);
  EXPECT_TRUE(engine_->PollEvents().empty());

  // A spec changed in its capacity alone: an explicit budget stays, a default one follows.
  for (const std::string id : {"a1", "a2"}) {
    EngineAgentSpec spec = *engine_->AgentSpec(id);
    spec.capacity["email"] = 4;
    ASSERT_TRUE(engine_->UpdateAgent(spec, monday_ + absl::Minutes(2)).ok());
  }
  EXPECT_EQ(engine_->Agent("a1")->budget, 2);
  EXPECT_GT(engine_->Agent("a2")->budget, 3);
  EXPECT_EQ(engine_->AgentSpec("a2")->budget, std::nullopt);

  EXPECT_EQ(engine_->AgentSpec("ghost").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(engine_->Cancel("t1", monday_ + absl::Minutes(3)).ok());
  ASSERT_TRUE(engine_->RemoveAgent("a1", monday_ + absl::Minutes(3)).ok());
  EXPECT_EQ(engine_->AgentSpec("a1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, MemoryBytesCountsAgentsAndWaitingItems) {
  const size_t empty = engine_->MemoryBytes();
  for (int a = 0; a < 200; ++a) {
    Agent(absl::StrCat("agent-with-an-id-longer-than-inline-", a), {}, {{"chat", 1}}, {"general"},
          monday_);
  }
  const size_t with_agents = engine_->MemoryBytes();
  // An agent's record alone is a few hundred bytes, and its id is held twice on the heap.
  EXPECT_GE(with_agents - empty, 200u * 256);
  // Nobody serves "tech": the items wait. Each has the engine's record, the router's and its
  // queue's entry.
  for (int i = 0; i < 2000; ++i) Submit(absl::StrCat("item-", i), "tech", "email", "C", monday_);
  ASSERT_EQ(engine_->Queue("tech")->waiting, 2000u);
  EXPECT_GE(engine_->MemoryBytes() - with_agents, 2000u * 512);
}

TEST_F(EngineTest, ASinkTakesTheEventsInsteadOfPollEvents) {
  std::vector<EngineEvent> seen;
  engine_->SetEventSink([&seen](const EngineEvent& e) { seen.push_back(e); });
  Submit("calm", "general", "voice", "B", monday_);
  ASSERT_TRUE(engine_
                  ->Submit({.id = "upset",
                            .queue = "general",
                            .channel = "voice",
                            .priority = "B",
                            .tags = {"upset"}},
                           monday_)
                  .ok());
  EXPECT_TRUE(engine_->PollEvents().empty());
  const auto escalated = std::find_if(
      seen.begin(), seen.end(), [](const EngineEvent& e) { return e.kind == Kind::kEscalated; });
  ASSERT_NE(escalated, seen.end());
  EXPECT_EQ(escalated->item, "upset");
  EXPECT_EQ(escalated->level, 1);
  EXPECT_EQ(escalated->trigger, "tag");
  EXPECT_EQ(escalated->target, "supervisors");

  const size_t sunk = seen.size();
  engine_->SetEventSink(nullptr);
  Submit("later", "general", "voice", "B", monday_);
  EXPECT_EQ(seen.size(), sunk);
  const std::vector<EngineEvent> polled = engine_->PollEvents();
  ASSERT_FALSE(polled.empty());
  EXPECT_EQ(polled.front().item, "later");
}

TEST_F(EngineTest, PollingIntoABufferReplacesItsContentWithTheNewEvents) {
  EngineEvent stale;
  stale.item = "stale";
  std::vector<EngineEvent> buffer(3, stale);
  Submit("first", "general", "voice", "B", monday_);
  engine_->PollEvents(buffer);
  ASSERT_FALSE(buffer.empty());
  for (const EngineEvent& e : buffer) EXPECT_EQ(e.item, "first");
  engine_->PollEvents(buffer);
  EXPECT_TRUE(buffer.empty());
  Submit("second", "general", "voice", "B", monday_);
  engine_->PollEvents(buffer);
  ASSERT_FALSE(buffer.empty());
  EXPECT_EQ(buffer.front().item, "second");
  EXPECT_TRUE(engine_->PollEvents().empty());
}

TEST_F(EngineTest, VipChatGoesToTheSeniorAgent) {
  Agent("junior", {{"chat", 5}}, {{"chat", 3}}, {"chat"}, monday_);
  Agent("senior", {{"chat", 5}, {"senior", 1}}, {{"chat", 3}}, {"chat"}, monday_);
  (void)engine_->PollEvents();
  ASSERT_TRUE(
      engine_
          ->Submit(
              {.id = "vip-1", .queue = "chat", .channel = "chat", .priority = "A", .tier = "vip"},
              monday_)
          .ok());
  Submit("std-1", "chat", "chat", "A", monday_);
  EXPECT_EQ(Item("vip-1").agent, "senior");
  EXPECT_EQ(Item("vip-1").state, ItemState::kAssigned);
  EXPECT_EQ(Item("vip-1").level_name, "senior");
  // The junior agent has been idle longest by now: the standard chat goes there.
  EXPECT_EQ(Item("std-1").agent, "junior");
}

TEST_F(EngineTest, TechnicalEmailGoesToTheTechTeam) {
  Agent("generalist", {{"billing", 9}}, {{"email", 5}}, {"general", "tech"}, monday_);
  Agent("tech-low", {{"technical", 3}}, {{"email", 5}}, {"tech"}, monday_);
  Agent("tech-high", {{"technical", 8}}, {{"email", 5}}, {"tech"}, monday_);
  (void)engine_->PollEvents();
  ASSERT_TRUE(engine_
                  ->Submit({.id = "e1",
                            .queue = "tech",
                            .channel = "email",
                            .priority = "B",
                            .requirement = {.must = {{"technical", 2}}}},
                           monday_)
                  .ok());
  const std::vector<EngineEvent> offers = Events(Kind::kOffered);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "tech-high");  // most_skilled among those who qualify
  ASSERT_TRUE(engine_->Accept("e1", "tech-high", monday_ + absl::Seconds(5)).ok());
  EXPECT_EQ(Item("e1").state, ItemState::kAssigned);
  absl::StatusOr<EngineAgentView> agent = engine_->Agent("tech-high");
  ASSERT_TRUE(agent.ok());
  EXPECT_THAT(agent->assigned, ElementsAre("e1"));
  EXPECT_EQ(agent->load.at("email"), 1);
}

TEST_F(EngineTest, ExplainNamesTheSkills) {
  Agent("generalist", {{"billing", 9}}, {{"email", 5}}, {"tech"}, monday_);
  Agent("tech-low", {{"technical", 3}}, {{"email", 5}}, {"tech"}, monday_);
  ASSERT_TRUE(engine_
                  ->Submit({.id = "e1",
                            .queue = "tech",
                            .channel = "email",
                            .priority = "B",
                            .requirement = {.must = {{"technical", 5}}, .excluded = {"billing"}}},
                           monday_)
                  .ok());
  absl::StatusOr<std::vector<std::pair<std::string, Candidate>>> explained = engine_->Explain("e1");
  ASSERT_TRUE(explained.ok()) << explained.status();
  std::map<std::string, std::string> reasons;
  for (const auto& [agent, candidate] : *explained) reasons[agent] = candidate.reason;
  EXPECT_EQ(reasons["generalist"], "excluded tag billing");
  EXPECT_EQ(reasons["tech-low"], "level too low technical (3 < 5)");
}

TEST_F(EngineTest, UpsetCallerIsPrioritisedAndEscalated) {
  // Nobody available: three calls wait, the upset one arrives last.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(engine_
                    ->Submit({.id = absl::StrCat("calm", i),
                              .queue = "general",
                              .channel = "voice",
                              .priority = "B"},
                             monday_ + absl::Seconds(i))
                    .ok());
  }
  ASSERT_TRUE(engine_
                  ->Submit({.id = "upset",
                            .queue = "general",
                            .channel = "voice",
                            .priority = "B",
                            .tags = {"upset"}},
                           monday_ + absl::Seconds(10))
                  .ok());
  const std::vector<EngineEvent> escalated = Events(Kind::kEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].item, "upset");
  EXPECT_EQ(escalated[0].from_level, 0);
  EXPECT_EQ(escalated[0].level, 1);
  EXPECT_EQ(escalated[0].trigger, "tag");
  EXPECT_EQ(escalated[0].target, "supervisors");
  EXPECT_EQ(Item("upset").routing_priority, 0);  // B raised to A for routing
  EXPECT_EQ(Item("upset").priority, "B");        // the SLA keeps B
  EXPECT_EQ(Item("upset").position, 0u);
  EXPECT_EQ(Item("calm0").position, 1u);
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_ + absl::Seconds(20));
  EXPECT_EQ(Item("upset").state, ItemState::kOffered);
  EXPECT_EQ(Item("upset").agent, "ann");
  const EngineKpis kpis = engine_->Kpis();
  EXPECT_EQ((kpis.escalations.at({"support", "L2"})), 1u);
}

TEST_F(EngineTest, LevelsClimbByTimeLimitsOnTheBusinessCalendar) {
  // Friday 15:00: L1 has 2 business hours left on Friday and 2 on Monday → L2 Monday 11:00;
  // L2's 4 business hours → L3 Monday 15:00.
  const absl::Time friday = Ny(2026, 11, 27, 15);
  Submit("t1", "general", "email", "C", friday);
  ASSERT_TRUE(engine_->AdvanceTo(Ny(2026, 12, 1, 9)).ok());
  const std::vector<EngineEvent> escalated = Events(Kind::kEscalated);
  ASSERT_EQ(escalated.size(), 2u);
  EXPECT_EQ(escalated[0].at, Ny(2026, 11, 30, 11));
  EXPECT_EQ(escalated[0].detail, "L2");
  EXPECT_EQ(escalated[0].trigger, "level_time_limit");
  EXPECT_EQ(escalated[1].at, Ny(2026, 11, 30, 15));
  EXPECT_EQ(escalated[1].detail, "L3");
  EXPECT_EQ(escalated[1].target, "emergency_group");
  EXPECT_EQ(Item("t1").level_name, "L3");
}

TEST_F(EngineTest, SlaWarningsAndBreachFireOnBusinessTime) {
  // A: first response 5 min, warnings at 50 % and 80 %.
  Submit("t1", "general", "chat", "A", monday_);
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Minutes(6)).ok());
  std::vector<EngineEvent> events = engine_->PollEvents();
  std::vector<std::pair<Kind, absl::Time>> sla;
  for (const EngineEvent& e : events) {
    if (e.metric == SlaMetric::kFirstResponse) sla.emplace_back(e.kind, e.at);
  }
  EXPECT_THAT(sla, ElementsAre(std::pair(Kind::kSlaWarning, monday_ + absl::Seconds(150)),
                               std::pair(Kind::kSlaWarning, monday_ + absl::Seconds(240)),
                               std::pair(Kind::kSlaBreached, monday_ + absl::Minutes(5))));
}

TEST_F(EngineTest, OfferTimeoutRequeuesAndOffersTheNextAgent) {
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  Agent("bob", {}, {{"voice", 1}}, {"general"}, monday_ + absl::Seconds(1));
  (void)engine_->PollEvents();
  Submit("c1", "general", "voice", "B", monday_ + absl::Seconds(2));
  EXPECT_EQ(Item("c1").agent, "ann");
  (void)engine_->PollEvents();
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Seconds(40)).ok());
  std::vector<std::pair<Kind, std::string>> routing;
  for (const EngineEvent& e : engine_->PollEvents()) {
    if (e.kind == Kind::kOffered || e.kind == Kind::kOfferExpired || e.kind == Kind::kRequeued) {
      routing.emplace_back(e.kind, e.agent);
    }
    if (e.kind == Kind::kAgentState) {
      routing.emplace_back(e.kind, absl::StrCat(e.agent, " ", e.detail));
      EXPECT_EQ(e.at, monday_ + absl::Seconds(32));
    }
  }
  // The agent's move to away is an event too, as when a command sets a state.
  EXPECT_THAT(routing,
              ElementsAre(std::pair(Kind::kOfferExpired, std::string("ann")),
                          std::pair(Kind::kAgentState, std::string("ann away:missed_offer")),
                          std::pair(Kind::kRequeued, std::string()),
                          std::pair(Kind::kOffered, std::string("bob"))));
  EXPECT_EQ(Item("c1").rejected_offers, 1);
  absl::StatusOr<EngineAgentView> ann = engine_->Agent("ann");
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->state, AgentState::kAway);
  EXPECT_EQ(ann->away_reason, "missed_offer");
  // The expired offer cannot be accepted any more.
  EXPECT_EQ(engine_->Accept("c1", "ann", monday_ + absl::Seconds(41)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(engine_->Accept("c1", "bob", monday_ + absl::Seconds(41)).ok());
}

// A wrap-up's start and end are agent_state events, so that a host following the events knows
// each agent's state; the agent view agrees at every step.
TEST(EngineAgentStateTest, WrapUpStartAndEndAreEvents) {
  absl::StatusOr<std::unique_ptr<Engine>> made = EngineFromJson(R"({
    "channels": [{"name": "voice", "cost": 1, "wrap_up": "30s"}, {"name": "email", "cost": 1}],
    "queues": [{"name": "calls", "auto_accept": true}],
    "origin": "2026-11-23T15:00:00Z"})");
  ASSERT_TRUE(made.ok()) << made.status();
  Engine& engine = **made;
  const absl::Time t0 = engine.now();
  ASSERT_TRUE(engine
                  .AddAgent({.id = "ann",
                             .capacity = {{"voice", 1}, {"email", 1}},
                             .queues = {{.queue = "calls"}}},
                            t0)
                  .ok());
  ASSERT_TRUE(engine.SetAgentState("ann", AgentState::kAvailable, t0).ok());
  for (const std::string id : {"c1", "c2"}) {
    ASSERT_TRUE(engine.Submit({.id = id, .queue = "calls", .channel = "voice"}, t0).ok());
  }
  const auto changes = [&engine] {
    std::vector<std::string> out;
    for (const EngineEvent& e : engine.PollEvents()) {
      if (e.kind == Kind::kAgentState || e.kind == Kind::kResolved || e.kind == Kind::kAssigned) {
        out.push_back(absl::StrCat(std::string(EngineEventKindName(e.kind)), " ", e.item, " ",
                                   e.agent, " ", e.detail, " +", absl::ToUnixSeconds(e.at)));
      }
    }
    return out;
  };
  const int64_t s0 = absl::ToUnixSeconds(t0);
  const auto at = [s0](int seconds) { return absl::StrCat(" +", s0 + seconds); };
  EXPECT_THAT(changes(), ElementsAre(absl::StrCat("agent_state  ann available", at(0)),
                                     absl::StrCat("assigned c1 ann ", at(0))));
  ASSERT_TRUE(engine.Resolve("c1", t0 + absl::Seconds(60)).ok());
  EXPECT_THAT(changes(), ElementsAre(absl::StrCat("resolved c1 ann ", at(60)),
                                     absl::StrCat("agent_state  ann wrap_up", at(60))));
  EXPECT_EQ(engine.Agent("ann")->state, AgentState::kWrapUp);
  ASSERT_TRUE(engine.AdvanceTo(t0 + absl::Seconds(89)).ok());
  EXPECT_THAT(changes(), ElementsAre());
  ASSERT_TRUE(engine.AdvanceTo(t0 + absl::Seconds(95)).ok());
  EXPECT_THAT(changes(), ElementsAre(absl::StrCat("agent_state  ann available", at(90)),
                                     absl::StrCat("assigned c2 ann ", at(90))));
  EXPECT_EQ(engine.Agent("ann")->state, AgentState::kAvailable);
  // Email has no wrap-up: nothing changes.
  ASSERT_TRUE(
      engine.Submit({.id = "e1", .queue = "calls", .channel = "email"}, t0 + absl::Seconds(96))
          .ok());
  ASSERT_TRUE(engine.Resolve("e1", t0 + absl::Seconds(97)).ok());
  EXPECT_THAT(changes(), ElementsAre(absl::StrCat("assigned e1 ann ", at(96)),
                                     absl::StrCat("resolved e1 ann ", at(97))));
}

TEST_F(EngineTest, ClosedLoopReopenAndTheFortyEightHourFollowUp) {
  Agent("ann", {}, {{"voice", 1}, {"email", 2}}, {"general", "callbacks"}, monday_);
  ASSERT_TRUE(engine_
                  ->Submit({.id = "t1",
                            .queue = "general",
                            .channel = "email",
                            .priority = "B",
                            .customer = "cust-7"},
                           monday_)
                  .ok());
  ASSERT_TRUE(engine_->Accept("t1", "ann", monday_ + absl::Seconds(20)).ok());
  ASSERT_TRUE(engine_->Respond("t1", monday_ + absl::Minutes(10)).ok());
  ASSERT_TRUE(engine_->Resolve("t1", monday_ + absl::Minutes(40)).ok());
  EXPECT_EQ(Item("t1").state, ItemState::kResolved);
  EXPECT_DOUBLE_EQ(engine_->Kpis().first_contact_resolution, 1.0);

  // The customer is not satisfied: reopened, back to ann first.
  ASSERT_TRUE(engine_->Reopen("t1", monday_ + absl::Hours(2)).ok());
  EXPECT_EQ(Item("t1").state, ItemState::kOffered);
  EXPECT_EQ(Item("t1").agent, "ann");
  EXPECT_EQ(Item("t1").reopens, 1);
  EXPECT_DOUBLE_EQ(engine_->Kpis().first_contact_resolution, 0.0);
  ASSERT_TRUE(engine_->Accept("t1", "ann", monday_ + absl::Hours(2)).ok());
  const absl::Time resolved = monday_ + absl::Hours(3);
  ASSERT_TRUE(engine_->Resolve("t1", resolved).ok());
  ASSERT_TRUE(engine_->Confirm("t1", resolved + absl::Hours(1)).ok());
  EXPECT_EQ(engine_->Item("t1").status().code(), absl::StatusCode::kNotFound);  // final

  // Both resolutions scheduled a call-back 48 h later; the queue auto-accepts.
  (void)engine_->PollEvents();
  ASSERT_TRUE(engine_->AdvanceTo(resolved + absl::Hours(48)).ok());
  const std::vector<EngineEvent> events = engine_->PollEvents();
  // A follow-up is announced before anything happens to it.
  const auto first = std::find_if(events.begin(), events.end(),
                                  [](const EngineEvent& e) { return e.item == "t1/follow_up"; });
  ASSERT_NE(first, events.end());
  EXPECT_EQ(first->kind, Kind::kFollowUpCreated);
  std::vector<EngineEvent> created;
  std::copy_if(events.begin(), events.end(), std::back_inserter(created),
               [](const EngineEvent& e) { return e.kind == Kind::kFollowUpCreated; });
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].at, monday_ + absl::Minutes(40) + absl::Hours(48));
  EXPECT_EQ(created[0].item, "t1/follow_up");
  EXPECT_EQ(created[0].queue, "callbacks");
  EXPECT_EQ(created[0].detail, "t1");
  EXPECT_EQ(created[1].item, "t1/follow_up_2");
  EXPECT_EQ(Item("t1/follow_up").channel, "voice");
  EXPECT_EQ(Item("t1/follow_up").state, ItemState::kAssigned);
  EXPECT_EQ(Item("t1/follow_up").customer, "cust-7");
}

TEST_F(EngineTest, ResolvedItemsCloseAfterTheQuietPeriod) {
  Agent("ann", {}, {{"email", 2}}, {"general"}, monday_);
  Submit("t1", "general", "email", "C", monday_);
  ASSERT_TRUE(engine_->Accept("t1", "ann", monday_).ok());
  ASSERT_TRUE(engine_->Resolve("t1", monday_ + absl::Hours(1)).ok());
  (void)engine_->PollEvents();
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Hours(74)).ok());
  const std::vector<EngineEvent> closed = Events(Kind::kClosed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].at, monday_ + absl::Hours(73));
  EXPECT_EQ(closed[0].detail, "quiet_period");
  EXPECT_EQ(engine_->Kpis().closed, 1u);
}

TEST_F(EngineTest, PendingCustomerPausesTheResolutionClock) {
  Agent("ann", {}, {{"email", 2}}, {"general"}, monday_);
  Submit("t1", "general", "email", "B", monday_);
  ASSERT_TRUE(engine_->Accept("t1", "ann", monday_).ok());
  ASSERT_TRUE(engine_->Pause("t1", monday_ + absl::Minutes(30)).ok());
  EXPECT_EQ(Item("t1").state, ItemState::kPendingCustomer);
  // A customer message ends the pause: 3 hours later the 2 h target has 90 minutes left.
  ASSERT_TRUE(engine_->CustomerMessage("t1", monday_ + absl::Hours(3) + absl::Minutes(30)).ok());
  EXPECT_EQ(Item("t1").state, ItemState::kAssigned);
  for (const SlaClockView& clock : Item("t1").sla) {
    if (clock.metric == SlaMetric::kResolution) {
      EXPECT_EQ(clock.deadline, monday_ + absl::Hours(5));
    }
  }
}

TEST_F(EngineTest, ManualEscalationAndTransfersCountForKpis) {
  Agent("ann", {}, {{"email", 2}}, {"general"}, monday_);
  Submit("t1", "general", "email", "C", monday_);
  ASSERT_TRUE(engine_->Accept("t1", "ann", monday_).ok());
  ASSERT_TRUE(engine_->Escalate("t1", monday_ + absl::Minutes(1)).ok());
  EXPECT_EQ(Item("t1").level, 1);
  ASSERT_TRUE(engine_->Transfer("t1", "tech", monday_ + absl::Minutes(2)).ok());
  EXPECT_EQ(Item("t1").state, ItemState::kQueued);
  EXPECT_EQ(Item("t1").queue, "tech");
  EXPECT_EQ(Item("t1").transfers, 1);
  absl::StatusOr<EngineAgentView> ann = engine_->Agent("ann");
  ASSERT_TRUE(ann.ok());
  EXPECT_TRUE(ann->assigned.empty());
  EXPECT_EQ(engine_->Kpis().transfers, 1u);
}

// An escalation that moves assigned work to another queue takes it off its agent: a transfer, on
// the item and in the KPIs alike. A rejection's requeue goes out before the escalation it causes.
TEST(EngineEscalationTest, AnEscalationMovingWorkIsATransferAndFollowsTheRequeue) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(R"({
    "queues": [{"name": "billing"}, {"name": "tech"}],
    "escalation": {"levels": [{"name": "L1"},
                              {"name": "L2", "actions": [{"kind": "move_to_queue",
                                                          "target": "tech"}]}],
                   "rules": [{"trigger": {"kind": "manual"}},
                             {"trigger": {"kind": "rejected_offers", "count": 1}}]}})");
  ASSERT_TRUE(engine.ok()) << engine.status();
  Engine& e = **engine;
  const absl::Time t = Ny(2026, 11, 23, 10);
  ASSERT_TRUE(
      e.AddAgent({.id = "a1", .capacity = {{"chat", 2}}, .queues = {{.queue = "billing"}}}, t)
          .ok());
  ASSERT_TRUE(e.SetAgentState("a1", AgentState::kAvailable, t).ok());
  ASSERT_TRUE(e.Submit({.id = "x", .queue = "billing", .channel = "chat"}, t).ok());
  ASSERT_TRUE(e.Accept("x", "a1", t).ok());
  ASSERT_TRUE(e.Escalate("x", t).ok());
  absl::StatusOr<EngineItemView> x = e.Item("x");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->queue, "tech");
  EXPECT_EQ(x->transfers, 1);
  EXPECT_EQ(e.Kpis().transfers, 1u);

  ASSERT_TRUE(e.Submit({.id = "y", .queue = "billing", .channel = "chat"}, t).ok());
  (void)e.PollEvents();
  ASSERT_TRUE(e.AddAgent({.id = "a2", .capacity = {{"chat", 1}}}, t).ok());
  const absl::Status not_theirs = e.Accept("y", "a2", t);
  EXPECT_TRUE(absl::IsFailedPrecondition(not_theirs));
  EXPECT_THAT(not_theirs.message(), HasSubstr("\"y\" is offered to agent \"a1\", not to \"a2\""));
  ASSERT_TRUE(e.Reject("y", "a1", t).ok());
  std::vector<std::string> order;
  for (const EngineEvent& event : e.PollEvents()) {
    order.push_back(std::string(EngineEventKindName(event.kind)) + " " + event.queue);
  }
  EXPECT_THAT(order, ElementsAre("rejected billing", "requeued billing", "escalated billing",
                                 "transferred tech", "queued tech"));
  // Moved before it was assigned: not a transfer.
  EXPECT_EQ(e.Kpis().transfers, 1u);
}

// A transfer keeps the item's place by its arrival, but its wait in the new queue starts with the
// transfer: the time an agent of the first queue spent on it is no wait in the second. Its pauses
// end with the work.
TEST(EngineTransferTest, TransferredWorkWaitsInItsNewQueueFromTheTransfer) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(R"({
    "queues": [{"name": "billing"}, {"name": "tech", "service_level_seconds": 20}]})");
  ASSERT_TRUE(engine.ok()) << engine.status();
  Engine& e = **engine;
  const absl::Time t = Ny(2026, 11, 23, 10);
  for (const char* agent : {"a1", "a2"}) {
    const std::string queue = std::string(agent) == "a1" ? "billing" : "tech";
    ASSERT_TRUE(
        e.AddAgent({.id = agent, .capacity = {{"chat", 1}}, .queues = {{.queue = queue}}}, t).ok());
    ASSERT_TRUE(e.SetAgentState(agent, AgentState::kAvailable, t).ok());
  }
  ASSERT_TRUE(e.Submit({.id = "x", .queue = "billing", .channel = "chat"}, t).ok());
  ASSERT_TRUE(e.Accept("x", "a1", t + absl::Seconds(5)).ok());
  // Waiting for the customer when transferred: the pause ends with the work, announced.
  ASSERT_TRUE(e.Pause("x", t + absl::Seconds(50), "customer").ok());
  (void)e.PollEvents();
  ASSERT_TRUE(e.Transfer("x", "tech", t + absl::Seconds(105)).ok());
  std::vector<std::string> told;
  for (const EngineEvent& event : e.PollEvents()) {
    told.push_back(absl::StrCat(std::string(EngineEventKindName(event.kind)), " ", event.detail));
  }
  EXPECT_THAT(told, ElementsAre("resumed customer", "transferred billing", "offered "));
  absl::StatusOr<EngineItemView> x = e.Item("x");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->state, ItemState::kOffered);
  ASSERT_TRUE(e.Accept("x", "a2", t + absl::Seconds(110)).ok());
  absl::StatusOr<QueueStats> tech = e.Queue("tech");
  ASSERT_TRUE(tech.ok());
  EXPECT_EQ(tech->answered, 1u);
  EXPECT_EQ(tech->average_wait_answered, absl::Seconds(5));
  EXPECT_EQ(tech->answered_within_threshold, 1u);
  EXPECT_EQ(tech->service_level, 1.0);
}

TEST_F(EngineTest, QueueStatsCountServiceLevelAndAbandonment) {
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  Submit("c1", "general", "voice", "B", monday_);
  ASSERT_TRUE(engine_->Accept("c1", "ann", monday_ + absl::Seconds(5)).ok());
  Submit("c2", "general", "voice", "B", monday_ + absl::Seconds(10));
  Submit("c3", "general", "voice", "B", monday_ + absl::Seconds(11));
  ASSERT_TRUE(engine_->Abandon("c3", monday_ + absl::Seconds(50)).ok());
  ASSERT_TRUE(engine_->Resolve("c1", monday_ + absl::Seconds(60)).ok());
  ASSERT_TRUE(engine_->Accept("c2", "ann", monday_ + absl::Seconds(61)).ok());
  absl::StatusOr<QueueStats> stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->arrived, 3u);
  EXPECT_EQ(stats->answered, 2u);  // offered at 0 s and at 60 s
  EXPECT_EQ(stats->abandoned, 1u);
  // Answered within 20 s: c1 (0 s); c2 waited 50 s; c3 abandoned after 39 s.
  EXPECT_EQ(stats->answered_within_threshold, 1u);
  EXPECT_DOUBLE_EQ(stats->service_level, 1.0 / 3.0);
  EXPECT_EQ(stats->answered_within[0], std::pair(absl::Seconds(10), uint64_t{1}));
  EXPECT_EQ(stats->answered_within[3], std::pair(absl::Seconds(60), uint64_t{2}));
  EXPECT_EQ(stats->agents_staffed, 1u);
  EXPECT_DOUBLE_EQ(engine_->Kpis().abandonment_rate, 1.0 / 3.0);
}

TEST_F(EngineTest, ExpectedWaitIsZeroOnlyWithAnAgentOfTheQueueAvailable) {
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  Agent("bo", {}, {{"voice", 1}}, {"tech"}, monday_);
  absl::StatusOr<QueueStats> stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->expected_wait, absl::ZeroDuration());
  // Ann away, bo available but not serving the queue, nothing served yet: the wait is unknown.
  ASSERT_TRUE(engine_->SetAgentState("ann", AgentState::kAway, monday_).ok());
  stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->expected_wait, absl::InfiniteDuration());
}

// An available agent at capacity cannot take the next arrival: it waits for a service to end.
TEST_F(EngineTest, ExpectedWaitIsZeroOnlyWhileAnAgentHasRoom) {
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  Submit("v1", "general", "voice", "B", monday_);
  ASSERT_TRUE(engine_->Accept("v1", "ann", monday_).ok());
  absl::StatusOr<QueueStats> stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->waiting, 0u);
  EXPECT_EQ(stats->agents_available, 0u);
  // One answer in the last 15 minutes: one service per 15 minutes.
  EXPECT_EQ(stats->expected_wait, absl::Minutes(15));
  ASSERT_TRUE(engine_->Resolve("v1", monday_ + absl::Minutes(3)).ok());
  stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->agents_available, 1u);
  EXPECT_EQ(stats->expected_wait, absl::ZeroDuration());
}

// Work answered at the origin itself is service at a rate without bound: no wait is expected, and
// an expected-wait escalation does not move the next item.
TEST(EngineExpectedWaitTest, AnswersAtTheOriginExpectNoWait) {
  absl::StatusOr<std::unique_ptr<Engine>> made = EngineFromJson(R"({
    "queues": [{"name": "calls", "auto_accept": true}, {"name": "overflow"}],
    "escalation": {"levels": [{"name": "L1"},
                              {"name": "L2", "actions": [{"kind": "move_to_queue",
                                                          "target": "overflow"}]}],
                   "rules": [{"trigger": {"kind": "expected_wait_above", "duration": "10m"}}]},
    "origin": "2026-11-23T15:00:00Z"})");
  ASSERT_TRUE(made.ok()) << made.status();
  Engine& engine = **made;
  const absl::Time t0 = engine.now();
  ASSERT_TRUE(
      engine.AddAgent({.id = "ann", .capacity = {{"chat", 1}}, .queues = {{.queue = "calls"}}}, t0)
          .ok());
  ASSERT_TRUE(engine.SetAgentState("ann", AgentState::kAvailable, t0).ok());
  ASSERT_TRUE(engine.Submit({.id = "x", .queue = "calls", .channel = "chat"}, t0).ok());
  ASSERT_TRUE(engine.Submit({.id = "y", .queue = "calls", .channel = "chat"}, t0).ok());
  absl::StatusOr<QueueStats> calls = engine.Queue("calls");
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(calls->answered, 1u);
  EXPECT_EQ(calls->waiting, 1u);
  EXPECT_EQ(calls->expected_wait, absl::ZeroDuration());
  absl::StatusOr<EngineItemView> y = engine.Item("y");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->queue, "calls");
  EXPECT_EQ(y->level, 0);
}

// Items with equal requirements share a plan; the plans of items that left are let go, so an
// engine seeing ever new requirements does not grow with them.
TEST_F(EngineTest, PlansOfRequirementsNoItemHoldsAreLetGo) {
  absl::Time at = monday_;
  size_t bytes_after_warm_up = 0;
  for (int i = 0; i < 10'000; ++i) {
    if (i == 2'000) bytes_after_warm_up = engine_->MemoryBytes();
    EngineItemSpec spec = GeneralVoice("t");
    spec.requirement.must = {{"billing", 1 + i % 100}, {"zh", 1 + i / 100}};
    at += absl::Seconds(1);
    ASSERT_TRUE(engine_->Submit(spec, at).ok());
    ASSERT_TRUE(engine_->Cancel("t", at).ok());
  }
  EXPECT_LE(engine_->MemoryBytes(), bytes_after_warm_up + bytes_after_warm_up / 10);
  // A requirement still held keeps its plan through the sweeps; an equal one shares it.
  EngineItemSpec held = GeneralVoice("kept");
  held.requirement.must = {{"billing", 7}, {"zh", 3}};
  ASSERT_TRUE(engine_->Submit(held, at).ok());
  for (int i = 0; i < 3'000; ++i) {
    EngineItemSpec spec = GeneralVoice("t");
    spec.requirement.must = {{"billing", 1 + i % 100}, {"tech", 1 + i / 100}};
    ASSERT_TRUE(engine_->Submit(spec, at).ok());
    ASSERT_TRUE(engine_->Cancel("t", at).ok());
  }
  held.id = "twin";
  ASSERT_TRUE(engine_->Submit(held, at).ok());
  const auto offered = [this] {
    std::vector<std::string> items;
    for (const EngineEvent& e : engine_->PollEvents()) {
      if (e.kind == Kind::kOffered) items.push_back(e.item);
    }
    return items;
  };
  (void)offered();
  Agent("low", {{"billing", 6}, {"zh", 3}}, {{"voice", 1}}, {"general"}, at);
  EXPECT_THAT(offered(), ElementsAre());
  Agent("ann", {{"billing", 7}, {"zh", 3}}, {{"voice", 2}}, {"general"}, at);
  EXPECT_THAT(offered(), ElementsAre("kept", "twin"));
}

// The engine remembers each customer's last agent (for first refusal on their next item); that
// table outlives the items and is counted: the same work for 400 named customers instead of
// anonymous ones weighs at least their names more.
TEST_F(EngineTest, MemoryCountsEachCustomersLastAgent) {
  constexpr int kItems = 400;
  const std::string prefix = "customer-with-a-name-longer-than-inline-";
  const auto memory_after_serving = [&](bool named) -> size_t {
    absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(kConfig);
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return 0;
    Engine& e = **engine;
    EXPECT_TRUE(
        e.AddAgent({.id = "ann", .capacity = {{"voice", 1}}, .queues = {{.queue = "general"}}},
                   monday_)
            .ok());
    EXPECT_TRUE(e.SetAgentState("ann", AgentState::kAvailable, monday_).ok());
    for (int i = 0; i < kItems; ++i) {
      const std::string id = absl::StrCat("t", i);
      const std::string customer = named ? absl::StrCat(prefix, i) : "";
      EngineItemSpec spec = GeneralVoice(id);
      spec.customer = customer;
      EXPECT_TRUE(e.Submit(spec, monday_).ok());
      EXPECT_TRUE(e.Accept(id, "ann", monday_).ok());
      EXPECT_TRUE(e.Resolve(id, monday_).ok());
      EXPECT_TRUE(e.Confirm(id, monday_).ok());
    }
    EXPECT_EQ(e.item_count(), 0u);
    return e.MemoryBytes();
  };
  EXPECT_GE(memory_after_serving(true), memory_after_serving(false) + kItems * prefix.size());
}

TEST_F(EngineTest, TierTagsAndPausesOutliveEachOtherAndAreCounted) {
  const std::vector<std::string> tags = {"upset", "a-tag-name-longer-than-inline-storage"};
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  EngineItemSpec labelled = GeneralVoice("v");
  labelled.tier = "gold";
  labelled.tags = tags;
  ASSERT_TRUE(engine_->Submit(labelled, monday_).ok());
  ASSERT_TRUE(engine_->Accept("v", "ann", monday_).ok());
  ASSERT_TRUE(engine_->Pause("v", monday_, "customer").ok());
  ASSERT_TRUE(engine_->Pause("v", monday_, "parts").ok());
  EXPECT_EQ(engine_->Pause("v", monday_, "parts").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(engine_->Resume("v", monday_, "customer").ok());
  EXPECT_EQ(engine_->Item("v")->state, ItemState::kPendingCustomer);
  ASSERT_TRUE(engine_->Resume("v", monday_, "parts").ok());
  absl::StatusOr<EngineItemView> view = engine_->Item("v");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state, ItemState::kAssigned);
  EXPECT_EQ(view->tier, "gold");
  EXPECT_EQ(view->tags, tags);
  EXPECT_EQ(engine_->Resume("v", monday_, "parts").code(), absl::StatusCode::kFailedPrecondition);

  // Labels cleared, then a pause again: it is kept, and the cleared labels stay cleared.
  ASSERT_TRUE(engine_->Update("v", {.tier = "", .tags = std::vector<std::string>{}}, monday_).ok());
  ASSERT_TRUE(engine_->Pause("v", monday_, "customer").ok());
  view = engine_->Item("v");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state, ItemState::kPendingCustomer);
  EXPECT_EQ(view->tier, "");
  EXPECT_TRUE(view->tags.empty());
  ASSERT_TRUE(engine_->Update("v", {.tier = "silver"}, monday_).ok());
  ASSERT_TRUE(engine_->Resume("v", monday_, "customer").ok());
  EXPECT_EQ(engine_->Item("v")->tier, "silver");
  EXPECT_EQ(engine_->Item("v")->state, ItemState::kAssigned);

  // Memory counts what the labels hold.
  const auto memory_with = [&](const std::vector<std::string>& item_tags) -> size_t {
    absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(kConfig);
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return 0;
    for (int i = 0; i < 200; ++i) {
      EngineItemSpec spec = GeneralVoice(absl::StrCat("t", i));
      spec.tags = item_tags;
      EXPECT_TRUE((*engine)->Submit(spec, monday_).ok());
    }
    return (*engine)->MemoryBytes();
  };
  EXPECT_GE(memory_with(tags), memory_with({}) + 200 * tags[1].size());
}

TEST_F(EngineTest, ExpectedWaitFollowsTheRecentServiceRate) {
  // No agent: nothing served yet, the wait is unknown.
  Submit("w0", "general", "voice", "B", monday_);
  absl::StatusOr<QueueStats> stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->expected_wait, absl::InfiniteDuration());
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_ + absl::Minutes(1));
  ASSERT_TRUE(engine_->Accept("w0", "ann", monday_ + absl::Minutes(1)).ok());
  // Three more answered at 5-minute intervals within the 15-minute window.
  for (int i = 1; i <= 3; ++i) {
    const std::string id = absl::StrCat("w", i);
    const absl::Time t = monday_ + absl::Minutes(1 + 5 * i);
    ASSERT_TRUE(engine_->Resolve(absl::StrCat("w", i - 1), t).ok());
    Submit(id, "general", "voice", "B", t);
    ASSERT_TRUE(engine_->Accept(id, "ann", t).ok());
  }
  Submit("x", "general", "voice", "B", monday_ + absl::Minutes(17));
  stats = engine_->Queue("general");
  ASSERT_TRUE(stats.ok());
  // 3 answers in the last 15 minutes (minutes 6, 11, 16; minute 1 is outside): one per 5 min. A
  // new caller would wait behind "x": two services.
  EXPECT_EQ(stats->expected_wait, absl::Minutes(10));
  EXPECT_DOUBLE_EQ(stats->service_rate_per_hour, 12.0);
}

// A queue-KPI rule sees the queue with the new item in it: the item that makes the expected wait
// too long escalates on arrival, the one before it does not.
TEST_F(EngineTest, AnArrivalThatLengthensTheExpectedWaitEscalatesAtOnce) {
  std::string config(kConfig);
  const std::string busy = R"("escalation_policies": [{"name": "busy",
      "levels": [{"name": "calm"}, {"name": "busy", "actions": [{"kind": "notify",
                                                                  "target": "floor"}]}],
      "rules": [{"trigger": {"kind": "expected_wait_above", "duration": "12m"}}]},)";
  config.replace(config.find(R"("escalation_policies": [)"), 24, busy);
  config.replace(config.find(R"({"name": "general", "strategy": "longest_idle",)"), 47,
                 R"({"name": "general", "strategy": "longest_idle", "escalation_policy": "busy",)");
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(config);
  ASSERT_TRUE(engine.ok()) << engine.status();
  engine_ = *std::move(engine);
  Submit("w0", "general", "voice", "B", monday_);
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_ + absl::Minutes(1));
  ASSERT_TRUE(engine_->Accept("w0", "ann", monday_ + absl::Minutes(1)).ok());
  for (int i = 1; i <= 3; ++i) {
    const absl::Time t = monday_ + absl::Minutes(1 + 5 * i);
    ASSERT_TRUE(engine_->Resolve(absl::StrCat("w", i - 1), t).ok());
    Submit(absl::StrCat("w", i), "general", "voice", "B", t);
    ASSERT_TRUE(engine_->Accept(absl::StrCat("w", i), "ann", t).ok());
  }
  (void)engine_->PollEvents();
  // One service per 5 minutes and ann busy: "x" waits for 2 services (10 min), "y" for 3 (15).
  const absl::Time arrival = monday_ + absl::Minutes(17) + absl::Seconds(30);
  Submit("x", "general", "voice", "B", arrival);
  Submit("y", "general", "voice", "B", arrival);
  std::vector<EngineEvent> escalated = Events(Kind::kEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].item, "y");
  EXPECT_EQ(escalated[0].trigger, "expected_wait_above");
  EXPECT_EQ(escalated[0].target, "floor");
  EXPECT_EQ(Item("x").level, 0);
  EXPECT_EQ(Item("y").level, 1);
  // The wait is the queue's: with "y" in it, every open item of the queue now reads 15 min. The
  // checks come every minute counted from the origin, not from the arrivals: the next, at 10:18,
  // escalates "x" and ann's "w3".
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Minutes(30)).ok());
  escalated = Events(Kind::kEscalated);
  ASSERT_EQ(escalated.size(), 2u);
  EXPECT_EQ(escalated[0].item, "w3");
  EXPECT_EQ(escalated[1].item, "x");
  for (const EngineEvent& e : escalated) EXPECT_EQ(e.at, monday_ + absl::Minutes(18));
}

TEST_F(EngineTest, LiveReconfigurationRetargetsFromTheOriginalStart) {
  Submit("t1", "general", "email", "A", monday_);
  std::string doubled(kConfig);
  doubled.replace(doubled.find(R"("resolution": "30m")"), 19, R"("resolution": "60m")");
  ASSERT_TRUE(ReconfigureFromJson(*engine_, doubled, monday_ + absl::Minutes(10)).ok());
  for (const SlaClockView& clock : Item("t1").sla) {
    if (clock.metric == SlaMetric::kResolution) {
      EXPECT_EQ(clock.deadline, monday_ + absl::Minutes(60));
    }
  }
  std::string no_tech(kConfig);
  no_tech.replace(no_tech.find(R"({"name": "tech")"), 15, R"({"name": "tek")");
  EXPECT_THAT(ReconfigureFromJson(*engine_, no_tech, monday_ + absl::Minutes(11)).message(),
              HasSubstr("cannot be removed"));
}

TEST_F(EngineTest, ARetargetByReconfigurationFiresPassedThresholdsLateAtTheirInstants) {
  Submit("t1", "general", "email", "A", monday_);
  (void)engine_->PollEvents();
  // 30 minutes become 5: the threshold instants lie in the past, as they would after an update.
  std::string shorter(kConfig);
  shorter.replace(shorter.find(R"("resolution": "30m")"), 19, R"("resolution": "5m")");
  ASSERT_TRUE(ReconfigureFromJson(*engine_, shorter, monday_ + absl::Minutes(10)).ok());
  int breaches = 0;
  for (const EngineEvent& e : engine_->PollEvents()) {
    if (e.metric != SlaMetric::kResolution) continue;
    EXPECT_TRUE(e.late) << e.kind;
    EXPECT_EQ(e.at, monday_ + absl::Minutes(10));
    breaches += e.kind == EngineEventKind::kSlaBreached ? 1 : 0;
  }
  EXPECT_EQ(breaches, 1);
  for (const SlaClockView& clock : Item("t1").sla) {
    if (clock.metric == SlaMetric::kResolution) {
      EXPECT_EQ(clock.deadline, monday_ + absl::Minutes(5));
    }
  }
}

TEST_F(EngineTest, AReconfiguredTimeLimitAppliesToTheLevelAlreadyEntered) {
  Submit("t1", "general", "email", "C", monday_);
  Submit("t2", "general", "email", "C", monday_);
  std::string shorter(kConfig);
  const std::string l1 = R"({"name": "L1", "time_limit": "4h")";
  shorter.replace(shorter.find(l1), l1.size(), R"({"name": "L1", "time_limit": "1h")");
  // At the instant both entered L1: the new limit counts from then, for each of them.
  ASSERT_TRUE(ReconfigureFromJson(*engine_, shorter, monday_).ok());
  (void)engine_->PollEvents();
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Hours(1) - absl::Seconds(1)).ok());
  EXPECT_TRUE(Events(Kind::kEscalated).empty());
  ASSERT_TRUE(engine_->AdvanceTo(monday_ + absl::Hours(1)).ok());
  std::vector<std::string> escalated;
  for (const EngineEvent& e : Events(Kind::kEscalated)) {
    EXPECT_EQ(e.trigger, "level_time_limit");
    escalated.push_back(e.item);
  }
  EXPECT_THAT(escalated, ElementsAre("t1", "t2"));
  EXPECT_EQ(Item("t1").level, 1);
}

TEST_F(EngineTest, SnapshotRestoresAnEngineThatContinuesIdentically) {
  Agent("ann", {}, {{"voice", 1}}, {"general"}, monday_);
  Submit("c1", "general", "voice", "A", monday_);
  Submit("c2", "general", "voice", "B", monday_);
  absl::StatusOr<std::unique_ptr<Engine>> copy = RestoreEngine(engine_->Snapshot());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->StateDigest(), engine_->StateDigest());
  (void)engine_->PollEvents();
  for (Engine* e : {engine_.get(), copy->get()}) {
    ASSERT_TRUE(e->Accept("c1", "ann", monday_ + absl::Seconds(3)).ok());
    ASSERT_TRUE(e->AdvanceTo(monday_ + absl::Hours(1)).ok());
  }
  EXPECT_EQ(engine_->PollEvents(), (*copy)->PollEvents());
  EXPECT_EQ(engine_->Snapshot(), (*copy)->Snapshot());
}

TEST_F(EngineTest, CommandsAsValuesApplyAsTheirMethods) {
  for (int k = 0; k < kEngineCommandKindCount; ++k) {
    const auto kind = static_cast<EngineCommandKind>(k);
    EXPECT_EQ(ParseEngineCommandKind(EngineCommandKindName(kind)).value(), kind);
  }
  EXPECT_THAT(ParseEngineCommandKind("launch").status().message(), HasSubstr("unknown command"));
  ASSERT_TRUE(
      engine_
          ->Apply(
              {.kind = EngineCommandKind::kSubmit,
               .at = monday_,
               .item_spec = {.id = "t1", .queue = "general", .channel = "chat", .priority = "A"}})
          .ok());
  EXPECT_EQ(Item("t1").state, ItemState::kQueued);
  EXPECT_EQ(engine_
                ->Apply({.kind = EngineCommandKind::kReconfigure,
                         .at = monday_,
                         .text = std::string(kConfig)})
                .code(),
            absl::StatusCode::kInvalidArgument);  // no loader
  EXPECT_TRUE(engine_
                  ->Apply({.kind = EngineCommandKind::kReconfigure,
                           .at = monday_,
                           .text = std::string(kConfig)},
                          ParseEngineConfigJson)
                  .ok());
  ASSERT_TRUE(
      engine_->Apply({.kind = EngineCommandKind::kCancel, .at = monday_, .item = "t1"}).ok());
  EXPECT_EQ(engine_->Item("t1").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace omniroute
