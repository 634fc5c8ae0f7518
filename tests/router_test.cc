#include "omniroute/router.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"
#include "internal/state_codec.h"
#include "routing_test_support.h"

namespace omniroute::routing_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A small centre: billing (skill 0) and tech (skill 1) queues.
struct Fixture {
  SkillCatalog catalog;
  SkillId billing = *catalog.Add("billing");
  SkillId tech = *catalog.Add("tech");
  SkillId trainee = *catalog.Add("trainee");
  Router router{Centre(), {}, kStart};

  SkillSet Skills(std::vector<std::pair<SkillId, int>> levels) {
    SkillSet skills;
    for (auto [skill, level] : levels) EXPECT_TRUE(skills.Set(skill, level).ok());
    return skills;
  }
  std::shared_ptr<const RequirementPlan> Plan(RequirementSpec spec) {
    absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(spec, catalog);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return std::make_shared<const RequirementPlan>(*plan);
  }
  QueueIndex Queue(const std::string& name, RouterQueueOptions options = {}) {
    absl::StatusOr<QueueIndex> queue = router.AddQueue(name, options);
    EXPECT_TRUE(queue.ok()) << queue.status();
    return *queue;
  }
  AgentIndex Agent(const std::string& id, SkillSet skills, std::vector<QueueAssignment> queues,
                   AgentCapacity capacity = Standard(), bool available = true) {
    absl::StatusOr<AgentIndex> agent =
        router.AddAgent({.id = id, .skills = skills, .queues = queues, .capacity = capacity});
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (available) {
      EXPECT_TRUE(router.SetAgentState(*agent, AgentState::kAvailable).ok());
    }
    return *agent;
  }
  void Submit(WorkItemId id, QueueIndex queue, ChannelId channel,
              std::shared_ptr<const RequirementPlan> plan = nullptr, int priority = 1,
              std::optional<AgentIndex> preferred = std::nullopt) {
    absl::Status s = router.Submit(id, queue,
                                   {.priority = priority,
                                    .arrival = router.now(),
                                    .requirement = plan,
                                    .channel = channel,
                                    .preferred_agent = preferred});
    ASSERT_TRUE(s.ok()) << s;
  }
  void Advance(absl::Duration d) { ASSERT_TRUE(router.AdvanceTo(router.now() + d).ok()); }
  // "kind item agent" lines of the events since the last call.
  std::vector<std::string> Events() {
    std::vector<std::string> lines;
    for (const RoutingEvent& e : router.PollEvents()) {
      if (e.kind == RoutingEventKind::kAgentState) {
        lines.push_back(absl::StrCat("agent_state ", e.agent, " ",
                                     std::string(AgentStateName(e.agent_state)),
                                     e.reason.empty() ? "" : ":", std::string(e.reason)));
        continue;
      }
      lines.push_back(absl::StrCat(std::string(RoutingEventKindName(e.kind)), " ", e.item,
                                   e.agent == kNoAgent ? "" : absl::StrCat(" ", e.agent)));
    }
    return lines;
  }
};

TEST(RouterTest, ArrivingWorkGoesToTheBestEligibleAgentElseWaits) {
  Fixture f;
  const QueueIndex q = f.Queue("billing");
  const AgentIndex ann = f.Agent("ann", f.Skills({{f.billing, 3}}), {{.queue = q}});
  f.Advance(absl::Minutes(1));
  const AgentIndex bob = f.Agent("bob", f.Skills({{f.billing, 7}}), {{.queue = q}});
  f.Events();
  // Needs billing 5: only bob.
  f.Submit(1, q, kChat, f.Plan({.must = {{f.billing, 5}}}));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", bob)));
  // Anyone: ann has been idle longest.
  f.Submit(2, q, kChat);
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 2 ", ann)));
  // A call needs an agent without chats: none; it waits.
  f.Submit(3, q, kVoice);
  EXPECT_THAT(f.Events(), ElementsAre("queued 3"));
  EXPECT_EQ(f.router.Find(3)->state, RoutedState::kQueued);
  ASSERT_TRUE(f.router.Accept(ann, 2).ok());
  ASSERT_TRUE(f.router.Complete(2).ok());
  // ann is free again: the call goes to her at once.
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("assigned 2 ", ann), absl::StrCat("offered 3 ", ann)));
}

TEST(RouterTest, RejectsAndExpiredOffersRequeueAtTheirPlaceAndExcludeTheAgent) {
  Fixture f;
  const QueueIndex q = f.Queue("billing", {.offer_timeout = absl::Seconds(20)});
  const AgentIndex ann =
      f.Agent("ann", SkillSet(), {{.queue = q}}, {.budget = 60, .limits = {0, 1}});
  f.Submit(1, q, kChat);
  f.Submit(2, q, kChat);
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", ann), "queued 2"));
  ASSERT_TRUE(f.router.Reject(ann, 1).ok());
  // 1 is back ahead of 2 but ann refused it: ann gets 2.
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("rejected 1 ", ann), "requeued 1",
                                      absl::StrCat("offered 2 ", ann)));
  EXPECT_THAT(f.router.Find(1)->refused, ElementsAre(ann));
  EXPECT_THAT(f.router.queues().queue(q).InOrder(), ElementsAre(1));
  const AgentIndex bob =
      f.Agent("bob", SkillSet(), {{.queue = q}}, {.budget = 60, .limits = {0, 1}});
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", bob)));
  // bob does not answer: the offer expires, bob goes away, item 1 waits again.
  f.Advance(absl::Seconds(19));
  EXPECT_TRUE(f.Events().empty());
  EXPECT_EQ(f.router.Find(1)->offer_expires, kStart + absl::Seconds(20));
  f.Advance(absl::Seconds(1));
  // Both offers expire at once, in the order they were made.
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("offer_expired 2 ", ann),
                          absl::StrCat("agent_state ", ann, " away:missed_offer"), "requeued 2",
                          absl::StrCat("offer_expired 1 ", bob),
                          absl::StrCat("agent_state ", bob, " away:missed_offer"), "requeued 1"));
  EXPECT_EQ(f.router.agents().State(bob), AgentState::kAway);
  EXPECT_EQ(f.router.agents().View(bob).away_reason, "missed_offer");
  // Accepting an expired offer is refused.
  EXPECT_EQ(f.router.Accept(bob, 1).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RouterTest, AutoAcceptAssignsAtOnce) {
  Fixture f;
  const QueueIndex q = f.Queue("push", {.auto_accept = true});
  const AgentIndex ann = f.Agent("ann", SkillSet(), {{.queue = q}});
  f.Submit(1, q, kEmail);
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("offered 1 ", ann), absl::StrCat("assigned 1 ", ann)));
  EXPECT_EQ(f.router.Find(1)->state, RoutedState::kAssigned);
}

