// Escalation policies: declarative levels that work climbs when it runs late.
//
//   omniroute::EscalationPolicySpec spec;
//   spec.name = "support";
//   spec.levels = {
//       {.name = "L1", .time_limit = absl::Hours(4), .calendar = "office"},
//       {.name = "L2", .time_limit = absl::Hours(8), .calendar = "office",
//        .actions = {{.kind = omniroute::EscalationActionKind::kRaisePriorityBy, .amount = 1},
//                    {.kind = omniroute::EscalationActionKind::kRequireSkill,
//                     .target = "senior", .amount = 1}}},
//       {.name = "L3", .actions = {{.kind = omniroute::EscalationActionKind::kNotify,
//                                   .target = "emergency_group"}}}};
//   spec.rules = {
//       {.trigger = {.kind = omniroute::EscalationTriggerKind::kLevelTimeLimit}},
//       {.trigger = {.kind = omniroute::EscalationTriggerKind::kSlaBreached,
//                    .metric = omniroute::SlaMetric::kResolution},
//        .to_level = 2},
//       {.trigger = {.kind = omniroute::EscalationTriggerKind::kTag, .value = "upset"},
//        .from_level = 0, .to_level = 1}};
//   absl::StatusOr<omniroute::EscalationPolicy> policy =
//       omniroute::EscalationPolicy::Create(spec, names);
//   std::optional<omniroute::EscalationStep> step = policy->Evaluate(facts, now, calendars);
//
// Levels are numbered from 0 (the level work starts at). A level may have a time limit, counted
// from entering it in wall time or in open time of a named calendar, and actions the engine
// applies, all together, on entering it. Rules say when to move: a trigger, the level it applies
// from (any level when omitted) and the level it leads to (the next one when omitted). The first
// rule, in listed order, whose trigger holds and whose target is higher than the current level
// wins; a rule may lead to a lower level only if it says `deescalate`. Nothing moves past the last
// level.
//
// Triggers:
// - `sla_warning`: the SLA metric (any metric when omitted) has consumed at least `fraction` of
//   its target; `sla_breached`: it is breached; `sla_remaining_below`: less than `duration` of its
//   business time is left (and it is not yet breached).
// - `level_time_limit`: the current level's time limit has passed.
// - `rejected_offers` / `transfers`: the item's count reached `count`.
// - `tag`: the item carries tag `value` (e.g. "upset", "bot_failed"); `tier`: the customer's tier
//   is `value`.
// - `expected_wait_above`: the queue's expected wait exceeds `duration`; `service_level_below`:
//   the queue's service level so far is below `fraction`.
// - `manual`: an escalation was requested for the item.
// Actions: `raise_priority_by` (amount levels more urgent), `set_priority` (amount),
// `move_to_queue` (target), `require_skill` (target at level amount), `set_preferred_agent`
// (target), `notify` (target role; the `escalated` event carries it), `schedule_follow_up` (after
// `after`, in queue target).
//
// Validation (`Create`): at least one level; unique level names; rules name existing levels;
// every level above 0 reachable from level 0 through the rules; no trigger that can never fire
// (a fraction outside (0, 1], a count below 1, a negative duration, a time-limit rule from a
// level without one, an empty tag or tier); no rule that moves from none of the levels it applies
// to (from the last level without `to_level`, to a lower level without `deescalate`, any rule of a
// one-level policy); actions naming unknown queues, skills, calendars or agents (as
// `EscalationNames` says). Errors name the path, e.g. `levels[1].time_limit`,
// `rules[2].trigger.fraction`.
//
// Thread safety: thread-compatible.
#ifndef OMNIROUTE_ESCALATION_H_
#define OMNIROUTE_ESCALATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/calendar.h"
#include "omniroute/sla.h"

namespace omniroute {

enum class EscalationTriggerKind : uint8_t {
  kSlaWarning,
  kSlaBreached,
  kSlaRemainingBelow,
  kLevelTimeLimit,
  kRejectedOffers,
  kTransfers,
  kTag,
  kTier,
  kExpectedWaitAbove,
  kServiceLevelBelow,
  kManual,
};
// "sla_warning", "sla_breached", "sla_remaining_below", "level_time_limit", "rejected_offers",
// "transfers", "tag", "tier", "expected_wait_above", "service_level_below", "manual".
std::string_view EscalationTriggerKindName(EscalationTriggerKind kind);
absl::StatusOr<EscalationTriggerKind> ParseEscalationTriggerKind(std::string_view name);

enum class EscalationActionKind : uint8_t {
  kRaisePriorityBy,
  kSetPriority,
  kMoveToQueue,
  kRequireSkill,
  kSetPreferredAgent,
  kNotify,
  kScheduleFollowUp,
};
// "raise_priority_by", "set_priority", "move_to_queue", "require_skill", "set_preferred_agent",
// "notify", "schedule_follow_up".
std::string_view EscalationActionKindName(EscalationActionKind kind);
absl::StatusOr<EscalationActionKind> ParseEscalationActionKind(std::string_view name);

// When a rule fires. Fields not used by `kind` are ignored.
struct EscalationTrigger {
  EscalationTriggerKind kind = EscalationTriggerKind::kManual;
  std::optional<SlaMetric> metric{};  // SLA triggers; any metric when omitted
  double fraction = 0;                // sla_warning, service_level_below: in (0, 1]
  absl::Duration duration{};          // sla_remaining_below, expected_wait_above: >= 0
  int count = 0;                      // rejected_offers, transfers: >= 1
  std::string value{};                // tag, tier: non-empty

