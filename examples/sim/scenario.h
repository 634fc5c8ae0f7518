// A simulation scenario: who works when, what arrives when, how long it takes, how long customers
// wait, and the engine configuration they meet. Read from JSON (the README, "Simulator", lists
// every key); every error names the JSON path of the offending value, e.g.
// `arrivals[0].handle_time.dist: unknown distribution "foo"`.
//
//   absl::StatusOr<omniroute::sim::Scenario> scenario = omniroute::sim::ParseScenario(R"({
//     "duration_hours": 200, "warmup_hours": 2, "seed": 1,
//     "agent_groups": [{"name": "g", "count": 10, "skills": {"s": 1},
//                       "capacity": {"voice": 1}, "queues": ["q"]}],
//     "queues": [{"name": "q", "strategy": "longest_idle", "order": "priority_fifo",
//                 "service_level_seconds": 20}],
//     "arrivals": [{"queue": "q", "channel": "voice", "rate_per_hour": 100,
//                   "requires": {"s": 1},
//                   "handle_time": {"dist": "exponential", "mean_seconds": 300},
//                   "patience": {"dist": "exponential", "mean_seconds": 600}}]})");
//
// The engine configuration is the scenario's "engine" object (calendars, channels, priorities,
// skills, SLA policies and selector, escalation, agent options ...: the shape of
// config_json.h) with the scenario's queues and its start instant added; it is read by
// omniroute::ParseEngineConfigJson, so its errors carry their JSON path too ("engine.…" or
// "queues[i].…").
//
// Thread safety: plain values; the functions are pure and thread-safe.
#ifndef OMNIROUTE_EXAMPLES_SIM_SCENARIO_H_
#define OMNIROUTE_EXAMPLES_SIM_SCENARIO_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/engine.h"
#include "omniroute/skills.h"
#include "random.h"

namespace omniroute::sim {

inline constexpr size_t kMaxTagsPerStream = 15;
// The most arrivals a scenario's rates may allow over its duration (each stream at its highest
// rate and day factor throughout).
inline constexpr double kMaxArrivals = 1e8;

// A time-of-day stretch during which some agents of a group are logged in, every day it applies.
struct ShiftSpec {
  int start_seconds = 0;  // local time of day, [0, 86400)
  int end_seconds = 0;    // (0, 86400]; at or before the start: ends the next day
  int count = 0;          // agents on this shift
  // Bit d set: the shift starts on weekdays d (0 = Monday ... 6 = Sunday) in the scenario's zone.
  uint8_t days = 0x7f;
};

struct QueueRefSpec {
  std::string queue{};
  int priority = 0;          // 0 first (agents.h, QueueAssignment)
  double delay_seconds = 0;  // an item must have waited this long for this group
};

struct AgentGroupSpec {
  std::string name{};
  // Agents logged in all the time (or whenever `calendar` is open); unused with shifts.
  int count = 0;
  std::map<std::string, int> skills{};
  std::map<std::string, int> capacity{};  // channel -> concurrent items
  std::optional<int> budget{};            // capacity units; omitted: the engine's default
  std::vector<QueueRefSpec> queues{};
  // An engine calendar ("24x7" or a name under engine.calendars): agents work only while it is
  // open. Empty: always.
  std::string calendar{};
  std::vector<ShiftSpec> shifts{};
};

struct QueueSpec {
  std::string name{};
  double service_level_seconds = 20;
};

// A share of the contacts that a bot takes first; the rest it hands over to the queue.
struct BotSpec {
  double handover_share = 1.0;  // handed to a human, [0, 1]
  Distribution time{};          // time in the bot before the handover
  std::string tag = "bot_failed";
};

// One stream of arrivals (Poisson with a rate per interval of the day).
struct ArrivalSpec {
  std::string name{};  // for reports; default "<queue>/<channel>"
  std::string queue{};
  std::string channel{};
  // Per hour; one value: constant. Several: one per `interval_minutes` from local midnight,
  // repeating when the list ends (48 half hours make a day).
  std::vector<double> rates_per_hour{};
  double interval_minutes = 30;
  // Multipliers per local weekday, Monday first.
  std::array<double, 7> day_factors = {1, 1, 1, 1, 1, 1, 1};
  NamedRequirement requirement{};
  Distribution handle_time{};
  std::optional<Distribution> patience{};  // none: customers never abandon
  // The priority mix: labels and the running sums of their weights; empty: the engine's least
  // urgent priority.
  std::vector<std::string> priorities{};
  std::vector<double> priority_cumulative{};
  double vip_share = 0;  // tier "vip"
  // Tag -> probability, each drawn on its own; at most kMaxTagsPerStream.
  std::vector<std::pair<std::string, double>> tags{};
  std::optional<BotSpec> bot{};
  // Whether answering counts as the first response (voice, chat); else the resolution does.
  bool respond_on_answer = true;
};

struct Scenario {
  double duration_hours = 0;
  double warmup_hours = 0;
  uint64_t seed = 1;
  absl::Time start{};
  absl::TimeZone zone{};
  std::string time_zone = "UTC";
  double timeline_minutes = 30;
  // Engine advances between events for the engine's own timers; 0: none. Omitted: one second
  // when an escalation level moves work to another queue or agent, else none.
  double tick_seconds = 0;
  // After the measured period, how long to keep running so that its contacts finish.
  double drain_hours = 24;
  std::vector<AgentGroupSpec> agent_groups{};
  std::vector<QueueSpec> queues{};
  std::vector<ArrivalSpec> arrivals{};
  // The engine configuration (queues and origin included) and the text it was read from.
  EngineConfig engine{};
  std::string engine_json{};
};

// Reads and validates a scenario. InvalidArgument (or NotFound for a missing reference) whose
// message starts with the JSON path.
absl::StatusOr<Scenario> ParseScenario(std::string_view json_text);
// Reads the file first; NotFound naming it when it cannot be read.
absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path);

// The scenario with every queue's routing strategy replaced by `strategy` (agents.h names).
// InvalidArgument for an unknown strategy.
absl::StatusOr<Scenario> WithStrategy(const Scenario& scenario, std::string_view strategy);
// The scenario with every agent count (groups and shifts) multiplied by `factor` (> 0), rounded
// to the nearest integer.
absl::StatusOr<Scenario> WithStaffing(const Scenario& scenario, double factor);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_EXAMPLES_SIM_SCENARIO_H_