// The state changes the router makes on its own are events, in the order they happen: a wrap-up
// starting and ending (then the agent takes the waiting call), and missed offers sending the
// agent away.
TEST(RouterTest, AgentStateChangesOfItsOwnAreEvents) {
  Fixture f;
  const QueueIndex q = f.Queue("calls", {.offer_timeout = absl::Seconds(20)});
  const AgentIndex ann = f.Agent("ann", SkillSet(), {{.queue = q}});
  f.Submit(1, q, kVoice);
  ASSERT_TRUE(f.router.Accept(ann, 1).ok());
  f.Submit(2, q, kVoice);
  (void)f.Events();
  f.Advance(absl::Minutes(5));
  ASSERT_TRUE(f.router.Complete(1).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("agent_state ", ann, " wrap_up")));
  f.Advance(absl::Seconds(29));
  EXPECT_TRUE(f.Events().empty());
  f.Advance(absl::Seconds(1));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("agent_state ", ann, " available"),
                                      absl::StrCat("offered 2 ", ann)));
  // A state set by command is no router event.
  f.Advance(absl::Seconds(20));
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("offer_expired 2 ", ann),
                          absl::StrCat("agent_state ", ann, " away:missed_offer"), "requeued 2"));
  ASSERT_TRUE(f.router.SetAgentState(ann, AgentState::kAvailable).ok());
  EXPECT_TRUE(f.Events().empty()) << "item 2 excludes ann, who missed it";

  // With away_on_missed_offer off, `auto_away_after_misses` misses in a row send the agent away.
  Router router(Centre(), {.agents = {.auto_away_after_misses = 2}, .away_on_missed_offer = false},
                kStart);
  const QueueIndex chats = *router.AddQueue("chats", {.offer_timeout = absl::Seconds(10)});
  const AgentIndex bob =
      *router.AddAgent({.id = "bob", .queues = {{.queue = chats}}, .capacity = Standard()});
  ASSERT_TRUE(router.SetAgentState(bob, AgentState::kAvailable).ok());
  ASSERT_TRUE(router.Submit(1, chats, {.arrival = kStart, .channel = kChat}).ok());
  ASSERT_TRUE(router.AdvanceTo(kStart + absl::Seconds(5)).ok());
  ASSERT_TRUE(router.Submit(2, chats, {.arrival = router.now(), .channel = kChat}).ok());
  ASSERT_TRUE(router.AdvanceTo(kStart + absl::Seconds(10)).ok());
  EXPECT_EQ(router.agents().State(bob), AgentState::kAvailable);
  ASSERT_TRUE(router.AdvanceTo(kStart + absl::Seconds(20)).ok());
  EXPECT_EQ(router.agents().State(bob), AgentState::kAway);
  std::vector<RoutingEvent> changes;
  for (const RoutingEvent& e : router.PollEvents()) {
    if (e.kind == RoutingEventKind::kAgentState) changes.push_back(e);
  }
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].agent, bob);
  EXPECT_EQ(changes[0].agent_state, AgentState::kAway);
  EXPECT_EQ(changes[0].reason, "missed_offers");
  EXPECT_EQ(changes[0].at, kStart + absl::Seconds(15));
}

TEST(RouterTest, ProfilePriorityAndDelays) {
  Fixture f;
  const QueueIndex vip = f.Queue("vip");
  const QueueIndex general = f.Queue("general");
  const QueueIndex overflow = f.Queue("overflow");
  // Nobody is available yet: everything waits.
  const AgentIndex ann = f.Agent("ann", SkillSet(),
                                 {{.queue = general, .priority = 1},
                                  {.queue = vip, .priority = 0},
                                  {.queue = overflow, .priority = 1, .delay = absl::Minutes(2)}},
                                 {.budget = 60, .limits = {0, 1}}, /*available=*/false);
  f.Submit(1, overflow, kChat);
  f.Advance(absl::Minutes(1));
  f.Submit(2, general, kChat);
  f.Advance(absl::Minutes(1));
  f.Submit(3, vip, kChat);
  f.Events();
  // The VIP tier first, although the others waited longer.
  ASSERT_TRUE(f.router.SetAgentState(ann, AgentState::kAvailable).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 3 ", ann)));
  ASSERT_TRUE(f.router.Accept(ann, 3).ok());
  ASSERT_TRUE(f.router.Complete(3).ok());
  // Tier 1: overflow's item is older (and past its 2 minute delay) than general's.
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("assigned 3 ", ann), absl::StrCat("offered 1 ", ann)));
  ASSERT_TRUE(f.router.Accept(ann, 1).ok());
  ASSERT_TRUE(f.router.Complete(1).ok());
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("assigned 1 ", ann), absl::StrCat("offered 2 ", ann)));
  ASSERT_TRUE(f.router.Accept(ann, 2).ok());
  ASSERT_TRUE(f.router.Complete(2).ok());
  f.Events();
  // A new overflow item waits its 2 minutes for ann, then a timer offers it.
  f.Submit(4, overflow, kChat);
  EXPECT_THAT(f.Events(), ElementsAre("queued 4"));
  std::vector<Candidate> explained = *f.router.Explain(4);
  EXPECT_EQ(explained[0].reason, "queue delay not reached");
  f.Advance(absl::Seconds(119));
  EXPECT_TRUE(f.Events().empty());
  f.Advance(absl::Seconds(1));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 4 ", ann)));
}

TEST(RouterTest, RelaxationWidensThePoolOverTime) {
  Fixture f;
  const QueueIndex q = f.Queue("tech", {.relax_when_nobody_qualifies = false});
  const AgentIndex ann = f.Agent("ann", f.Skills({{f.tech, 4}}), {{.queue = q}});
  f.Events();
  f.Submit(1, q, kEmail,
           f.Plan({.must = {{f.tech, 6}},
                   .steps = {RelaxationStep::LowerLevel(absl::Minutes(2), f.tech, 3)}}));
  EXPECT_THAT(f.Events(), ElementsAre("queued 1"));
  std::vector<Candidate> explained = *f.router.Explain(1);
  EXPECT_THAT(explained[0].reason, HasSubstr("level too low"));
  f.Advance(absl::Minutes(2));
  EXPECT_THAT(f.Events(), ElementsAre("requirement_relaxed 1", absl::StrCat("offered 1 ", ann)));
}

