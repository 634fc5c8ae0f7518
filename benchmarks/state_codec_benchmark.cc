// The state codec the engine's snapshot is built from, at the engine benchmark's scale: 10^5
// work items. Each module's whole state is saved and loaded into a module configured alike, and
// the same state is rebuilt from scratch by the commands that made it (what restoring by replaying
// a journal costs at that layer), in the same run.
//
// - Router/100k: 100 agents (skills at random levels, voice 1 / chat 3 / email 5 slots) serve
//   10 queues; 10^5 items arrive a millisecond apart over four requirement plans (two with
//   relaxation steps) and three channels; every hundredth arrival, the offers made are accepted.
//   The agents' 260 slots fill, and the rest wait.
// - SlaTracker/100k: 10^5 items started over a day on the tiered policy (three warnings) on the
//   office calendar.
//
// Timed: SaveLoad, one save plus one load (the loaded module is destroyed untimed); Rebuild, the
// commands on a fresh module. Counters: `state_bytes`, `items`.
//
// - SnapshotChecksum39MB: the checksum a snapshot ends with (internal::WideChecksum, formats 6 on)
//   over 39 MB of random bytes (an engine snapshot of 10^5 waiting items); the baseline,
//   StableHashChecksum39MB, is format 5's over the same bytes. bytes_per_second.
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "benchmark_data.h"
#include "internal/byte_codec.h"
#include "internal/state_codec.h"
#include "omniroute/agents.h"
#include "omniroute/router.h"
#include "omniroute/skills.h"
#include "omniroute/sla.h"
#include "omniroute/sla_tracker.h"

