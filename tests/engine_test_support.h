// Shared by the engine's property and error tests: one configuration with variants, and the
// engine's views as text (for failure messages and "nothing changed" comparisons).
#ifndef OMNIROUTE_TESTS_ENGINE_TEST_SUPPORT_H_
#define OMNIROUTE_TESTS_ENGINE_TEST_SUPPORT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute::engine_test {

// Berlin office hours, an SLA policy on them, a three-level escalation as the default policy and
// a "quiet" one without a manual rule, four queues (support auto-accepts, billing has a follow-up
// into followups, quietq uses the quiet policy), auto-close.
inline constexpr char kConfigTemplate[] = R"json({
  "origin": "$ORIGIN",
  "priorities": $PRIORITIES,
  "calendars": {
    "office": {"tz": "Europe/Berlin",
               "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]],
                        "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]],
                        "fri": [["09:00", "17:00"]]}}
  },
  "sla_policies": [
    {"name": "standard", "calendar": "office", "warn_at": [0.5, 0.8],
     "targets": {"A": {"first_response": "$A_FIRST", "resolution": "4h"},
                 "B": {"first_response": "2h", "resolution": "8h"},
                 "C": {"first_response": "8h", "resolution": "2wd"}}}
  ],
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
    {"name": "quiet", "levels": [{"name": "Q1"}, {"name": "Q2"}],
     "rules": [{"trigger": {"kind": "tag", "value": "upset"}}]}
  ],
  "queues": [
    {"name": "billing", "strategy": "$BILLING_STRATEGY", "offer_timeout": "$OFFER_TIMEOUT",
     "sla_policy": "standard", "follow_up": {"after": "1d", "queue": "followups"}},
    {"name": "support", "strategy": "least_occupied", "auto_accept": true,
     "sla_policy": "standard", "order": "$SUPPORT_ORDER"},
    {"name": "followups", "strategy": "round_robin", "sla_policy": "standard",
     "order": "deadline_first"},
    {"name": "quietq", "sla_policy": "standard", "escalation_policy": "quiet"}$EXTRA_QUEUE
  ],
  "lifecycle": {"auto_close_after": "2d"}
})json";

struct ConfigVariant {
  std::string origin = "2026-03-02T07:30:00Z";
  std::string priorities = R"(["A", "B", "C"])";
  std::string a_first = "30m";
  std::string billing_strategy = "longest_idle";
  std::string offer_timeout = "45s";
  std::string support_order = "weighted_aging";
  std::string extra_queue{};
};

inline std::string ConfigJson(const ConfigVariant& v = {}) {
  return absl::StrReplaceAll(kConfigTemplate, {{"$ORIGIN", v.origin},
                                               {"$OFFER_TIMEOUT", v.offer_timeout},
                                               {"$PRIORITIES", v.priorities},
                                               {"$A_FIRST", v.a_first},
                                               {"$BILLING_STRATEGY", v.billing_strategy},
                                               {"$SUPPORT_ORDER", v.support_order},
                                               {"$EXTRA_QUEUE", v.extra_queue}});
}

inline std::unique_ptr<Engine> MustEngine(const std::string& json) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = EngineFromJson(json);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

inline std::string MapText(const std::map<std::string, int>& m) {
  return absl::StrJoin(m, ",", absl::PairFormatter("="));
}

inline std::string ItemText(const EngineItemView& v) {
  std::string out = absl::StrCat(
      v.id, " ", std::string(ItemStateName(v.state)), " q=", v.queue, " ch=", v.channel,
      " p=", v.priority, "/", v.routing_priority, " tier=", v.tier, " tags=[",
      absl::StrJoin(v.tags, ","), "] cust=", v.customer, " agent=", v.agent,
      " created=", absl::FormatTime(v.created), " pol=", v.escalation_policy, " lvl=", v.level, "/",
      v.level_name, " tr=", v.transfers, " reo=", v.reopens, " rej=", v.rejected_offers,
      " pos=", v.position ? absl::StrCat(*v.position) : "-");
  for (const SlaClockView& c : v.sla) {
    absl::StrAppend(&out, " [", std::string(SlaMetricName(c.metric)), " ",
                    std::string(SlaStateName(c.state)), " ", absl::FormatTime(c.start), " ",
                    absl::FormatTime(c.deadline), " ", absl::FormatDuration(c.target), " ",
                    absl::FormatDuration(c.elapsed), "]");
  }
  return out;
}

inline std::string AgentText(const EngineAgentView& v) {
  return absl::StrCat(v.id, " ", std::string(AgentStateName(v.state)), " away=", v.away_reason,
                      " load={", MapText(v.load), "} units=", v.used_units, "/", v.budget,
                      " assigned=[", absl::StrJoin(v.assigned, ","), "] offered=[",
                      absl::StrJoin(v.offered, ","), "] handled=", v.handled,
                      " free_in=", absl::FormatDuration(v.estimated_time_until_free), " queues=[",
                      absl::StrJoin(v.queues, ","), "]");
}

inline std::string QueueText(const QueueStats& s) {
  std::string out = absl::StrCat(
      s.name, " waiting=", s.waiting, " longest=", absl::FormatDuration(s.longest_wait),
      " by_prio=[", absl::StrJoin(s.waiting_by_priority, ","), "] arrived=", s.arrived,
      " answered=", s.answered, " abandoned=", s.abandoned, "/", s.abandoned_after_threshold,
      " within=", s.answered_within_threshold, " sl=", s.service_level,
      " avg_wait=", absl::FormatDuration(s.average_wait_answered), " staffed=", s.agents_staffed,
      " available=", s.agents_available, " ewt=", absl::FormatDuration(s.expected_wait),
      " rate=", s.service_rate_per_hour);
  for (const auto& [threshold, count] : s.answered_within) {
    absl::StrAppend(&out, " ", absl::FormatDuration(threshold), ":", count);
  }
  return out;
}

inline std::string KpiText(const EngineKpis& k) {
  std::string out = absl::StrCat(
      "submitted=", k.submitted, " answered=", k.answered, " fr=", k.first_responses,
      " afr=", absl::FormatDuration(k.average_first_response), " resolved=", k.resolved,
      " art=", absl::FormatDuration(k.average_resolution), " fcr=", k.first_contact_resolution,
      " on_time=", k.on_time, " abandoned=", k.abandoned, " rate=", k.abandonment_rate,
      " transfers=", k.transfers, " reopened=", k.reopened, " closed=", k.closed,
      " cancelled=", k.cancelled);
  for (const auto& [key, count] : k.escalations) {
    absl::StrAppend(&out, " ", key.first, "/", key.second, ":", count);
  }
  return out;
}

}  // namespace omniroute::engine_test

#endif  // OMNIROUTE_TESTS_ENGINE_TEST_SUPPORT_H_
