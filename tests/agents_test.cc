#include "omniroute/agents.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing_test_support.h"

namespace omniroute::routing_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

AgentIndex MustAdd(AgentPool& pool, const std::string& id, AgentCapacity capacity = Standard(),
                   SkillSet skills = SkillSet(), std::vector<QueueAssignment> queues = {{}}) {
  absl::StatusOr<AgentIndex> agent = pool.AddAgent(
      {.id = id, .skills = std::move(skills), .queues = std::move(queues), .capacity = capacity});
  EXPECT_TRUE(agent.ok()) << agent.status();
  return *agent;
}

AgentIndex MustAddAvailable(AgentPool& pool, const std::string& id,
                            AgentCapacity capacity = Standard(), SkillSet skills = SkillSet()) {
  const AgentIndex agent = MustAdd(pool, id, capacity, std::move(skills));
  EXPECT_TRUE(pool.SetState(agent, AgentState::kAvailable).ok());
  return agent;
}

TEST(ChannelModelTest, ValidatesAndMakesBlockingSymmetric) {
  const ChannelModel model = Centre();
  EXPECT_EQ(model.size(), 3u);
  EXPECT_EQ(*model.Find("chat"), kChat);
  EXPECT_EQ(model.Find("fax").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(model.blocked(kVoice), 1u << kChat);
  EXPECT_EQ(model.blocked(kChat), 1u << kVoice);
  EXPECT_EQ(model.blocked(kEmail), 0u);
  const auto invalid = [](std::vector<ChannelSpec> specs, const std::string& text) {
    absl::StatusOr<ChannelModel> created = ChannelModel::Create(std::move(specs));
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(created.status().message(), HasSubstr(text));
  };
  invalid({{.name = "vo ice"}}, "vo ice");
  invalid({{.name = "a"}, {.name = "a"}}, "twice");
  invalid({{.name = "a", .cost = 0}}, "cost 0");
  invalid({{.name = "a", .blocks = {"b"}}}, "unknown channel \"b\"");
  invalid({{.name = "a", .blocks = {"a"}}}, "itself");
  invalid({{.name = "a", .wrap_up = absl::Seconds(-1)}}, "wrap_up");
  std::vector<ChannelSpec> many;
  for (int i = 0; i < 33; ++i) many.push_back({.name = absl::StrCat("c", i)});
  invalid(many, "at most 32");
}

TEST(AgentPoolTest, NamesOfStatesAndStrategiesRoundTrip) {
  for (int s = 0; s < kStrategyCount; ++s) {
    EXPECT_EQ(*ParseStrategy(StrategyName(static_cast<Strategy>(s))), static_cast<Strategy>(s));
  }
  EXPECT_THAT(ParseStrategy("fastest").status().message(), HasSubstr("\"fastest\""));
  EXPECT_EQ(*ParseAgentState("wrap_up"), AgentState::kWrapUp);
  EXPECT_FALSE(ParseAgentState("busy").ok());
}

TEST(AgentPoolTest, CapacityUnitsLimitsAndBlockingChannels) {
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  EXPECT_TRUE(pool.CanTake(ann, kVoice));
  // A call takes the whole agent.
  ASSERT_TRUE(pool.Reserve(ann, 1, kVoice).ok());
  EXPECT_FALSE(pool.CanTake(ann, kVoice));
  EXPECT_FALSE(pool.CanTake(ann, kEmail));
  EXPECT_EQ(pool.WhyNot(ann, kChat), "channel blocked");
  EXPECT_EQ(pool.WhyNot(ann, kEmail), "no capacity on channel");
  ASSERT_TRUE(pool.Finish(ann, 1, WorkOutcome::kRejected).ok());
  // Chats: a chat and emails share the budget; while chatting no call is offered.
  ASSERT_TRUE(pool.Reserve(ann, 2, kChat).ok());
  EXPECT_FALSE(pool.CanTake(ann, kVoice));
  EXPECT_EQ(pool.WhyNot(ann, kVoice), "channel blocked");
  ASSERT_TRUE(pool.Reserve(ann, 3, kEmail).ok());
  ASSERT_TRUE(pool.Reserve(ann, 4, kEmail).ok());
  ASSERT_TRUE(pool.Reserve(ann, 5, kEmail).ok());  // 20 + 36 = 56 units
  EXPECT_FALSE(pool.CanTake(ann, kEmail));         // 68 > 60
  EXPECT_FALSE(pool.CanTake(ann, kChat));          // 76 > 60
  EXPECT_EQ(pool.View(ann).used_units, 56);
  EXPECT_THAT(pool.View(ann).load, ElementsAre(0, 1, 3));
  ASSERT_TRUE(pool.Finish(ann, 3, WorkOutcome::kWithdrawn).ok());
  ASSERT_TRUE(pool.Finish(ann, 4, WorkOutcome::kWithdrawn).ok());
  ASSERT_TRUE(pool.Finish(ann, 5, WorkOutcome::kWithdrawn).ok());
  ASSERT_TRUE(pool.Reserve(ann, 6, kChat).ok());
  ASSERT_TRUE(pool.Reserve(ann, 7, kChat).ok());
  EXPECT_FALSE(pool.CanTake(ann, kChat));  // limit 3 chats
  EXPECT_EQ(pool.Reserve(ann, 8, kChat).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.Reserve(ann, 6, kEmail).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.Reserve(ann, 9, 7).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool.View(ann).used_units, 60);

  // An agent without a channel limit does not take it.
  const AgentIndex bob = MustAddAvailable(pool, "bob", {.budget = 60, .limits = {0, 3}});
  EXPECT_EQ(pool.WhyNot(bob, kVoice), "does not take channel");
  EXPECT_EQ(pool.WhyNot(bob, kEmail), "does not take channel");
  EXPECT_TRUE(pool.CanTake(bob, kChat));
}

TEST(AgentPoolTest, StatesWrapUpAndTimers) {
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAdd(pool, "ann");
  EXPECT_EQ(pool.State(ann), AgentState::kOffline);
  EXPECT_EQ(pool.WhyNot(ann, kChat), "offline");
  EXPECT_EQ(pool.SetState(ann, AgentState::kWrapUp).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(pool.SetState(ann, AgentState::kAway, "lunch").ok());
  EXPECT_EQ(pool.View(ann).away_reason, "lunch");
  EXPECT_EQ(pool.WhyNot(ann, kChat), "away");
  ASSERT_TRUE(pool.SetState(ann, AgentState::kAvailable).ok());
  ASSERT_TRUE(pool.Reserve(ann, 1, kVoice).ok());
  EXPECT_EQ(pool.SetState(ann, AgentState::kOffline).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.Finish(ann, 1, WorkOutcome::kCompleted).code(),
            absl::StatusCode::kFailedPrecondition);  // not accepted yet
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(5)).ok());
  ASSERT_TRUE(pool.Accept(ann, 1).ok());
  EXPECT_EQ(pool.Accept(ann, 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.Finish(ann, 1, WorkOutcome::kRejected).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(305)).ok());
  ASSERT_TRUE(pool.Finish(ann, 1, WorkOutcome::kCompleted).ok());
  // 30 s of wrap-up after a call.
  EXPECT_EQ(pool.State(ann), AgentState::kWrapUp);
  EXPECT_EQ(pool.WhyNot(ann, kEmail), "wrap_up");
  EXPECT_EQ(pool.View(ann).wrap_up_until, kStart + absl::Seconds(335));
  EXPECT_EQ(pool.View(ann).handled, 1u);
  EXPECT_EQ(pool.View(ann).busy_time, absl::Seconds(305));
  EXPECT_EQ(pool.NextTimerDue(), kStart + absl::Seconds(335));
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(334)).ok());
  EXPECT_EQ(pool.State(ann), AgentState::kWrapUp);
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(400)).ok());
  EXPECT_EQ(pool.State(ann), AgentState::kAvailable);
  EXPECT_EQ(pool.View(ann).last_activity, kStart + absl::Seconds(335));
  EXPECT_THAT(
      pool.PollEvents(),
      ElementsAre(AgentEvent{AgentEvent::Kind::kWrapUpStarted, ann, kStart + absl::Seconds(305)},
                  AgentEvent{AgentEvent::Kind::kWrapUpEnded, ann, kStart + absl::Seconds(335)}));
  // Going available ends a wrap-up early; its timer no longer fires.
  ASSERT_TRUE(pool.Reserve(ann, 2, kEmail).ok());
  ASSERT_TRUE(pool.Accept(ann, 2).ok());
  ASSERT_TRUE(pool.Finish(ann, 2, WorkOutcome::kCompleted).ok());
  EXPECT_EQ(pool.State(ann), AgentState::kWrapUp);
  EXPECT_THAT(pool.PollEvents(), ElementsAre(AgentEvent{AgentEvent::Kind::kWrapUpStarted, ann,
                                                        kStart + absl::Seconds(400)}));
  ASSERT_TRUE(pool.SetState(ann, AgentState::kAvailable).ok());
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(500)).ok());
  EXPECT_TRUE(pool.PollEvents().empty());
  EXPECT_EQ(pool.AdvanceTo(kStart).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AgentPoolTest, WrapUpAppliesOncePerAgentAndExtends) {
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  for (WorkItemId item : {1, 2}) {
    ASSERT_TRUE(pool.Reserve(ann, item, kEmail).ok());
    ASSERT_TRUE(pool.Accept(ann, item).ok());
  }
  ASSERT_TRUE(pool.Finish(ann, 1, WorkOutcome::kCompleted).ok());
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(4)).ok());
  ASSERT_TRUE(pool.Finish(ann, 2, WorkOutcome::kCompleted).ok());
  EXPECT_EQ(pool.View(ann).wrap_up_until, kStart + absl::Seconds(14));
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(20)).ok());
  // One wrap-up: the second completion extends the first.
  EXPECT_THAT(
      pool.PollEvents(),
      ElementsAre(AgentEvent{AgentEvent::Kind::kWrapUpStarted, ann, kStart},
                  AgentEvent{AgentEvent::Kind::kWrapUpEnded, ann, kStart + absl::Seconds(14)}));
  EXPECT_EQ(pool.State(ann), AgentState::kAvailable);
}

