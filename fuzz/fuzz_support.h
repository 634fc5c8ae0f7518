// What the fuzz targets share: how an invariant failure ends the run, and the engine
// configuration the journal, snapshot and command-stream targets (and their seed generator) use.
#ifndef OMNIROUTE_FUZZ_FUZZ_SUPPORT_H_
#define OMNIROUTE_FUZZ_FUZZ_SUPPORT_H_

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute::fuzz {

// Ends the run the way a crash does, so that libFuzzer keeps the input that broke an invariant.
[[noreturn]] inline void Fail(std::string_view message) {
  std::fprintf(stderr, "omniroute fuzz invariant failed: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::abort();
}

// An error status must say what went wrong and carry one of `allowed` codes.
inline void CheckError(const absl::Status& status, std::string_view call,
                       std::initializer_list<absl::StatusCode> allowed) {
  if (status.ok()) return;
  if (status.message().empty())
    Fail(absl::StrCat(std::string(call), ": an error without a message"));
  for (const absl::StatusCode code : allowed) {
    if (status.code() == code) return;
  }
  Fail(absl::StrCat(std::string(call), ": undocumented error code: ", status.ToString()));
}

// Berlin office hours with a lunch break, a Saturday night shift, Easter holidays and a special
// Saturday; the engine starts on the Friday before the spring daylight-saving change. Two SLA
// policies chosen by a selector, a default escalation policy and a quiet one with queue-KPI
// triggers, four queues with every ordering, auto-accept, a follow-up and auto-close. The skill
// catalog is open, so journals carry interned skill names.
//
// Queue-KPI triggers make the engine sweep every `escalation_check_interval`, so advancing the
// clock costs time in proportion to the span over the interval. The command stream moves time by
// at most days per command and has them (checked daily); journals and snapshots, whose instants
// may lie centuries ahead, use the configuration without them.
inline constexpr char kEngineConfigTemplate[] = R"json({
  "origin": "2026-03-27T07:00:00Z",
  "priorities": $PRIORITIES,
  "calendars": {
    "office": {"tz": "Europe/Berlin",
               "week": {"mon": [["08:00", "12:00"], ["13:00", "18:00"]],
                        "tue": [["08:00", "12:00"], ["13:00", "18:00"]],
                        "wed": [["08:00", "12:00"], ["13:00", "18:00"]],
                        "thu": [["08:00", "12:00"], ["13:00", "18:00"]],
                        "fri": [["08:00", "12:00"], ["13:00", "18:00"]],
                        "sat": [["22:00", "02:00"]]},
               "holidays": ["2026-04-03", "2026-04-06"],
               "special_days": {"2026-04-04": [["09:00", "12:00"]]}}
  },
  "channels": [{"name": "voice", "cost": 100, "blocks": ["chat"], "wrap_up": "20s"},
               {"name": "chat", "cost": 30}, {"name": "email", "cost": 10}],
  "sla_policies": [
    {"name": "standard", "calendar": "office", "warn_at": [0.5, 0.8],
     "targets": {"A": {"first_response": "$A_FIRST", "resolution": "4h"},
                 "B": {"first_response": "2h", "resolution": "8h"},
                 "C": {"first_response": "8h", "resolution": "2wd"}},
     "tiers": {"vip": 0.5},
     "metrics": {"resolution": {"paused_by": ["customer", "third_party"]}}},
    {"name": "around_the_clock", "warn_at": [0.9],
     "targets": {"A": {"first_response": "5m", "next_response": "10m",
                       "periodic_update": "1h", "resolution": "1h"},
                 "B": {"first_response": "15m", "next_response": "30m", "resolution": "4h"},
                 "C": {"first_response": "1h", "resolution": "1d"}}}
  ],
  "sla_selector": {"rules": [{"channels": ["voice"], "policy": "around_the_clock"},
                             {"tiers": ["vip"], "tags_any": ["upset"],
                              "policy": "around_the_clock"}],
                   "default": "standard"},
  "escalation": {
    "name": "support",
    "levels": [
      {"name": "L1", "time_limit": "2h", "calendar": "office"},
      {"name": "L2", "time_limit": "4h", "calendar": "office",
       "actions": [{"kind": "raise_priority_by", "amount": 1},
                   {"kind": "require_skill", "target": "senior", "amount": 10}]},
      {"name": "L3", "actions": [{"kind": "notify", "target": "supervisors"}]}
    ],
    "rules": [
      {"trigger": {"kind": "level_time_limit"}},
      {"trigger": {"kind": "sla_breached", "metric": "resolution"}, "to_level": "L3"},
      {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1", "to_level": "L2"},
      {"trigger": {"kind": "rejected_offers", "count": 2}, "from_level": "L1"},
      {"trigger": {"kind": "manual"}}
    ]
  },
  "escalation_policies": [
    {"name": "quiet", "levels": [{"name": "Q1"}, {"name": "Q2",
                                  "actions": [{"kind": "move_to_queue", "target": "billing"}]}],
     "rules": [{"trigger": {"kind": "tag", "value": "upset"}}$QUEUE_KPI_RULES]}
  ],
  "queues": [
    {"name": "billing", "strategy": "$BILLING_STRATEGY", "offer_timeout": "45s",
     "sla_policy": "standard", "max_wait_by_priority": {"C": "45m"},
     "follow_up": {"after": "1d", "queue": "followups"}},
    {"name": "support", "strategy": "least_occupied", "auto_accept": true,
     "sla_policy": "standard", "order": "$SUPPORT_ORDER", "aging_weight": "5m"},
    {"name": "followups", "strategy": "round_robin", "sla_policy": "standard",
     "order": "deadline_first"},
    {"name": "quietq", "strategy": "most_skilled", "sla_policy": "standard",
     "escalation_policy": "quiet"}$EXTRA_QUEUE
  ],
  "agents": {"reject_cooldown": "10s", "missed_cooldown": "30s", "auto_away_after_misses": 2,
             "seed": 7},
  "lifecycle": {"auto_close_after": "2d"},
  "escalation_check_interval": "1d"
})json";

// Whether the configuration has queue-KPI triggers (see above).
enum class QueueKpis : bool { kOff, kOn };

struct EngineConfigVariant {
  QueueKpis queue_kpis = QueueKpis::kOn;
  std::string priorities = R"(["A", "B", "C"])";
  std::string a_first = "30m";
  std::string billing_strategy = "longest_idle";
  std::string support_order = "weighted_aging";
  std::string extra_queue{};
};

inline std::string EngineConfigJson(const EngineConfigVariant& v = {}) {
  const char* const queue_kpi_rules = v.queue_kpis == QueueKpis::kOn ? R"(,
               {"trigger": {"kind": "expected_wait_above", "duration": "20m"}},
               {"trigger": {"kind": "service_level_below", "fraction": 0.5}})"
                                                                     : "";
  return absl::StrReplaceAll(kEngineConfigTemplate, {{"$QUEUE_KPI_RULES", queue_kpi_rules},
                                                     {"$PRIORITIES", v.priorities},
                                                     {"$A_FIRST", v.a_first},
                                                     {"$BILLING_STRATEGY", v.billing_strategy},
                                                     {"$SUPPORT_ORDER", v.support_order},
                                                     {"$EXTRA_QUEUE", v.extra_queue}});
}