  friend bool operator==(const EscalationTrigger&, const EscalationTrigger&) = default;
};

// What entering a level does. Fields not used by `kind` are ignored.
struct EscalationAction {
  EscalationActionKind kind = EscalationActionKind::kNotify;
  int amount = 0;          // raise_priority_by (>= 1), set_priority (>= 0), require_skill
                           // (level 1-100)
  std::string target{};    // queue, skill, agent or role name
  absl::Duration after{};  // schedule_follow_up: > 0

  friend bool operator==(const EscalationAction&, const EscalationAction&) = default;
};

struct EscalationLevel {
  std::string name{};
  // InfiniteDuration: none.
  absl::Duration time_limit = absl::InfiniteDuration();
  // The calendar the time limit counts on; empty: wall time.
  std::string calendar{};
  std::vector<EscalationAction> actions{};

  friend bool operator==(const EscalationLevel&, const EscalationLevel&) = default;
};

struct EscalationRule {
  EscalationTrigger trigger{};
  std::optional<int> from_level{};  // any level when omitted
  std::optional<int> to_level{};    // the next level when omitted
  // May lead to a lower level.
  bool deescalate = false;

  friend bool operator==(const EscalationRule&, const EscalationRule&) = default;
};

struct EscalationPolicySpec {
  std::string name{};
  std::vector<EscalationLevel> levels{};
  std::vector<EscalationRule> rules{};

  friend bool operator==(const EscalationPolicySpec&, const EscalationPolicySpec&) = default;
};

// The names actions and levels may use; a null predicate accepts every name.
struct EscalationNames {
  std::function<bool(std::string_view)> queue_exists;
  std::function<bool(std::string_view)> skill_exists;
  std::function<bool(std::string_view)> calendar_exists;
  std::function<bool(std::string_view)> agent_exists;
};

// One SLA clock of the item, as the escalation sees it.
struct EscalationSlaFact {
  SlaMetric metric = SlaMetric::kResolution;
  double consumed = 0;  // fraction of the target used
  bool breached = false;
  absl::Duration remaining = absl::InfiniteDuration();  // business time left
};

// What is known about an item when escalation is evaluated.
struct EscalationFacts {
  int level = 0;
  absl::Time level_entered{};
  std::vector<EscalationSlaFact> sla{};
  int rejected_offers = 0;
  int transfers = 0;
  std::vector<std::string> tags{};
  std::string tier{};
  absl::Duration queue_expected_wait{};
  double queue_service_level = 1.0;
  bool manual = false;
};

// A move the policy calls for.
struct EscalationStep {
  int from_level = 0;
  int to_level = 0;
  int rule = 0;  // index into the spec's rules
  EscalationTriggerKind trigger = EscalationTriggerKind::kManual;

  friend bool operator==(const EscalationStep&, const EscalationStep&) = default;
};

// A validated escalation policy. See the file comment.
class EscalationPolicy {
 public:
  static absl::StatusOr<EscalationPolicy> Create(EscalationPolicySpec spec,
                                                 const EscalationNames& names = {});

  const EscalationPolicySpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  int level_count() const { return static_cast<int>(spec_.levels.size()); }

  // When the current level's time limit passes: `facts.level_entered` plus the limit, in open
  // time of the level's calendar (`calendars` by name) or wall time; InfiniteFuture when the level
  // has none. NotFound when the calendar is missing from `calendars`.
  absl::StatusOr<absl::Time> LevelDeadline(
      int level, absl::Time entered,
      const absl::flat_hash_map<std::string, BusinessCalendar>& calendars) const;

  // The first rule (in listed order) that fires for `facts` at `now`, if any. See the file
  // comment. NotFound as LevelDeadline; InvalidArgument for a level out of range. O(rules).
  absl::StatusOr<std::optional<EscalationStep>> Evaluate(
      const EscalationFacts& facts, absl::Time now,
      const absl::flat_hash_map<std::string, BusinessCalendar>& calendars) const;
  // The same, for a caller that has the current level's deadline at hand: `level_deadline` is
  // what LevelDeadline returns for `facts.level` and `facts.level_entered`. InvalidArgument for
  // a level out of range. O(rules).
  absl::StatusOr<std::optional<EscalationStep>> EvaluateWithDeadline(
      const EscalationFacts& facts, absl::Time now, absl::Time level_deadline) const;

  // Which facts the rules read, so that a caller may leave the others at their defaults:
  // `facts.sla` at all (any SLA trigger), the clocks' `consumed` and `remaining` (warning and
  // remaining-time triggers; `breached` alone otherwise), `tags`, `tier`, and the queue's KPIs
  // (expected wait and service level).
  bool ReadsSla() const { return reads_sla_; }
  bool ReadsSlaProgress() const { return reads_sla_progress_; }
  bool ReadsTags() const { return reads_tags_; }
  bool ReadsTier() const { return reads_tier_; }
  bool ReadsQueueKpis() const { return reads_queue_kpis_; }

 private:
  explicit EscalationPolicy(EscalationPolicySpec spec);
  bool Holds(const EscalationTrigger& trigger, const EscalationFacts& facts, absl::Time now,
             absl::Time deadline) const;

  EscalationPolicySpec spec_;
  bool reads_sla_ = false;
  bool reads_sla_progress_ = false;
  bool reads_tags_ = false;
  bool reads_tier_ = false;
  bool reads_queue_kpis_ = false;
};

}  // namespace omniroute

#endif  // OMNIROUTE_ESCALATION_H_