TEST(AgentPoolTest, CooldownsAndAutoAwayAfterMissedOffers) {
  AgentPool pool(Centre(),
                 {.reject_cooldown = absl::Seconds(20),
                  .missed_cooldown = absl::Seconds(60),
                  .auto_away_after_misses = 2},
                 kStart);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  ASSERT_TRUE(pool.Reserve(ann, 1, kChat).ok());
  ASSERT_TRUE(pool.Finish(ann, 1, WorkOutcome::kRejected).ok());
  EXPECT_EQ(pool.WhyNot(ann, kChat), "cooldown");
  EXPECT_EQ(pool.State(ann), AgentState::kAvailable);
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(20)).ok());
  EXPECT_TRUE(pool.CanTake(ann, kChat));
  EXPECT_THAT(pool.PollEvents(), ElementsAre(AgentEvent{AgentEvent::Kind::kCooldownEnded, ann,
                                                        kStart + absl::Seconds(20)}));
  ASSERT_TRUE(pool.Reserve(ann, 2, kChat).ok());
  ASSERT_TRUE(pool.Finish(ann, 2, WorkOutcome::kMissed).ok());
  EXPECT_EQ(pool.View(ann).missed_in_a_row, 1);
  EXPECT_EQ(pool.WhyNot(ann, kChat), "cooldown");
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Seconds(80)).ok());
  ASSERT_TRUE(pool.Reserve(ann, 3, kChat).ok());
  ASSERT_TRUE(pool.Finish(ann, 3, WorkOutcome::kMissed).ok());
  EXPECT_EQ(pool.State(ann), AgentState::kAway);
  EXPECT_EQ(pool.View(ann).away_reason, "missed_offers");
  std::vector<AgentEvent> events = pool.PollEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, AgentEvent::Kind::kAutoAway);
  // Back to work: the count starts over.
  ASSERT_TRUE(pool.SetState(ann, AgentState::kAvailable).ok());
  EXPECT_EQ(pool.View(ann).missed_in_a_row, 0);
}

