#include "omniroute/escalation.h"

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "internal/enum_names.h"
#include "internal/status_macros.h"

namespace omniroute {
namespace {

constexpr std::array<std::string_view, 11> kTriggerNames = {"sla_warning",
                                                            "sla_breached",
                                                            "sla_remaining_below",
                                                            "level_time_limit",
                                                            "rejected_offers",
                                                            "transfers",
                                                            "tag",
                                                            "tier",
                                                            "expected_wait_above",
                                                            "service_level_below",
                                                            "manual"};

constexpr std::array<std::string_view, 7> kActionNames = {
    "raise_priority_by",   "set_priority", "move_to_queue",     "require_skill",
    "set_preferred_agent", "notify",       "schedule_follow_up"};

absl::Status Invalid(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": ", std::string(message)));
}

bool Accepts(const std::function<bool(std::string_view)>& exists, std::string_view name) {
  return !exists || exists(name);
}

// OK when `name` is non-empty and `exists` accepts it; else "<path>: unknown <kind> "<name>"".
absl::Status CheckName(const std::function<bool(std::string_view)>& exists, const std::string& name,
                       const std::string& path, std::string_view kind) {
  if (!name.empty() && Accepts(exists, name)) return absl::OkStatus();
  return Invalid(path, absl::StrCat("unknown ", std::string(kind), " \"", name, "\""));
}

bool FiniteNonNegative(absl::Duration d) {
  return d >= absl::ZeroDuration() && d != absl::InfiniteDuration();
}

bool IsSlaTrigger(EscalationTriggerKind kind) {
  return kind == EscalationTriggerKind::kSlaWarning ||
         kind == EscalationTriggerKind::kSlaBreached ||
         kind == EscalationTriggerKind::kSlaRemainingBelow;
}

absl::Status ValidateAction(const EscalationAction& action, const std::string& path,
                            const EscalationNames& names) {
  switch (action.kind) {
    case EscalationActionKind::kRaisePriorityBy:
      if (action.amount < 1) return Invalid(path + ".amount", "must be 1 or more");
      return absl::OkStatus();
    case EscalationActionKind::kSetPriority:
      if (action.amount < 0) return Invalid(path + ".amount", "must be 0 or more");
      return absl::OkStatus();
    case EscalationActionKind::kMoveToQueue:
      return CheckName(names.queue_exists, action.target, path + ".target", "queue");
    case EscalationActionKind::kRequireSkill:
      OMNIROUTE_RETURN_IF_ERROR(
          CheckName(names.skill_exists, action.target, path + ".target", "skill"));
      if (action.amount < 1 || action.amount > 100) {
        return Invalid(path + ".amount", "a skill level must be in [1, 100]");
      }
      return absl::OkStatus();
    case EscalationActionKind::kSetPreferredAgent:
      return CheckName(names.agent_exists, action.target, path + ".target", "agent");
    case EscalationActionKind::kNotify:
      if (action.target.empty()) return Invalid(path + ".target", "a role to notify is needed");
      return absl::OkStatus();
    case EscalationActionKind::kScheduleFollowUp:
      if (action.after <= absl::ZeroDuration() || action.after == absl::InfiniteDuration()) {
        return Invalid(path + ".after", "must be positive and finite");
      }
      OMNIROUTE_RETURN_IF_ERROR(
          CheckName(names.queue_exists, action.target, path + ".target", "queue"));
      return absl::OkStatus();
  }
  return Invalid(path + ".kind", "not an action");
}

absl::Status ValidateTrigger(const EscalationTrigger& trigger, const std::string& path) {
  switch (trigger.kind) {
    case EscalationTriggerKind::kSlaWarning:
    case EscalationTriggerKind::kServiceLevelBelow:
      if (!(trigger.fraction > 0 && trigger.fraction <= 1)) {
        return Invalid(path + ".fraction", "must be in (0, 1]");
      }
      return absl::OkStatus();
    case EscalationTriggerKind::kSlaRemainingBelow:
    case EscalationTriggerKind::kExpectedWaitAbove:
      if (!FiniteNonNegative(trigger.duration)) {
        return Invalid(path + ".duration", "must be finite and >= 0");
      }
      if (trigger.kind == EscalationTriggerKind::kSlaRemainingBelow &&
          trigger.duration == absl::ZeroDuration()) {
        return Invalid(path + ".duration", "nothing remains below zero: the trigger never fires");
      }
      return absl::OkStatus();
    case EscalationTriggerKind::kRejectedOffers:
    case EscalationTriggerKind::kTransfers:
      if (trigger.count < 1) return Invalid(path + ".count", "must be 1 or more");
      return absl::OkStatus();
    case EscalationTriggerKind::kTag:
    case EscalationTriggerKind::kTier:
      if (trigger.value.empty()) return Invalid(path + ".value", "must not be empty");
      return absl::OkStatus();
    case EscalationTriggerKind::kSlaBreached:
    case EscalationTriggerKind::kLevelTimeLimit:
    case EscalationTriggerKind::kManual:
      return absl::OkStatus();
  }
  return Invalid(path + ".kind", "not a trigger");
}

}  // namespace

