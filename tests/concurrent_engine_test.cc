// ConcurrentEngine under several threads; CI also runs this binary under ThreadSanitizer.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute {
namespace {

constexpr std::string_view kConfig = R"({
  "sla_policies": [{"name": "tiered", "warn_at": [0.5],
                    "targets": {"A": {"first_response": "5m", "resolution": "30m"},
                                "C": {"first_response": "4h", "resolution": "24h"}}}],
  "priorities": ["A", "C"],
  "escalation": {"levels": [{"name": "L1", "time_limit": "10s"}, {"name": "L2"}],
                 "rules": [{"trigger": {"kind": "level_time_limit"}}]},
  "queues": [{"name": "chat", "sla_policy": "tiered", "auto_accept": true}]
})";

TEST(ConcurrentEngineTest, CommandsFromManyThreadsAreAppliedOneAtATime) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(kConfig);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ConcurrentEngine shared(*std::move(engine));
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  ASSERT_TRUE(shared
                  .With([&](Engine& e) {
                    return e.AddAgent(
                        {.id = "a", .capacity = {{"chat", 1000}}, .queues = {{.queue = "chat"}}},
                        start);
                  })
                  .ok());
  ASSERT_TRUE(
      shared.With([&](Engine& e) { return e.SetAgentState("a", AgentState::kAvailable, start); })
          .ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<uint64_t> polled(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&shared, &polled, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("t", t, "-", i);
        const absl::Status submitted = shared.With([&](Engine& e) {
          return e.Submit({.id = id, .queue = "chat", .channel = "chat", .priority = "C"},
                          e.now() + absl::Seconds(1));
        });
        EXPECT_TRUE(submitted.ok()) << submitted;
        if (i % 2 == 0) {
          EXPECT_TRUE(shared.With([&](Engine& e) { return e.Resolve(id, e.now()); }).ok());
        }
        polled[t] += shared.PollEvents().size();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const EngineKpis kpis = shared.With([](Engine& e) { return e.Kpis(); });
  EXPECT_EQ(kpis.submitted, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(kpis.answered, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(kpis.resolved, uint64_t{kThreads * kPerThread / 2});
  // Resolved items wait for confirmation; the others are still assigned to "a".
  EXPECT_EQ(shared.With([](Engine& e) { return e.item_count(); }), size_t{kThreads * kPerThread});
  const absl::StatusOr<EngineAgentView> agent = shared.With([](Engine& e) { return e.Agent("a"); });
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->assigned.size(), size_t{kThreads * kPerThread / 2});
  // Every event went to exactly one poller: at least offered and assigned for each item, and
  // resolved for half of them.
  uint64_t total = 0;
  for (uint64_t n : polled) total += n;
  total += shared.PollEvents().size();
  EXPECT_GE(total, uint64_t{kThreads * kPerThread * 2 + kThreads * kPerThread / 2});
}

}  // namespace
}  // namespace omniroute