TEST(AgentPoolTest, RefusedCommandsChangeNothing) {
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  ASSERT_TRUE(pool.Reserve(ann, 1, kChat).ok());
  ASSERT_TRUE(pool.Reserve(ann, 2, kChat).ok());
  const AgentView before = pool.View(ann);
  EXPECT_EQ(pool.AddAgent({.id = "ann"}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(pool.AddAgent({.id = ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.AddAgent({.id = "x", .capacity = {.budget = 0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      pool.AddAgent({.id = "x", .capacity = {.budget = 5, .limits = {1, 1, 1, 1}}}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.AddAgent({.id = "x", .queues = {{.queue = 1}, {.queue = 1}}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.AddAgent({.id = "x", .queues = {{.queue = 1, .delay = absl::Seconds(-1)}}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.Find("x").status().code(), absl::StatusCode::kNotFound);
  absl::Status below = pool.SetCapacity(ann, {.budget = 60, .limits = {1, 1, 5}});
  EXPECT_EQ(below.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(below.message(), HasSubstr("chat"));
  EXPECT_EQ(pool.SetCapacity(ann, {.budget = 30, .limits = {1, 3, 5}}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pool.Accept(ann, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool.Finish(ann, 9, WorkOutcome::kWithdrawn).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool.Reserve(7, 3, kChat).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(pool.SetState(7, AgentState::kAway).code(), absl::StatusCode::kNotFound);
  const AgentView after = pool.View(ann);
  EXPECT_EQ(after.used_units, before.used_units);
  EXPECT_EQ(after.load, before.load);
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(pool.Held(ann).size(), 2u);
  // Raising capacity is fine.
  ASSERT_TRUE(pool.SetCapacity(ann, {.budget = 100, .limits = {1, 4, 5}}).ok());
  EXPECT_TRUE(pool.CanTake(ann, kChat));
}

TEST(AgentPoolTest, BucketsGroupEqualSkillsAndProfiles) {
  SkillCatalog catalog;
  const SkillId billing = *catalog.Add("billing");
  SkillSet a;
  ASSERT_TRUE(a.Set(billing, 5).ok());
  SkillSet b;
  ASSERT_TRUE(b.Set(billing, 7).ok());
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAdd(pool, "ann", Standard(), a);
  const AgentIndex bob = MustAdd(pool, "bob", Standard(), a);
  const AgentIndex cid = MustAdd(pool, "cid", Standard(), b);
  const AgentIndex dee = MustAdd(pool, "dee", Standard(), a, {{.queue = 3}});
  EXPECT_EQ(pool.BucketOf(ann), pool.BucketOf(bob));
  EXPECT_NE(pool.BucketOf(ann), pool.BucketOf(cid));
  EXPECT_NE(pool.BucketOf(ann), pool.BucketOf(dee));
  EXPECT_EQ(pool.BucketSize(pool.BucketOf(ann)), 2u);
  ASSERT_TRUE(pool.SetSkills(bob, b).ok());
  EXPECT_EQ(pool.BucketOf(bob), pool.BucketOf(cid));
  EXPECT_EQ(pool.BucketSize(pool.BucketOf(ann)), 1u);
  ASSERT_TRUE(pool.SetQueues(dee, {{}}).ok());
  EXPECT_EQ(pool.BucketOf(dee), pool.BucketOf(ann));
  EXPECT_EQ(pool.Skills(bob), b);
  EXPECT_EQ(pool.Queues(dee).size(), 1u);
}

// Picks the best ready agent of every bucket for `channel` by `strategy`, as the router will.
std::optional<AgentIndex> Best(const AgentPool& pool, ChannelId channel, Strategy strategy) {
  std::optional<AgentIndex> best;
  for (BucketIndex b = 0; b < pool.bucket_count(); ++b) {
    const std::optional<AgentIndex> candidate =
        pool.BestInBucket(b, channel, strategy, [](AgentIndex) { return false; });
    if (candidate && (!best || pool.KeyOf(*candidate, strategy) < pool.KeyOf(*best, strategy))) {
      best = candidate;
    }
  }
  return best;
}

// Offers, accepts and completes one chat through the best agent, `minutes` apart.
std::vector<AgentIndex> Serve(AgentPool& pool, Strategy strategy, int items, bool complete) {
  std::vector<AgentIndex> served;
  for (int i = 0; i < items; ++i) {
    EXPECT_TRUE(pool.AdvanceTo(pool.now() + absl::Minutes(1)).ok());
    const std::optional<AgentIndex> agent = Best(pool, kChat, strategy);
    if (!agent) break;
    served.push_back(*agent);
    EXPECT_TRUE(pool.Reserve(*agent, 100 + i, kChat).ok());
    EXPECT_TRUE(pool.Accept(*agent, 100 + i).ok());
    if (complete) {
      EXPECT_TRUE(pool.Finish(*agent, 100 + i, WorkOutcome::kCompleted).ok());
    }
  }
  return served;
}

TEST(StrategyTest, LongestIdlePrefersFreeAgentsThenTheLongestFree) {
  AgentPool pool(Centre(), {}, kStart);
  pool.EnableStrategy(Strategy::kLongestIdle);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Minutes(1)).ok());
  const AgentIndex bob = MustAddAvailable(pool, "bob");
  // ann idle longest, then bob; after ann takes a chat, bob is idle and goes first.
  EXPECT_THAT(Serve(pool, Strategy::kLongestIdle, 3, /*complete=*/false),
              ElementsAre(ann, bob, ann));
}

TEST(StrategyTest, LeastOccupiedSpreadsByUsedFraction) {
  AgentPool pool(Centre(), {}, kStart);
  pool.EnableStrategy(Strategy::kLeastOccupied);
  // ann: 3 chats in 60 units; bob: 2 chats in 40 units.
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  const AgentIndex bob = MustAddAvailable(pool, "bob", {.budget = 40, .limits = {0, 2}});
  // 0/60 vs 0/40: ann idle since earlier (added first, same instant: index).
  // Then 20/60 vs 0/40 -> bob; 20/60 vs 20/40 -> ann; 40/60 vs 20/40 -> bob; 40/60 vs full.
  EXPECT_THAT(Serve(pool, Strategy::kLeastOccupied, 6, /*complete=*/false),
              ElementsAre(ann, bob, ann, bob, ann));
}

TEST(StrategyTest, RoundRobinRotates) {
  AgentPool pool(Centre(), {}, kStart);
  pool.EnableStrategy(Strategy::kRoundRobin);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  const AgentIndex bob = MustAddAvailable(pool, "bob");
  const AgentIndex cid = MustAddAvailable(pool, "cid");
  EXPECT_THAT(Serve(pool, Strategy::kRoundRobin, 6, /*complete=*/true),
              ElementsAre(ann, bob, cid, ann, bob, cid));
}

TEST(StrategyTest, FewestHandledEvensOutCompletedWork) {
  AgentPool pool(Centre(), {}, kStart);
  pool.EnableStrategy(Strategy::kFewestHandled);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  Serve(pool, Strategy::kFewestHandled, 3, /*complete=*/true);  // all to ann, alone
  const AgentIndex bob = MustAddAvailable(pool, "bob");
  // bob catches up; at 3 each the tie goes to the longer idle (ann, free since minute 3).
  EXPECT_THAT(Serve(pool, Strategy::kFewestHandled, 4, /*complete=*/true),
              ElementsAre(bob, bob, bob, ann));
  EXPECT_EQ(*Best(pool, kChat, Strategy::kFewestHandled), bob);  // 3 vs 4
}

TEST(StrategyTest, WeightedFairAssignsInProportionToCapacity) {
  AgentPool pool(Centre(), {}, kStart);
  pool.EnableStrategy(Strategy::kWeightedFair);
  const AgentIndex big = MustAddAvailable(pool, "big", {.budget = 90, .limits = {0, 100}});
  const AgentIndex small = MustAddAvailable(pool, "small", {.budget = 30, .limits = {0, 100}});
  const std::vector<AgentIndex> served = Serve(pool, Strategy::kWeightedFair, 400, true);
  const auto big_count = std::count(served.begin(), served.end(), big);
  const auto small_count = std::count(served.begin(), served.end(), small);
  EXPECT_EQ(big_count, 300);
  EXPECT_EQ(small_count, 100);
}

TEST(StrategyTest, RandomIsUniformAndSeeded) {
  const auto draw = [](uint64_t seed) {
    AgentPool pool(Centre(), {.seed = seed}, kStart);
    pool.EnableStrategy(Strategy::kRandom);
    std::vector<BucketIndex> buckets;
    for (int i = 0; i < 4; ++i) {
      const AgentIndex a = MustAddAvailable(pool, absl::StrCat("agent", i));
      if (std::find(buckets.begin(), buckets.end(), pool.BucketOf(a)) == buckets.end()) {
        buckets.push_back(pool.BucketOf(a));
      }
    }
    std::vector<AgentIndex> picks;
    for (int i = 0; i < 4000; ++i) {
      picks.push_back(*pool.RandomAmong(buckets, kChat, [](AgentIndex a) { return a == 3; }));
    }
    return picks;
  };
  const std::vector<AgentIndex> picks = draw(7);
  EXPECT_EQ(picks, draw(7));
  EXPECT_NE(picks, draw(8));
  std::map<AgentIndex, int> counts;
  for (AgentIndex a : picks) ++counts[a];
  EXPECT_EQ(counts.count(3), 0u);
  for (AgentIndex a : {0u, 1u, 2u}) {
    EXPECT_GT(counts[a], 1200);
    EXPECT_LT(counts[a], 1467);
  }
}

// Random commands; after each, every bucket's best agent for every channel and strategy equals
// a scan over its agents, with and without skipped agents, and no agent exceeds its capacity.
TEST(AgentPoolRandomTest, IndexAgreesWithAScan) {
  SkillCatalog catalog;
  std::vector<SkillSet> profiles(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(profiles[i].Set(*catalog.Add(absl::StrCat("s", i)), 1 + i).ok());
  }
  AgentPool pool(Centre(),
                 {.reject_cooldown = absl::Seconds(30),
                  .missed_cooldown = absl::Seconds(50),
                  .auto_away_after_misses = 3},
                 kStart);
  for (int s = 0; s < kStrategyCount; ++s) {
    if (s == 3) pool.EnableStrategy(static_cast<Strategy>(s));  // some before, some after
  }
  std::mt19937_64 rng(5);
  const auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int i = 0; i < 40; ++i) {
    MustAdd(pool, absl::StrCat("a", i),
            {.budget = uniform(40, 80), .limits = {uniform(0, 1), uniform(0, 3), uniform(0, 5)}},
            profiles[uniform(0, 2)]);
  }
  for (int s = 0; s < kStrategyCount; ++s) pool.EnableStrategy(static_cast<Strategy>(s));
  WorkItemId next_item = 0;
  for (int step = 0; step < 4000; ++step) {
    const AgentIndex agent = uniform(0, 39);
    const int op = uniform(0, 9);
    if (op < 4) {
      (void)pool.Reserve(agent, next_item++, uniform(0, 2));
    } else if (op < 6 && !pool.Held(agent).empty()) {
      const HeldWork held = pool.Held(agent)[uniform(0, pool.Held(agent).size() - 1)];
      if (held.pending) {
        const int outcome = uniform(0, 2);
        if (outcome == 0) {
          ASSERT_TRUE(pool.Accept(agent, held.item).ok());
        } else {
          ASSERT_TRUE(pool.Finish(agent, held.item,
                                  outcome == 1 ? WorkOutcome::kRejected : WorkOutcome::kMissed)
                          .ok());
        }
      } else {
        ASSERT_TRUE(pool.Finish(agent, held.item, WorkOutcome::kCompleted).ok());
      }
    } else if (op < 7) {
      const AgentState state = static_cast<AgentState>(uniform(0, 2));
      (void)pool.SetState(agent, state, "r");
    } else if (op < 8) {
      ASSERT_TRUE(pool.SetSkills(agent, profiles[uniform(0, 2)]).ok());
    } else {
      ASSERT_TRUE(pool.AdvanceTo(pool.now() + absl::Seconds(uniform(0, 40))).ok());
    }
    const AgentIndex skipped = uniform(0, 39);
    for (BucketIndex b = 0; b < pool.bucket_count(); ++b) {
      for (ChannelId c = 0; c < 3; ++c) {
        bool anyone = false;
        for (AgentIndex a = 0; a < pool.size(); ++a) {
          anyone = anyone || (pool.BucketOf(a) == b && pool.CanTake(a, c));
        }
        for (int s = 0; s < kStrategyCount; ++s) {
          ASSERT_EQ(pool.HasReady(b, c, static_cast<Strategy>(s)), anyone)
              << "step " << step << " bucket " << b << " channel " << c;
        }
        for (int s = 0; s < kStrategyCount - 1; ++s) {
          const Strategy strategy = static_cast<Strategy>(s);
          for (bool skip : {false, true}) {
            std::optional<AgentIndex> expected;
            for (AgentIndex a = 0; a < pool.size(); ++a) {
              if (pool.BucketOf(a) != b || !pool.CanTake(a, c) || (skip && a == skipped)) continue;
              if (!expected || pool.KeyOf(a, strategy) < pool.KeyOf(*expected, strategy)) {
                expected = a;
              }
            }
            ASSERT_EQ(pool.BestInBucket(b, c, strategy,
                                        [&](AgentIndex a) { return skip && a == skipped; }),
                      expected)
                << "step " << step << " bucket " << b << " channel " << c << " " << strategy;
          }
        }
      }
    }
    for (AgentIndex a = 0; a < pool.size(); ++a) {
      const AgentView view = pool.View(a);
      ASSERT_LE(view.used_units, view.budget);
      int units = 0;
      for (const HeldWork& held : pool.Held(a)) units += pool.channels().cost(held.channel);
      ASSERT_EQ(units, view.used_units);
      ASSERT_FALSE(view.load[kVoice] > 0 && view.load[kChat] > 0);
    }
  }
}

TEST(AgentPoolTest, EstimatedTimeUntilFreeUsesMeanHandleTimes) {
  AgentPool pool(Centre(), {}, kStart);
  const AgentIndex ann = MustAddAvailable(pool, "ann");
  const AgentIndex bob = MustAddAvailable(pool, "bob");
  ASSERT_TRUE(pool.Reserve(ann, 1, kEmail).ok());
  ASSERT_TRUE(pool.Accept(ann, 1).ok());
  EXPECT_EQ(pool.View(ann).estimated_time_until_free, absl::ZeroDuration());  // nothing known
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Minutes(6)).ok());
  ASSERT_TRUE(pool.Finish(ann, 1, WorkOutcome::kCompleted).ok());
  ASSERT_TRUE(pool.SetState(ann, AgentState::kAvailable).ok());
  // bob has no history of his own: the pool's mean (6 min) applies.
  ASSERT_TRUE(pool.Reserve(bob, 2, kEmail).ok());
  ASSERT_TRUE(pool.Accept(bob, 2).ok());
  ASSERT_TRUE(pool.AdvanceTo(kStart + absl::Minutes(8)).ok());
  EXPECT_EQ(pool.View(bob).estimated_time_until_free, absl::Minutes(4));
  EXPECT_EQ(pool.View(bob).busy_time, absl::Minutes(2));
  EXPECT_EQ(pool.View(ann).estimated_time_until_free, absl::ZeroDuration());
}

}  // namespace
}  // namespace omniroute::routing_test