TEST(RouterTest, RelaxationStepsApplyAtOnceWhenNobodyLoggedInQualifies) {
  Fixture f;
  const QueueIndex q = f.Queue("tech", {.offer_timeout = absl::Minutes(3)});
  const AgentIndex ann = f.Agent("ann", f.Skills({{f.tech, 4}}), {{.queue = q}}, Standard(), false);
  const AgentIndex bob = f.Agent("bob", f.Skills({{f.tech, 2}}), {{.queue = q}});
  f.Events();
  const auto plan = f.Plan({.must = {{f.tech, 6}},
                            .steps = {RelaxationStep::LowerLevel(absl::Minutes(2), f.tech, 3),
                                      RelaxationStep::LowerLevel(absl::Minutes(5), f.tech, 1)}});
  // Nobody logged in has tech 3 or more: both steps apply at once and bob takes it.
  f.Submit(1, q, kEmail, plan);
  EXPECT_THAT(f.Events(), ElementsAre("requirement_relaxed 1", "requirement_relaxed 1",
                                      absl::StrCat("offered 1 ", bob)));
  // With ann logged in (away), tech 3 is someone's: the second step waits for its time.
  ASSERT_TRUE(f.router.SetAgentState(ann, AgentState::kAway).ok());
  f.Submit(2, q, kEmail, plan);
  EXPECT_THAT(f.Events(), ElementsAre("requirement_relaxed 2", "queued 2"));
  EXPECT_EQ(f.router.queues().NextRelaxationDue(), kStart + absl::Minutes(5));
  // Item 1's offer expires at minute 3; it keeps its relaxation when requeued.
  f.Advance(absl::Minutes(5));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offer_expired 1 ", bob),
                                      absl::StrCat("agent_state ", bob, " away:missed_offer"),
                                      "requeued 1", "requirement_relaxed 2"));
  EXPECT_EQ(f.router.Find(1)->requirement->must()[0][0].level, 1);
  ASSERT_TRUE(f.router.SetAgentState(bob, AgentState::kAvailable).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 2 ", bob)));
}

TEST(RouterTest, PreferredAgentHasFirstRefusalThenThePool) {
  Fixture f;
  const QueueIndex q = f.Queue("vip", {.offer_timeout = absl::InfiniteDuration(),
                                       .preferred_agent_window = absl::Minutes(1)});
  const AgentIndex senior =
      f.Agent("senior", SkillSet(), {{.queue = q}}, {.budget = 60, .limits = {0, 1}});
  const AgentIndex other = f.Agent("other", SkillSet(), {{.queue = q}});
  f.Submit(1, q, kChat, nullptr, 0, senior);
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", senior)));
  // The senior is busy: item 2 waits for the senior's window, then goes to the pool.
  f.Submit(2, q, kChat, nullptr, 0, senior);
  EXPECT_THAT(f.Events(), ElementsAre("queued 2"));
  EXPECT_EQ((*f.router.Explain(2))[0].reason, "no capacity on channel");
  f.Advance(absl::Minutes(1));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 2 ", other)));
  // A rejection by the preferred agent ends the window at once.
  f.Submit(3, q, kChat, nullptr, 0, other);
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 3 ", other)));
  ASSERT_TRUE(f.router.Reject(other, 3).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("rejected 3 ", other), "requeued 3"));
  ASSERT_TRUE(f.router.Reject(senior, 1).ok());
  // Item 1 goes to the pool (other), item 3 — which other refused — to the senior.
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("rejected 1 ", senior), "requeued 1",
                          absl::StrCat("offered 1 ", other), absl::StrCat("offered 3 ", senior)));
}

// A window holds an item only while its agent could take it some time: logged in and serving the
// queue. An offline agent gets none; logging out or leaving the queue closes it at once.
TEST(RouterTest, APreferredAgentHoldsItsWindowOnlyWhileLoggedInAndServing) {
  Fixture f;
  const QueueIndex q = f.Queue("vip", {.offer_timeout = absl::InfiniteDuration(),
                                       .preferred_agent_window = absl::Minutes(1)});
  const QueueIndex other_queue = f.Queue("general");
  const AgentIndex senior = f.Agent("senior", SkillSet(), {{.queue = q}}, Standard(),
                                    /*available=*/false);
  const AgentIndex other = f.Agent("other", SkillSet(), {{.queue = q}});
  // Offline: no window, the pool takes it at once.
  f.Submit(1, q, kEmail, nullptr, 0, senior);
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", other)));
  // Away is logged in: the window holds until the senior logs out, 20 s later.
  ASSERT_TRUE(f.router.SetAgentState(senior, AgentState::kAway).ok());
  f.Submit(2, q, kEmail, nullptr, 0, senior);
  EXPECT_THAT(f.Events(), ElementsAre("queued 2"));
  EXPECT_EQ((*f.router.Explain(2))[1].reason, "preferred agent's window");
  f.Advance(absl::Seconds(20));
  EXPECT_TRUE(f.Events().empty());
  ASSERT_TRUE(f.router.SetAgentState(senior, AgentState::kOffline).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 2 ", other)));
  // Leaving the queue closes it too; items preferring someone else keep theirs.
  ASSERT_TRUE(f.router.SetAgentState(senior, AgentState::kAway).ok());
  const AgentIndex third = f.Agent("third", SkillSet(), {{.queue = q}}, Standard(),
                                   /*available=*/false);
  ASSERT_TRUE(f.router.SetAgentState(third, AgentState::kAway).ok());
  f.Submit(3, q, kEmail, nullptr, 0, senior);
  f.Submit(4, q, kEmail, nullptr, 0, third);
  EXPECT_THAT(f.Events(), ElementsAre("queued 3", "queued 4"));
  ASSERT_TRUE(f.router.SetAgentQueues(senior, {{.queue = other_queue}}).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 3 ", other)));
  f.Advance(absl::Minutes(1));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 4 ", other)));
}

TEST(RouterTest, ChatAgentsFillEverySlotWhenTheyBecomeAvailable) {
  Fixture f;
  const QueueIndex q = f.Queue("chat");
  for (WorkItemId id = 1; id <= 5; ++id) f.Submit(id, q, kChat);
  f.Events();
  const AgentIndex ann = f.Agent("ann", SkillSet(), {{.queue = q}});
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("offered 1 ", ann), absl::StrCat("offered 2 ", ann),
                          absl::StrCat("offered 3 ", ann)));
  EXPECT_EQ(f.router.agents().View(ann).used_units, 60);
}