std::string_view EscalationTriggerKindName(EscalationTriggerKind kind) {
  return internal::EnumName(kTriggerNames, kind);
}

absl::StatusOr<EscalationTriggerKind> ParseEscalationTriggerKind(std::string_view name) {
  return internal::ParseEnum<EscalationTriggerKind>(kTriggerNames, "escalation trigger", name);
}

std::string_view EscalationActionKindName(EscalationActionKind kind) {
  return internal::EnumName(kActionNames, kind);
}

absl::StatusOr<EscalationActionKind> ParseEscalationActionKind(std::string_view name) {
  return internal::ParseEnum<EscalationActionKind>(kActionNames, "escalation action", name);
}

absl::StatusOr<EscalationPolicy> EscalationPolicy::Create(EscalationPolicySpec spec,
                                                          const EscalationNames& names) {
  if (spec.name.empty()) return Invalid("name", "a policy needs a name");
  if (spec.levels.empty()) return Invalid("levels", "a policy needs at least one level");
  const int levels = static_cast<int>(spec.levels.size());
  absl::flat_hash_set<std::string> level_names;
  for (int l = 0; l < levels; ++l) {
    const EscalationLevel& level = spec.levels[l];
    const std::string path = absl::StrCat("levels[", l, "]");
    if (level.name.empty()) return Invalid(path + ".name", "a level needs a name");
    if (!level_names.insert(level.name).second) {
      return Invalid(path + ".name", absl::StrCat("level \"", level.name, "\" is listed twice"));
    }
    if (level.time_limit < absl::ZeroDuration()) {
      return Invalid(path + ".time_limit", "must be >= 0");
    }
    if (!level.calendar.empty()) {
      OMNIROUTE_RETURN_IF_ERROR(
          CheckName(names.calendar_exists, level.calendar, path + ".calendar", "calendar"));
    }
    for (size_t a = 0; a < level.actions.size(); ++a) {
      if (absl::Status s =
              ValidateAction(level.actions[a], absl::StrCat(path, ".actions[", a, "]"), names);
          !s.ok()) {
        return s;
      }
    }
  }
  // Which levels each rule can move from and to; level 0 must reach every level.
  std::vector<std::vector<int>> edges(levels);
  for (size_t r = 0; r < spec.rules.size(); ++r) {
    const EscalationRule& rule = spec.rules[r];
    const std::string path = absl::StrCat("rules[", r, "]");
    if (absl::Status s = ValidateTrigger(rule.trigger, path + ".trigger"); !s.ok()) return s;
    if (rule.from_level && (*rule.from_level < 0 || *rule.from_level >= levels)) {
      return Invalid(path + ".from_level", absl::StrCat("no level ", *rule.from_level));
    }
    if (rule.to_level && (*rule.to_level < 0 || *rule.to_level >= levels)) {
      return Invalid(path + ".to_level", absl::StrCat("no level ", *rule.to_level));
    }
    if (rule.from_level && rule.to_level) {
      if (*rule.to_level == *rule.from_level) {
        return Invalid(path + ".to_level", "leads to the level it starts from: never moves");
      }
      if (*rule.to_level < *rule.from_level && !rule.deescalate) {
        return Invalid(path + ".to_level", "leads to a lower level without deescalate");
      }
    }
    if (rule.trigger.kind == EscalationTriggerKind::kLevelTimeLimit) {
      const auto limited = [&spec](int l) {
        return spec.levels[l].time_limit != absl::InfiniteDuration();
      };
      if (rule.from_level ? !limited(*rule.from_level)
                          : std::none_of(spec.levels.begin(), spec.levels.end(),
                                         [](const EscalationLevel& level) {
                                           return level.time_limit != absl::InfiniteDuration();
                                         })) {
        return Invalid(path + ".trigger", "no level it applies to has a time limit: never fires");
      }
    }
    bool moves = false;
    for (int from = 0; from < levels; ++from) {
      if (rule.from_level && *rule.from_level != from) continue;
      if (rule.trigger.kind == EscalationTriggerKind::kLevelTimeLimit &&
          spec.levels[from].time_limit == absl::InfiniteDuration()) {
        continue;
      }
      const int to = rule.to_level.value_or(from + 1);
      if (to >= levels || to == from || (to < from && !rule.deescalate)) continue;
      edges[from].push_back(to);
      moves = true;
    }
    if (!moves) {
      return Invalid(path,
                     "moves an item from no level it applies to (nothing moves past the last "
                     "level; a lower level needs deescalate): never fires");
    }
  }
  std::vector<bool> reached(levels, false);
  std::deque<int> frontier = {0};
  reached[0] = true;
  while (!frontier.empty()) {
    const int from = frontier.front();
    frontier.pop_front();
    for (int to : edges[from]) {
      if (!reached[to]) {
        reached[to] = true;
        frontier.push_back(to);
      }
    }
  }
  for (int l = 0; l < levels; ++l) {
    if (!reached[l]) {
      return Invalid(absl::StrCat("levels[", l, "]"),
                     absl::StrCat("level \"", spec.levels[l].name,
                                  "\" cannot be reached from the first level"));
    }
  }
  return EscalationPolicy(std::move(spec));
}