namespace {

using omniroute::Router;
using omniroute::SlaTracker;
using omniroute::benchmark_data::Check;
using omniroute::benchmark_data::TieredPolicy;
using omniroute::internal::ByteReader;
using omniroute::internal::ByteWriter;
using omniroute::internal::PlanTable;
using omniroute::internal::StateCodec;

constexpr int kItems = 100'000;
constexpr int kAgents = 100;
constexpr int kQueues = 10;
const absl::Time kStart = absl::FromUnixSeconds(1'795'000'000);

struct RouterWorld {
  omniroute::SkillCatalog catalog;
  std::vector<std::shared_ptr<const omniroute::RequirementPlan>> plans;

  RouterWorld() {
    std::vector<omniroute::SkillId> skills;
    for (int s = 0; s < 8; ++s) skills.push_back(*catalog.Add(absl::StrCat("skill", s)));
    const auto plan = [this](omniroute::RequirementSpec spec) {
      absl::StatusOr<omniroute::RequirementPlan> made =
          omniroute::RequirementPlan::Create(spec, catalog);
      Check(made.status(), "plan");
      return std::make_shared<const omniroute::RequirementPlan>(*std::move(made));
    };
    plans = {
        nullptr,
        plan({.must = {{skills[0], 3}}}),
        plan({.must = {{skills[1], 6}, {skills[2], 2}},
              .steps = {omniroute::RelaxationStep::LowerLevel(absl::Minutes(2), skills[1], 3)}}),
        plan({.must = {{skills[3], 5}},
              .steps = {omniroute::RelaxationStep::LowerLevel(absl::Minutes(1), skills[3], 2),
                        omniroute::RelaxationStep::Drop(absl::Minutes(5), skills[3])}}),
    };
  }

  static Router NewRouter() {
    absl::StatusOr<omniroute::ChannelModel> channels =
        omniroute::ChannelModel::Create({{.name = "voice"}, {.name = "chat"}, {.name = "email"}});
    Check(channels.status(), "channels");
    Router router(*std::move(channels), {}, kStart);
    for (int q = 0; q < kQueues; ++q) {
      Check(router.AddQueue(absl::StrCat("queue", q), {}).status(), "queue");
    }
    return router;
  }

  // The commands that build the benchmark's router.
  void Build(Router& router) const {
    std::mt19937_64 rng(7);
    for (int a = 0; a < kAgents; ++a) {
      omniroute::SkillSet skills;
      for (omniroute::SkillId s = 0; s < 8; ++s) {
        if (rng() % 2 == 0) Check(skills.Set(s, 1 + static_cast<int>(rng() % 9)), "skill");
      }
      std::vector<omniroute::QueueAssignment> queues;
      for (int q = 0; q < kQueues; ++q) {
        if (rng() % 3 == 0) queues.push_back({.queue = static_cast<omniroute::QueueIndex>(q)});
      }
      absl::StatusOr<omniroute::AgentIndex> agent =
          router.AddAgent({.id = absl::StrCat("agent", a),
                           .skills = skills,
                           .queues = queues,
                           .capacity = {.budget = 60, .limits = {1, 3, 5}}});
      Check(agent.status(), "agent");
      Check(router.SetAgentState(*agent, omniroute::AgentState::kAvailable), "available");
    }
    absl::Time at = kStart;
    for (int i = 0; i < kItems; ++i) {
      at += absl::Milliseconds(1);
      Check(router.AdvanceTo(at), "advance");
      Check(router.Submit(static_cast<omniroute::WorkItemId>(i + 1),
                          static_cast<omniroute::QueueIndex>(rng() % kQueues),
                          {.priority = static_cast<int>(rng() % 3),
                           .arrival = at,
                           .requirement = plans[rng() % plans.size()],
                           .channel = static_cast<omniroute::ChannelId>(rng() % 3)}),
            "submit");
      if (i % 100 == 99) {
        for (const omniroute::RoutingEvent& e : router.PollEvents()) {
          if (e.kind == omniroute::RoutingEventKind::kOffered) {
            Check(router.Accept(e.agent, e.item), "accept");
          }
        }
      }
    }
    (void)router.PollEvents();
  }
};

void BM_RouterStateSaveLoad100k(benchmark::State& state) {
  const RouterWorld world;
  Router original = RouterWorld::NewRouter();
  world.Build(original);
  size_t bytes = 0;
  for (auto _ : state) {
    PlanTable plans;
    ByteWriter out;
    StateCodec::Save(original, plans, out);
    Router loaded = RouterWorld::NewRouter();
    ByteReader in(out.bytes());
    Check(StateCodec::Load(loaded, PlanTable(plans.plans()), in), "load");
    bytes = out.size();
    state.PauseTiming();
    { Router gone = std::move(loaded); }
    state.ResumeTiming();
  }
  state.counters["state_bytes"] = static_cast<double>(bytes);
  state.counters["items"] = kItems;
}
BENCHMARK(BM_RouterStateSaveLoad100k)->Unit(benchmark::kMillisecond);

void BM_RouterRebuild100k(benchmark::State& state) {
  const RouterWorld world;
  for (auto _ : state) {
    Router router = RouterWorld::NewRouter();
    world.Build(router);
    state.PauseTiming();
    { Router gone = std::move(router); }
    state.ResumeTiming();
  }
  state.counters["items"] = kItems;
}
BENCHMARK(BM_RouterRebuild100k)->Unit(benchmark::kMillisecond);

SlaTracker NewTracker() {
  SlaTracker tracker(SlaTracker::Options{.origin = kStart});
  Check(tracker.AddPolicy(TieredPolicy()), "policy");
  return tracker;
}

void BuildTracker(SlaTracker& tracker) {
  constexpr const char* kPriorities[] = {"A", "B", "C"};
  for (int i = 0; i < kItems; ++i) {
    const absl::Time at = kStart + absl::Milliseconds(864 * i);
    Check(tracker.Start(static_cast<omniroute::SlaItemId>(i + 1),
                        omniroute::benchmark_data::kTieredPolicy, kPriorities[i % 3], "", at),
          "start");
  }
  (void)tracker.PollEvents();
}

void BM_SlaTrackerStateSaveLoad100k(benchmark::State& state) {
  SlaTracker original = NewTracker();
  BuildTracker(original);
  size_t bytes = 0;
  for (auto _ : state) {
    ByteWriter out;
    StateCodec::Save(original, out);
    SlaTracker loaded = NewTracker();
    ByteReader in(out.bytes());
    Check(StateCodec::Load(loaded, in), "load");
    bytes = out.size();
    state.PauseTiming();
    { SlaTracker gone = std::move(loaded); }
    state.ResumeTiming();
  }
  state.counters["state_bytes"] = static_cast<double>(bytes);
  state.counters["items"] = kItems;
}
BENCHMARK(BM_SlaTrackerStateSaveLoad100k)->Unit(benchmark::kMillisecond);

void BM_SlaTrackerRebuild100k(benchmark::State& state) {
  for (auto _ : state) {
    SlaTracker tracker = NewTracker();
    BuildTracker(tracker);
    state.PauseTiming();
    { SlaTracker gone = std::move(tracker); }
    state.ResumeTiming();
  }
  state.counters["items"] = kItems;
}
BENCHMARK(BM_SlaTrackerRebuild100k)->Unit(benchmark::kMillisecond);

// 39 MB of random bytes, as much as an engine snapshot of 10^5 waiting items.
const std::string& SnapshotSizedBytes() {
  static const std::string* const bytes = [] {
    auto* out = new std::string(39u << 20, '\0');
    std::mt19937_64 rng(7);
    for (size_t at = 0; at + 8 <= out->size(); at += 8) {
      const uint64_t word = rng();
      std::memcpy(out->data() + at, &word, 8);
    }
    return out;
  }();
  return *bytes;
}

void BM_SnapshotChecksum39MB(benchmark::State& state) {
  const std::string& bytes = SnapshotSizedBytes();
  for (auto _ : state) benchmark::DoNotOptimize(omniroute::internal::WideChecksum(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_SnapshotChecksum39MB)->Unit(benchmark::kMillisecond);

void BM_StableHashChecksum39MB(benchmark::State& state) {
  const std::string& bytes = SnapshotSizedBytes();
  for (auto _ : state) {
    omniroute::internal::StableHash checksum;
    checksum.Add(bytes.data(), bytes.size());
    benchmark::DoNotOptimize(checksum.value());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_StableHashChecksum39MB)->Unit(benchmark::kMillisecond);

}  // namespace