TEST(RouterTest, MostSkilledPicksTheHighestScore) {
  Fixture f;
  const QueueIndex q = f.Queue("tech", {.strategy = Strategy::kMostSkilled});
  f.Agent("a", f.Skills({{f.tech, 4}}), {{.queue = q}});
  const AgentIndex b = f.Agent("b", f.Skills({{f.tech, 9}}), {{.queue = q}});
  f.Agent("c", f.Skills({{f.tech, 6}}), {{.queue = q}});
  f.Events();
  f.Submit(1, q, kEmail, f.Plan({.must = {{f.tech, 3}}}));
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", b)));
}

TEST(RouterTest, ExplainGivesEachAgentsReason) {
  Fixture f;
  const QueueIndex q = f.Queue("billing");
  const QueueIndex other = f.Queue("other");
  f.Agent("away", f.Skills({{f.billing, 9}}), {{.queue = q}}, Standard(), false);
  f.Agent("elsewhere", f.Skills({{f.billing, 9}}), {{.queue = other}});
  f.Agent("trainee", f.Skills({{f.billing, 9}, {f.trainee, 1}}), {{.queue = q}});
  f.Agent("novice", f.Skills({{f.billing, 2}}), {{.queue = q}});
  f.Agent("none", SkillSet(), {{.queue = q}});
  f.Agent("busy", f.Skills({{f.billing, 9}}), {{.queue = q}}, {.budget = 60, .limits = {0, 0, 0}});
  f.Submit(1, q, kEmail, f.Plan({.must = {{f.billing, 5}}, .excluded = {f.trainee}}));
  std::map<std::string, std::string> reasons;
  const std::vector<Candidate> candidates = *f.router.Explain(1);
  for (const Candidate& c : candidates) {
    reasons[std::string(f.router.agents().View(c.agent).id)] = c.reason;
  }
  EXPECT_EQ(reasons["away"], "offline");
  EXPECT_EQ(reasons["elsewhere"], "does not serve queue");
  EXPECT_EQ(reasons["trainee"], absl::StrCat("excluded tag #", f.trainee));
  EXPECT_EQ(reasons["novice"], absl::StrCat("level too low #", f.billing, " (2 < 5)"));
  EXPECT_EQ(reasons["none"], absl::StrCat("missing skill #", f.billing));
  EXPECT_EQ(reasons["busy"], "does not take channel");
  EXPECT_EQ(f.router.Explain(9).status().code(), absl::StatusCode::kNotFound);
}

