// Determinism at scale: for many random seeds (command sequences of reference_commands.h over the
// reference model's configuration family), restoring a snapshot taken mid-way and feeding it the
// rest of the commands, and replaying the whole journal, both end in a snapshot byte-identical to
// the original run's; the restored engine emits byte for byte the events the original emitted
// after the snapshot. A snapshot carries the digest of every event emitted since the start, so
// equal final snapshots also mean equal event streams from the first command.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "internal/byte_codec.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"
#include "reference_commands.h"
#include "reference_model.h"

namespace omniroute::reference_model {
namespace {

// Every field of `e`, in a fixed binary form.
void AppendEvent(internal::ByteWriter& w, const EngineEvent& e) {
  w.U8(static_cast<uint8_t>(e.kind));
  w.Time(e.at);
  w.Str(e.item);
  w.Str(e.agent);
  w.Str(e.queue);
  w.U8(e.metric ? static_cast<uint8_t>(*e.metric) + 1 : 0);
  uint64_t fraction;
  std::memcpy(&fraction, &e.fraction, sizeof fraction);
  w.U64(fraction);
  w.U8(e.late);
  w.Int(e.from_level);
  w.Int(e.level);
  w.Str(e.trigger);
  w.Str(e.target);
  w.Str(e.detail);
}

std::string EventBytes(const std::vector<EngineEvent>& events) {
  internal::ByteWriter w;
  for (const EngineEvent& e : events) AppendEvent(w, e);
  return w.Take();
}

// The ids that exist, learnt from the commands' results and the events (cheaper than asking the
// engine about every id the generator may use), for aiming the next command.
class Census {
 public:
  void Learn(const EngineCommand& c, const absl::Status& status,
             const std::vector<EngineEvent>& events) {
    if (status.ok() && c.kind == EngineCommandKind::kSubmit) items_.insert(c.item_spec.id);
    if (status.ok() && c.kind == EngineCommandKind::kAddAgent) agents_.insert(c.agent_spec.id);
    if (status.ok() && c.kind == EngineCommandKind::kRemoveAgent) agents_.erase(c.agent);
    for (const EngineEvent& e : events) {
      if (e.kind == EngineEventKind::kClosed || e.kind == EngineEventKind::kCancelled ||
          e.kind == EngineEventKind::kAbandoned) {
        items_.erase(e.item);
      }
    }
  }

  Population Of(const Engine& engine) const {
    Population p;
    for (const std::string& id : items_) {
      if (absl::StatusOr<EngineItemView> v = engine.Item(id); v.ok()) {
        p.items[id] = {.state = v->state, .agent = v->agent, .queue = v->queue};
      }
    }
    p.agents.assign(agents_.begin(), agents_.end());
    return p;
  }

 private:
  std::set<std::string> items_;
  std::set<std::string> agents_;
};

struct Outcome {
  int commands = 0;
  int refused = 0;
  size_t events = 0;
};

// Runs one seed; returns what it checked, or an error naming the seed.
absl::StatusOr<Outcome> CheckSeed(uint64_t seed) {
  const ModelConfig config = ConfigFamily(seed);
  const std::string json = ConfigJson(config);
  absl::StatusOr<std::unique_ptr<Engine>> primary = EngineFromJson(json);
  if (!primary.ok()) return primary.status();
  CommandSource source(seed, config);
  Outcome outcome;
  outcome.commands = source.random().Int(40, 120);
  const int snapshot_at = source.random().Int(0, outcome.commands);
  std::vector<EngineCommand> commands;
  std::vector<absl::Status> statuses;
  std::string snapshot;
  std::string events_after_snapshot;
  std::vector<std::string> log;
  Census census;
  const auto fail = [&](std::string what) {
    return absl::InternalError(absl::StrCat("seed ", seed, ": ", what, "\n  snapshot before ",
                                            snapshot_at, "; commands:\n  ",
                                            absl::StrJoin(log, "\n  ")));
  };
  for (int i = 0; i <= outcome.commands; ++i) {
    if (i == snapshot_at) snapshot = (*primary)->Snapshot();
    if (i == outcome.commands) break;
    const EngineCommand c = source.Next(census.Of(**primary), (*primary)->now(), config.origin);
    const absl::Status status = (*primary)->Apply(c);
    outcome.refused += status.ok() ? 0 : 1;
    log.push_back(absl::StrCat(i, ": ", Describe(c, config.origin), " -> ",
                               status.ok() ? "OK" : status.ToString()));
    const std::vector<EngineEvent> events = (*primary)->PollEvents();
    census.Learn(c, status, events);
    outcome.events += events.size();
    if (i >= snapshot_at) events_after_snapshot += EventBytes(events);
    commands.push_back(c);
    statuses.push_back(status);
  }
  const std::string final_snapshot = (*primary)->Snapshot();

  absl::StatusOr<std::unique_ptr<Engine>> restored = RestoreEngine(snapshot);
  if (!restored.ok()) return fail(absl::StrCat("restore: ", restored.status().ToString()));
  std::string restored_events;
  for (int i = snapshot_at; i < outcome.commands; ++i) {
    const auto at = static_cast<size_t>(i);
    if (absl::Status status = (*restored)->Apply(commands[at]); status != statuses[at]) {
      return fail(absl::StrCat("command ", i, " on the restored engine: ", status.ToString(),
                               ", originally ", statuses[at].ToString()));
    }
    restored_events += EventBytes((*restored)->PollEvents());
  }
  if (restored_events != events_after_snapshot) {
    return fail("the restored engine's events differ from the original's");
  }
  if ((*restored)->Snapshot() != final_snapshot) {
    return fail("the restored engine's final snapshot differs");
  }

  absl::StatusOr<std::unique_ptr<Engine>> replayed =
      Engine::Replay((*primary)->config(), (*primary)->Journal(), ParseEngineConfigJson);
  if (!replayed.ok()) return fail(absl::StrCat("replay: ", replayed.status().ToString()));
  if ((*replayed)->Snapshot() != final_snapshot) {
    return fail("the replayed journal's final snapshot differs");
  }
  return outcome;
}

void ExpectSeedsDeterministic(uint64_t first, uint64_t last) {
  Outcome total;
  for (uint64_t seed = first; seed <= last; ++seed) {
    absl::StatusOr<Outcome> outcome = CheckSeed(seed);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    total.commands += outcome->commands;
    total.refused += outcome->refused;
    total.events += outcome->events;
  }
  // The sequences do something: short ones start with nobody logged in, yet a good share of
  // their commands succeed and events flow.
  EXPECT_LT(total.refused, 2 * total.commands / 3);
  EXPECT_GT(total.events, static_cast<size_t>(total.commands / 2));
  std::cout << "[ determinism ] seeds " << first << ".." << last << ": " << total.commands
            << " commands, " << total.events << " events\n";
}

TEST(EngineScaleDeterminismTest, RestoredAndReplayedRunsMatchTheOriginal) {
  ExpectSeedsDeterministic(1, 200);
}

// 10^4 seeds (label "scale").
TEST(EngineScaleDeterminismScaleTest, TenThousandSeedsRestoreAndReplayByteForByte) {
  ExpectSeedsDeterministic(1, 10'000);
}

}  // namespace
}  // namespace omniroute::reference_model