EscalationPolicy::EscalationPolicy(EscalationPolicySpec spec) : spec_(std::move(spec)) {
  for (const EscalationRule& rule : spec_.rules) {
    const EscalationTriggerKind kind = rule.trigger.kind;
    reads_sla_ = reads_sla_ || IsSlaTrigger(kind);
    reads_sla_progress_ = reads_sla_progress_ || kind == EscalationTriggerKind::kSlaWarning ||
                          kind == EscalationTriggerKind::kSlaRemainingBelow;
    reads_tags_ = reads_tags_ || kind == EscalationTriggerKind::kTag;
    reads_tier_ = reads_tier_ || kind == EscalationTriggerKind::kTier;
    reads_queue_kpis_ = reads_queue_kpis_ || kind == EscalationTriggerKind::kExpectedWaitAbove ||
                        kind == EscalationTriggerKind::kServiceLevelBelow;
  }
}

absl::StatusOr<absl::Time> EscalationPolicy::LevelDeadline(
    int level, absl::Time entered,
    const absl::flat_hash_map<std::string, BusinessCalendar>& calendars) const {
  if (level < 0 || level >= level_count()) {
    return absl::InvalidArgumentError(absl::StrCat("no level ", level));
  }
  const EscalationLevel& spec = spec_.levels[level];
  if (spec.time_limit == absl::InfiniteDuration()) return absl::InfiniteFuture();
  if (spec.calendar.empty()) return entered + spec.time_limit;
  const auto it = calendars.find(spec.calendar);
  if (it == calendars.end()) {
    return absl::NotFoundError(absl::StrCat("unknown calendar \"", spec.calendar, "\""));
  }
  return it->second.AddBusinessTime(entered, spec.time_limit);
}

bool EscalationPolicy::Holds(const EscalationTrigger& trigger, const EscalationFacts& facts,
                             absl::Time now, absl::Time deadline) const {
  if (IsSlaTrigger(trigger.kind)) {
    return std::any_of(facts.sla.begin(), facts.sla.end(), [&](const EscalationSlaFact& sla) {
      if (trigger.metric && *trigger.metric != sla.metric) return false;
      switch (trigger.kind) {
        case EscalationTriggerKind::kSlaWarning:
          return sla.consumed >= trigger.fraction;
        case EscalationTriggerKind::kSlaBreached:
          return sla.breached;
        default:
          return !sla.breached && sla.remaining < trigger.duration;
      }
    });
  }
  switch (trigger.kind) {
    case EscalationTriggerKind::kLevelTimeLimit:
      return now >= deadline;
    case EscalationTriggerKind::kRejectedOffers:
      return facts.rejected_offers >= trigger.count;
    case EscalationTriggerKind::kTransfers:
      return facts.transfers >= trigger.count;
    case EscalationTriggerKind::kTag:
      return std::find(facts.tags.begin(), facts.tags.end(), trigger.value) != facts.tags.end();
    case EscalationTriggerKind::kTier:
      return facts.tier == trigger.value;
    case EscalationTriggerKind::kExpectedWaitAbove:
      return facts.queue_expected_wait > trigger.duration;
    case EscalationTriggerKind::kServiceLevelBelow:
      return facts.queue_service_level < trigger.fraction;
    case EscalationTriggerKind::kManual:
      return facts.manual;
    default:
      return false;
  }
}

absl::StatusOr<std::optional<EscalationStep>> EscalationPolicy::Evaluate(
    const EscalationFacts& facts, absl::Time now,
    const absl::flat_hash_map<std::string, BusinessCalendar>& calendars) const {
  absl::StatusOr<absl::Time> deadline = LevelDeadline(facts.level, facts.level_entered, calendars);
  if (!deadline.ok()) return deadline.status();
  return EvaluateWithDeadline(facts, now, *deadline);
}

absl::StatusOr<std::optional<EscalationStep>> EscalationPolicy::EvaluateWithDeadline(
    const EscalationFacts& facts, absl::Time now, absl::Time level_deadline) const {
  if (facts.level < 0 || facts.level >= level_count()) {
    return absl::InvalidArgumentError(absl::StrCat("no level ", facts.level));
  }
  for (size_t r = 0; r < spec_.rules.size(); ++r) {
    const EscalationRule& rule = spec_.rules[r];
    if (rule.from_level && *rule.from_level != facts.level) continue;
    const int to = rule.to_level.value_or(facts.level + 1);
    if (to >= level_count() || to == facts.level || (to < facts.level && !rule.deescalate)) {
      continue;
    }
    if (Holds(rule.trigger, facts, now, level_deadline)) {
      return EscalationStep{facts.level, to, static_cast<int>(r), rule.trigger.kind};
    }
  }
  return std::nullopt;
}

}  // namespace omniroute