TEST(RouterTest, RefusedCommandsChangeNothing) {
  Fixture f;
  const QueueIndex q = f.Queue("billing");
  EXPECT_EQ(f.router.AddQueue("billing", {}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(f.router.AddQueue("x", {.offer_timeout = absl::ZeroDuration()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const AgentIndex ann =
      f.Agent("ann", SkillSet(), {{.queue = q}}, {.budget = 60, .limits = {0, 1}});
  const AgentIndex bob =
      f.Agent("bob", SkillSet(), {{.queue = q}}, {.budget = 60, .limits = {0, 1}});
  EXPECT_EQ(f.router.AddAgent({.id = "cid", .queues = {{.queue = 7}}}).status().code(),
            absl::StatusCode::kNotFound);
  f.Submit(1, q, kChat);
  f.Events();
  EXPECT_EQ(f.router.Submit(1, q, {.arrival = kStart, .channel = kChat}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(f.router.Submit(2, 9, {.arrival = kStart}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.router.Submit(2, q, {.arrival = kStart, .channel = 9}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.router.Submit(2, q, {.priority = 5, .arrival = kStart}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.router.Submit(2, q, {.arrival = kStart, .preferred_agent = 9}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(f.router.Accept(bob, 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.router.Reject(bob, 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.router.Complete(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.router.Accept(ann, 5).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.router.Remove(5).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.router.Transfer(1, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.router.Transfer(1, q, {.priority = 7}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.router.SetPriority(1, 7).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.router.SetAgentState(ann, AgentState::kOffline).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.router.SetAgentCapacity(ann, {.budget = 60, .limits = {0, 0}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.router.AdvanceTo(kStart - absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(f.Events().empty());
  EXPECT_EQ(f.router.size(), 1u);
  EXPECT_EQ(f.router.Find(1)->state, RoutedState::kOffered);
  EXPECT_EQ(f.router.Find(1)->agent, ann);
  EXPECT_EQ(f.router.agents().View(ann).used_units, 20);
  EXPECT_EQ(f.router.agents().View(bob).used_units, 0);
}

TEST(RouterTest, TransferAndRemoveFreeTheAgent) {
  Fixture f;
  const QueueIndex a = f.Queue("a");
  const QueueIndex b = f.Queue("b");
  const AgentIndex ann =
      f.Agent("ann", SkillSet(), {{.queue = a}}, {.budget = 60, .limits = {0, 1}});
  const AgentIndex bob =
      f.Agent("bob", SkillSet(), {{.queue = b}}, {.budget = 60, .limits = {0, 1}});
  f.Submit(1, a, kChat);
  f.Submit(2, a, kChat);
  ASSERT_TRUE(f.router.Accept(ann, 1).ok());
  f.Events();
  // Transferred to b: bob takes it; ann is free and takes item 2.
  ASSERT_TRUE(f.router.Transfer(1, b).ok());
  EXPECT_THAT(f.Events(),
              ElementsAre(absl::StrCat("offered 1 ", bob), absl::StrCat("offered 2 ", ann)));
  EXPECT_EQ(f.router.Find(1)->queue, b);
  ASSERT_TRUE(f.router.Remove(1).ok());
  EXPECT_FALSE(f.router.Find(1).has_value());
  EXPECT_EQ(f.router.agents().View(bob).used_units, 0);
}

// A transfer's changes are in place before the item is routed in its new queue: it is offered
// under the new requirement, to the preferred agent first, at the new priority.
TEST(RouterTest, ATransferRoutesOnceUnderItsChanges) {
  Fixture f;
  const QueueIndex a = f.Queue("a");
  const QueueIndex b = f.Queue("b", {.preferred_agent_window = absl::Minutes(1)});
  const AgentIndex ann = f.Agent("ann", SkillSet(), {{.queue = a}});
  const AgentIndex bob = f.Agent("bob", f.Skills({{f.billing, 2}}), {{.queue = b}});
  const AgentIndex cleo = f.Agent("cleo", f.Skills({{f.billing, 6}}), {{.queue = b}});
  const AgentIndex dan = f.Agent("dan", f.Skills({{f.billing, 6}}), {{.queue = b}});
  f.Submit(1, a, kChat);
  ASSERT_TRUE(f.router.Accept(ann, 1).ok());
  f.Events();
  EXPECT_EQ(f.router.Transfer(1, b, {.preferred_agent = 9}).code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(f.Events(), IsEmpty());
  // bob has waited longest but lacks billing 5; of the two who have it, dan is preferred.
  ASSERT_TRUE(f.router
                  .Transfer(1, b,
                            {.priority = 0,
                             .requirement = f.Plan({.must = {{f.billing, 5}}}),
                             .preferred_agent = dan})
                  .ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("offered 1 ", dan)));
  ASSERT_TRUE(f.router.Reject(dan, 1).ok());
  EXPECT_THAT(f.Events(), ElementsAre(absl::StrCat("rejected 1 ", dan), "requeued 1",
                                      absl::StrCat("offered 1 ", cleo)));
  EXPECT_EQ(f.router.Find(1)->priority, 0);
  EXPECT_EQ(f.router.agents().View(bob).used_units, 0);
}

TEST(RouterBatchTest, JointAssignmentLetsTheSpecialistServeWhatOnlyTheyCan) {
  // At shift start: item 1 (tech) waits longest, item 2 needs billing. The generalist has been
  // idle longest. One by one, the generalist takes item 1 and item 2 waits; jointly both are
  // served.
  const auto run = [](bool batch) {
    Fixture f;
    const QueueIndex q = f.Queue("q");
    f.Submit(1, q, kChat, f.Plan({.must = {{f.tech, 1}}}));
    f.Advance(absl::Minutes(1));
    f.Submit(2, q, kChat, f.Plan({.must = {{f.billing, 1}}}));
    const AgentCapacity one_chat{.budget = 60, .limits = {0, 1}};
    const AgentIndex generalist = f.Agent("generalist", f.Skills({{f.tech, 5}, {f.billing, 5}}),
                                          {{.queue = q}}, one_chat, false);
    const AgentIndex specialist =
        f.Agent("specialist", f.Skills({{f.tech, 5}}), {{.queue = q}}, one_chat, false);
    f.Events();
    if (batch) f.router.BeginBatch();
    EXPECT_TRUE(f.router.SetAgentState(generalist, AgentState::kAvailable).ok());
    EXPECT_TRUE(f.router.SetAgentState(specialist, AgentState::kAvailable).ok());
    if (batch) {
      EXPECT_TRUE(f.router.batching());
      EXPECT_TRUE(f.Events().empty());
      EXPECT_TRUE(f.router.EndBatch().ok());
    }
    return f.Events();
  };
  EXPECT_THAT(run(false), ElementsAre("offered 1 0"));
  EXPECT_THAT(run(true), ElementsAre("offered 1 1", "offered 2 0"));
}

TEST(RouterBatchTest, WithoutConflictsBatchAndOneByOneAgree) {
  const auto run = [](bool batch) {
    Fixture f;
    const QueueIndex q = f.Queue("q", {.strategy = Strategy::kMostSkilled});
    const AgentCapacity one_each{.budget = 60, .limits = {0, 1, 1}};
    f.Agent("t", f.Skills({{f.tech, 9}}), {{.queue = q}}, one_each);
    f.Agent("b", f.Skills({{f.billing, 9}}), {{.queue = q}}, one_each);
    f.Agent("t2", f.Skills({{f.tech, 2}}), {{.queue = q}}, one_each);
    f.Events();
    if (batch) f.router.BeginBatch();
    f.Submit(1, q, kChat, f.Plan({.must = {{f.tech, 1}}}));
    f.Submit(2, q, kEmail, f.Plan({.must = {{f.billing, 1}}}));
    if (batch) {
      EXPECT_TRUE(f.router.EndBatch().ok());
    }
    std::vector<std::string> offers;
    for (const std::string& event : f.Events()) {
      if (event.starts_with("offered")) offers.push_back(event);
    }
    std::sort(offers.begin(), offers.end());
    return offers;
  };
  EXPECT_EQ(run(true), run(false));
  EXPECT_THAT(run(true), ElementsAre("offered 1 0", "offered 2 1"));
  Fixture f;
  EXPECT_EQ(f.router.EndBatch().code(), absl::StatusCode::kFailedPrecondition);
}

// Random commands against the invariants: capacity never exceeded; every held item matched its
// agent's skills when offered; each item in exactly one place; after every command no ready
// agent and eligible waiting item are left unmatched.
void RunInvariants(Strategy strategy, uint64_t seed) {
  SCOPED_TRACE(absl::StrCat(std::string(StrategyName(strategy)), " seed ", seed));
  Fixture f;
  std::mt19937_64 rng(seed);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::vector<QueueIndex> queues;
  for (int i = 0; i < 3; ++i) {
    WorkQueueOptions order{.order = static_cast<QueueOrder>(i), .max_wait = absl::Minutes(4)};
    queues.push_back(f.Queue(absl::StrCat("q", i), {.order = order,
                                                    .strategy = strategy,
                                                    .auto_accept = i == 2,
                                                    .offer_timeout = absl::Seconds(45),
                                                    .preferred_agent_window = absl::Seconds(30)}));
  }
  const std::vector<std::shared_ptr<const RequirementPlan>> plans = {
      nullptr,
      f.Plan({.must = {{f.billing, 5}}}),
      f.Plan({.must = {{f.tech, 7}},
              .excluded = {f.trainee},
              .steps = {RelaxationStep::LowerLevel(absl::Minutes(1), f.tech, 3),
                        RelaxationStep::Drop(absl::Minutes(3), f.trainee)}}),
      f.Plan({.must = {{f.billing, 2}, {f.tech, 2}}}),
  };
  const auto random_skills = [&] {
    std::vector<std::pair<SkillId, int>> levels;
    if (uniform(0, 1)) levels.push_back({f.billing, uniform(1, 9)});
    if (uniform(0, 1)) levels.push_back({f.tech, uniform(1, 9)});
    if (uniform(0, 3) == 0) levels.push_back({f.trainee, 1});
    return f.Skills(levels);
  };
  const auto random_profile = [&] {
    std::vector<QueueAssignment> profile;
    for (QueueIndex q : queues) {
      if (uniform(0, 2) > 0) {
        profile.push_back(
            {.queue = q, .priority = uniform(0, 1), .delay = absl::Seconds(uniform(0, 1) * 40)});
      }
    }
    return profile;
  };
  for (int i = 0; i < 12; ++i) {
    f.Agent(absl::StrCat("agent", i), random_skills(), random_profile(),
            {.budget = 60, .limits = {uniform(0, 1), uniform(0, 3), uniform(0, 5)}}, uniform(0, 1));
  }
  WorkItemId next = 1;
  for (int step = 0; step < 1500; ++step) {
    if (uniform(0, 29) == 0 && !f.router.batching()) f.router.BeginBatch();
    const int op = uniform(0, 99);
    const AgentIndex agent = uniform(0, 11);
    std::vector<WorkItemId> known;
    for (WorkItemId id = 1; id < next; ++id) {
      if (f.router.Find(id)) known.push_back(id);
    }
    const WorkItemId some = known.empty() ? 0 : known[uniform(0, known.size() - 1)];
    if (op < 30) {
      const std::optional<AgentIndex> preferred =
          uniform(0, 4) == 0 ? std::optional<AgentIndex>(uniform(0, 11)) : std::nullopt;
      (void)f.router.Submit(next++, queues[uniform(0, 2)],
                            {.priority = uniform(0, 2),
                             .arrival = f.router.now() - absl::Seconds(uniform(0, 1) * 30),
                             .requirement = plans[uniform(0, plans.size() - 1)],
                             .channel = static_cast<ChannelId>(uniform(0, 2)),
                             .preferred_agent = preferred});
    } else if (op < 45 && some) {
      const std::optional<RoutedItemView> view = f.router.Find(some);
      if (view->state == RoutedState::kOffered) {
        if (uniform(0, 2)) {
          ASSERT_TRUE(f.router.Accept(view->agent, some).ok());
        } else {
          ASSERT_TRUE(f.router.Reject(view->agent, some).ok());
        }
      } else if (view->state == RoutedState::kAssigned) {
        ASSERT_TRUE(f.router.Complete(some).ok());
      } else {
        EXPECT_EQ(f.router.Complete(some).code(), absl::StatusCode::kFailedPrecondition);
      }
    } else if (op < 50 && some) {
      ASSERT_TRUE(f.router.Remove(some).ok());
    } else if (op < 55 && some) {
      (void)f.router.Transfer(some, queues[uniform(0, 2)], {.priority = uniform(0, 3)});
    } else if (op < 65) {
      (void)f.router.SetAgentState(agent, static_cast<AgentState>(uniform(0, 2)), "r");
    } else if (op < 68) {
      ASSERT_TRUE(f.router.SetAgentSkills(agent, random_skills()).ok());
    } else if (op < 70) {
      ASSERT_TRUE(f.router.SetAgentQueues(agent, random_profile()).ok());
    } else if (op < 73) {
      (void)f.router.SetAgentCapacity(
          agent, {.budget = 60, .limits = {uniform(0, 1), uniform(0, 3), uniform(0, 5)}});
    } else if (op < 76 && some) {
      (void)f.router.SetRequirement(some, plans[uniform(0, plans.size() - 1)]);
    } else {
      ASSERT_TRUE(f.router.AdvanceTo(f.router.now() + absl::Seconds(uniform(0, 50))).ok());
    }

    if (f.router.batching()) {
      if (uniform(0, 3) > 0) continue;
      ASSERT_TRUE(f.router.EndBatch().ok());
    }
    for (const RoutingEvent& e : f.router.PollEvents()) {
      if (e.kind != RoutingEventKind::kOffered) continue;
      // The offered item's requirement matches the agent's skills.
      const std::optional<RoutedItemView> view = f.router.Find(e.item);
      if (!view || view->agent != e.agent) continue;  // already refused or taken back
      ASSERT_TRUE(view->requirement->Matches(f.router.agents().Skills(e.agent)))
          << "step " << step << ": item " << e.item << " offered to agent " << e.agent;
    }
    size_t queued = 0;
    for (WorkItemId id = 1; id < next; ++id) {
      const std::optional<RoutedItemView> view = f.router.Find(id);
      if (!view) {
        ASSERT_FALSE(f.router.queues().QueueOf(id).has_value());
        continue;
      }
      if (view->state == RoutedState::kQueued) {
        ++queued;
        ASSERT_EQ(f.router.queues().QueueOf(id), view->queue);
        for (AgentIndex a = 0; a < f.router.agents().size(); ++a) {
          ASSERT_FALSE(f.router.Eligible(a, id))
              << "step " << step << ": agent " << a << " idles beside item " << id;
          const auto& held_work = f.router.agents().Held(a);
          ASSERT_TRUE(std::none_of(held_work.begin(), held_work.end(),
                                   [id](const HeldWork& w) { return w.item == id; }));
        }
      } else {
        ASSERT_FALSE(f.router.queues().QueueOf(id).has_value());
        const auto& held_work = f.router.agents().Held(view->agent);
        const auto it = std::find_if(held_work.begin(), held_work.end(),
                                     [id](const HeldWork& w) { return w.item == id; });
        ASSERT_NE(it, held_work.end());
        ASSERT_EQ(it->pending, view->state == RoutedState::kOffered);
      }
    }
    ASSERT_EQ(queued, f.router.queues().size());
    for (AgentIndex a = 0; a < f.router.agents().size(); ++a) {
      const AgentView view = f.router.agents().View(a);
      ASSERT_LE(view.used_units, view.budget);
      for (const HeldWork& w : f.router.agents().Held(a)) {
        ASSERT_TRUE(f.router.Find(w.item).has_value());
        ASSERT_EQ(f.router.Find(w.item)->agent, a);
      }
    }
  }
}

TEST(RouterInvariantTest, LongestIdle) { RunInvariants(Strategy::kLongestIdle, 1); }
TEST(RouterInvariantTest, LeastOccupied) { RunInvariants(Strategy::kLeastOccupied, 2); }
TEST(RouterInvariantTest, RoundRobin) { RunInvariants(Strategy::kRoundRobin, 3); }
TEST(RouterInvariantTest, MostSkilled) { RunInvariants(Strategy::kMostSkilled, 4); }
TEST(RouterInvariantTest, FewestHandled) { RunInvariants(Strategy::kFewestHandled, 5); }
TEST(RouterInvariantTest, WeightedFair) { RunInvariants(Strategy::kWeightedFair, 6); }
TEST(RouterInvariantTest, Random) { RunInvariants(Strategy::kRandom, 7); }

// ---------------------------------------------------------------------------------------------
// Saved state: a router loaded from another's state behaves exactly as the original from there
// on.

// A centre of three queues (one per order) under one strategy; the driver adds twelve agents.
struct StateFixture {
  SkillCatalog catalog;
  SkillId billing = *catalog.Add("billing");
  SkillId tech = *catalog.Add("tech");
  SkillId trainee = *catalog.Add("trainee");
  std::vector<std::shared_ptr<const RequirementPlan>> plans;

  StateFixture() {
    const auto plan = [this](RequirementSpec spec) {
      return std::make_shared<const RequirementPlan>(*RequirementPlan::Create(spec, catalog));
    };
    plans = {nullptr, plan({.must = {{billing, 5}}}),
             plan({.must = {{tech, 7}},
                   .excluded = {trainee},
                   .steps = {RelaxationStep::LowerLevel(absl::Minutes(1), tech, 3),
                             RelaxationStep::Drop(absl::Minutes(3), trainee)}}),
             plan({.must = {{billing, 2}, {tech, 2}}})};
  }

  static Router NewRouter(Strategy strategy) {
    Router router(Centre(),
                  {.agents = {.reject_cooldown = absl::Seconds(20),
                              .missed_cooldown = absl::Seconds(40),
                              .auto_away_after_misses = 3}},
                  kStart);
    for (int i = 0; i < 3; ++i) {
      WorkQueueOptions order{.order = static_cast<QueueOrder>(i), .max_wait = absl::Minutes(4)};
      EXPECT_TRUE(router
                      .AddQueue(absl::StrCat("q", i), {.order = order,
                                                       .strategy = strategy,
                                                       .auto_accept = i == 2,
                                                       .offer_timeout = absl::Seconds(45),
                                                       .preferred_agent_window = absl::Seconds(30)})
                      .ok());
    }
    return router;
  }
};

// A random command, drawn from `rng`, applied to every router in `routers` alike; returns what
// each answered and emitted, which must agree.
std::vector<std::string> RouterStep(const StateFixture& f, std::vector<Router*> routers,
                                    std::mt19937_64& rng, WorkItemId& next) {
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const auto skills = [&] {
    SkillSet set;
    if (uniform(0, 1)) (void)set.Set(f.billing, uniform(1, 9));
    if (uniform(0, 1)) (void)set.Set(f.tech, uniform(1, 9));
    if (uniform(0, 3) == 0) (void)set.Set(f.trainee, 1);
    return set;
  };
  const auto profile = [&] {
    std::vector<QueueAssignment> queues;
    for (QueueIndex q = 0; q < 3; ++q) {
      if (uniform(0, 2) > 0) {
        queues.push_back(
            {.queue = q, .priority = uniform(0, 1), .delay = absl::Seconds(uniform(0, 1) * 40)});
      }
    }
    return queues;
  };
  const Router& first = *routers.front();
  const int agents = static_cast<int>(first.agents().size());
  const int op = uniform(0, 99);
  const auto agent = static_cast<AgentIndex>(agents == 0 ? 0 : uniform(0, agents - 1));
  std::vector<WorkItemId> known;
  for (WorkItemId id = 1; id < next; ++id) {
    if (first.Find(id)) known.push_back(id);
  }
  const WorkItemId some = known.empty() ? 0 : known[uniform(0, known.size() - 1)];
  std::function<absl::Status(Router&)> command;
  if (agents < 12 && (op < 8 || agents == 0)) {
    const AgentConfig config{
        .id = absl::StrCat("agent", agents),
        .skills = skills(),
        .queues = profile(),
        .capacity = {.budget = 60, .limits = {uniform(0, 1), uniform(0, 3), uniform(0, 5)}}};
    command = [config](Router& r) { return r.AddAgent(config).status(); };
  } else if (op < 35) {
    const RoutedItem item{.priority = uniform(0, 2),
                          .arrival = first.now() - absl::Seconds(uniform(0, 1) * 30),
                          .requirement = f.plans[uniform(0, f.plans.size() - 1)],
                          .channel = static_cast<ChannelId>(uniform(0, 2)),
                          .preferred_agent = uniform(0, 4) == 0
                                                 ? std::optional<AgentIndex>(uniform(0, 11))
                                                 : std::nullopt};
    const QueueIndex queue = uniform(0, 2);
    command = [id = next++, queue, item](Router& r) { return r.Submit(id, queue, item); };
  } else if (op < 50 && some) {
    const int choice = uniform(0, 2);
    command = [some, choice](Router& r) {
      const std::optional<RoutedItemView> view = r.Find(some);
      if (view->state == RoutedState::kOffered) {
        return choice > 0 ? r.Accept(view->agent, some) : r.Reject(view->agent, some);
      }
      return r.Complete(some);
    };
  } else if (op < 54 && some) {
    command = [some](Router& r) { return r.Remove(some); };
  } else if (op < 58 && some) {
    const QueueIndex queue = uniform(0, 2);
    const int priority = uniform(0, 3);
    command = [some, queue, priority](Router& r) {
      return r.Transfer(some, queue, {.priority = priority});
    };
  } else if (op < 68) {
    const auto state = static_cast<AgentState>(uniform(0, 2));
    command = [agent, state](Router& r) { return r.SetAgentState(agent, state, "r"); };
  } else if (op < 71) {
    command = [agent, set = skills()](Router& r) { return r.SetAgentSkills(agent, set); };
  } else if (op < 73) {
    command = [agent, queues = profile()](Router& r) { return r.SetAgentQueues(agent, queues); };
  } else if (op < 76 && some) {
    command = [some, plan = f.plans[uniform(0, f.plans.size() - 1)]](Router& r) {
      return r.SetRequirement(some, plan);
    };
  } else {
    const absl::Time to = first.now() + absl::Seconds(uniform(0, 50));
    command = [to](Router& r) { return r.AdvanceTo(to); };
  }
  std::vector<std::string> lines;
  for (Router* router : routers) {
    std::string line = command(*router).ToString();
    for (const RoutingEvent& e : router->PollEvents()) {
      absl::StrAppend(&line, " ", std::string(RoutingEventKindName(e.kind)), ":", e.item, ":",
                      e.agent, ":", e.queue, ":", absl::FormatTime(e.at), ":", e.steps_applied);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// The router's observable standing: items, agents, queues, the next due instant.
std::string DescribeRouter(const Router& router, WorkItemId next) {
  std::string out = absl::StrCat(absl::FormatTime(router.now()), "\n");
  for (WorkItemId id = 1; id < next; ++id) {
    const std::optional<RoutedItemView> view = router.Find(id);
    if (!view) continue;
    absl::StrAppend(&out, id, " ", static_cast<int>(view->state), " q", view->queue, " a",
                    view->agent, " p", view->priority, " ", absl::FormatTime(view->offer_expires),
                    " r", view->refused.size(), "\n");
  }
  for (AgentIndex a = 0; a < router.agents().size(); ++a) {
    const AgentView view = router.agents().View(a);
    absl::StrAppend(&out, std::string(view.id), " ", std::string(AgentStateName(view.state)), " ",
                    std::string(view.away_reason), " ", view.used_units, " ", view.handled, "/",
                    view.accepted, "/", view.missed_in_a_row, " ",
                    absl::FormatTime(view.last_activity), " ",
                    absl::FormatTime(view.cooldown_until), " b", view.bucket, "\n");
  }
  for (QueueIndex q = 0; q < router.queues().queue_count(); ++q) {
    for (const WorkItemId id : router.queues().queue(q).InOrder()) absl::StrAppend(&out, id, ",");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// The state and the plans in the order it numbers them (the very plans: routers that share
// plans save equal bytes, and commands after the load bring the same plans).
std::pair<std::string, std::vector<std::shared_ptr<const RequirementPlan>>> SaveRouter(
    const Router& router) {
  internal::PlanTable plans;
  internal::ByteWriter out;
  internal::StateCodec::Save(router, plans, out);
  return {std::string(out.bytes()), plans.plans()};
}

absl::Status LoadRouter(
    Router& router,
    const std::pair<std::string, std::vector<std::shared_ptr<const RequirementPlan>>>& saved,
    size_t length = std::string::npos) {
  internal::ByteReader in(std::string_view(saved.first).substr(0, length));
  absl::Status status = internal::StateCodec::Load(router, internal::PlanTable(saved.second), in);
  if (status.ok() && !in.done()) return absl::InvalidArgumentError("trailing bytes");
  return status;
}

// Where two byte strings first differ; npos when equal.
size_t FirstDifference(std::string_view a, std::string_view b) {
  const auto [x, y] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return x == a.end() && y == b.end() ? std::string::npos : static_cast<size_t>(x - a.begin());
}

TEST(RouterStateTest, ALoadedRouterBehavesAsTheOriginal) {
  const StateFixture fixture;
  for (int strategy = 0; strategy < kStrategyCount; ++strategy) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE(
          absl::StrCat(std::string(StrategyName(static_cast<Strategy>(strategy))), " seed ", seed));
      std::mt19937_64 rng(seed * 31 + static_cast<uint64_t>(strategy));
      Router original = StateFixture::NewRouter(static_cast<Strategy>(strategy));
      WorkItemId next = 1;
      const int before = static_cast<int>(rng() % 800);
      for (int i = 0; i < before; ++i) RouterStep(fixture, {&original}, rng, next);
      const auto saved = SaveRouter(original);
      Router loaded = StateFixture::NewRouter(static_cast<Strategy>(strategy));
      ASSERT_TRUE(LoadRouter(loaded, saved).ok()) << LoadRouter(loaded, saved);
      EXPECT_EQ(FirstDifference(SaveRouter(loaded).first, saved.first), std::string::npos);
      ASSERT_EQ(DescribeRouter(loaded, next), DescribeRouter(original, next));
      for (int i = 0; i < 800; ++i) {
        const std::vector<std::string> lines = RouterStep(fixture, {&original, &loaded}, rng, next);
        ASSERT_EQ(lines[1], lines[0]) << i;
        if (i % 40 == 0) {
          ASSERT_EQ(DescribeRouter(loaded, next), DescribeRouter(original, next)) << i;
        }
      }
      ASSERT_EQ(DescribeRouter(loaded, next), DescribeRouter(original, next));
      EXPECT_EQ(FirstDifference(SaveRouter(loaded).first, SaveRouter(original).first),
                std::string::npos);
    }
  }
}

// Truncations are refused and change nothing; flipped bytes are refused or load a router whose
// structure holds (it routes on without fault).
TEST(RouterStateTest, CorruptStateIsRefusedOrConsistent) {
  const StateFixture fixture;
  std::mt19937_64 rng(77);
  Router original = StateFixture::NewRouter(Strategy::kLongestIdle);
  WorkItemId next = 1;
  for (int i = 0; i < 200; ++i) RouterStep(fixture, {&original}, rng, next);
  const auto saved = SaveRouter(original);
  Router target = StateFixture::NewRouter(Strategy::kLongestIdle);
  const std::string before = SaveRouter(target).first;
  for (size_t length = 0; length < saved.first.size(); length += 1 + length / 64) {
    ASSERT_FALSE(LoadRouter(target, saved, length).ok()) << length;
  }
  EXPECT_EQ(SaveRouter(target).first, before);
  int refused = 0;
  for (int trial = 0; trial < 600; ++trial) {
    auto corrupt = saved;
    corrupt.first[rng() % corrupt.first.size()] ^= static_cast<char>(1 + rng() % 255);
    Router loaded = StateFixture::NewRouter(Strategy::kLongestIdle);
    if (!LoadRouter(loaded, corrupt).ok()) {
      ++refused;
      continue;
    }
    WorkItemId id = next;
    for (int i = 0; i < 30; ++i) RouterStep(fixture, {&loaded}, rng, id);
  }
  EXPECT_GT(refused, 200);
}

}  // namespace
}  // namespace omniroute::routing_test