// What reconfiguration commands pick from: the configuration itself, accepted changes, and
// changes the engine must refuse whole (priorities, a queue's ordering, malformed JSON).
inline std::vector<std::string> MakeReconfigurations(QueueKpis kpis) {
  return {
      EngineConfigJson({.queue_kpis = kpis}),
      EngineConfigJson({.queue_kpis = kpis, .a_first = "1h", .billing_strategy = "most_skilled"}),
      EngineConfigJson({.queue_kpis = kpis,
                        .billing_strategy = "fewest_handled",
                        .extra_queue = R"(, {"name": "vip", "sla_policy": "around_the_clock"})"}),
      EngineConfigJson({.queue_kpis = kpis, .priorities = R"(["A", "B", "C", "D"])"}),
      EngineConfigJson({.queue_kpis = kpis, .support_order = "priority_fifo"}),
      "{\"queues\": [",
  };
}
inline constexpr size_t kReconfigurationCount = 6;

inline const std::vector<std::string>& Reconfigurations(QueueKpis kpis) {
  static const auto* const with =
      new std::vector<std::string>(MakeReconfigurations(QueueKpis::kOn));
  static const auto* const without =
      new std::vector<std::string>(MakeReconfigurations(QueueKpis::kOff));
  return kpis == QueueKpis::kOn ? *with : *without;
}

// `EngineConfigJson({.queue_kpis = kpis})` parsed once (copies share its calendars).
inline const EngineConfig& FuzzEngineConfig(QueueKpis kpis) {
  static const auto parse = [](QueueKpis k) {
    absl::StatusOr<EngineConfig> parsed =
        ParseEngineConfigJson(EngineConfigJson({.queue_kpis = k}));
    if (!parsed.ok()) Fail(absl::StrCat("the fuzz configuration: ", parsed.status().ToString()));
    return new EngineConfig(*std::move(parsed));
  };
  static const EngineConfig* const with = parse(QueueKpis::kOn);
  static const EngineConfig* const without = parse(QueueKpis::kOff);
  return kpis == QueueKpis::kOn ? *with : *without;
}

}  // namespace omniroute::fuzz

#endif  // OMNIROUTE_FUZZ_FUZZ_SUPPORT_H_
