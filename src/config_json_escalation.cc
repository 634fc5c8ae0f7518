// Escalation policies from JSON (see config_json.h for the shape).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "internal/json_reader.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"
#include "omniroute/config_json.h"
#include "omniroute/escalation.h"

namespace omniroute {
namespace {

using internal::JsonPath;

absl::StatusOr<absl::Duration> DurationAt(const nlohmann::json& value, const JsonPath& path,
                                          const BusinessCalendar& calendar) {
  absl::StatusOr<absl::Duration> duration;
  if (value.is_number()) {
    OMNIROUTE_ASSIGN_OR_RETURN(double seconds, path.Number(value));
    if (seconds < 0) return path.Error(fmt::format("negative duration {}", seconds));
    duration = absl::Seconds(seconds);
  } else if (value.is_string()) {
    duration = ParseSlaDuration(value.get_ref<const std::string&>(), calendar);
  } else {
    return path.Error("expected a duration: seconds or a string such as \"4h\" or \"2wd\"");
  }
  if (!duration.ok()) return path.Wrap(duration.status());
  return duration;
}

absl::StatusOr<int> IntegerAt(const nlohmann::json& value, const JsonPath& path) {
  if (!value.is_number_integer()) return path.Error("expected an integer");
  return value.get<int>();
}

// A level by name or by index.
absl::StatusOr<int> LevelAt(const nlohmann::json& value, const JsonPath& path,
                            const std::vector<EscalationLevel>& levels) {
  if (value.is_number_integer()) return value.get<int>();
  OMNIROUTE_ASSIGN_OR_RETURN(std::string name, path.String(value));
  for (size_t l = 0; l < levels.size(); ++l) {
    if (levels[l].name == name) return static_cast<int>(l);
  }
  return path.Error(fmt::format("unknown level \"{}\"", name));
}

absl::StatusOr<EscalationAction> ParseAction(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"kind", "amount", "target", "after"}));
  if (!value.contains("kind")) return path.Error("an action needs a \"kind\"");
  OMNIROUTE_ASSIGN_OR_RETURN(std::string kind, path.Key("kind").String(value["kind"]));
  absl::StatusOr<EscalationActionKind> parsed = ParseEscalationActionKind(kind);
  if (!parsed.ok()) return path.Key("kind").Wrap(parsed.status());
  EscalationAction action{.kind = *parsed};
  if (value.contains("amount")) {
    OMNIROUTE_ASSIGN_OR_RETURN(action.amount, IntegerAt(value["amount"], path.Key("amount")));
  }
  if (value.contains("target")) {
    OMNIROUTE_ASSIGN_OR_RETURN(action.target, path.Key("target").String(value["target"]));
  }
  if (value.contains("after")) {
    OMNIROUTE_ASSIGN_OR_RETURN(action.after,
                               DurationAt(value["after"], path.Key("after"), BusinessCalendar()));
  }
  return action;
}

absl::StatusOr<EscalationTrigger> ParseTrigger(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"kind", "metric", "fraction", "duration", "count", "value"}));
  if (!value.contains("kind")) return path.Error("a trigger needs a \"kind\"");
  OMNIROUTE_ASSIGN_OR_RETURN(std::string kind, path.Key("kind").String(value["kind"]));
  absl::StatusOr<EscalationTriggerKind> parsed = ParseEscalationTriggerKind(kind);
  if (!parsed.ok()) return path.Key("kind").Wrap(parsed.status());
  EscalationTrigger trigger{.kind = *parsed};
  if (value.contains("metric")) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string metric, path.Key("metric").String(value["metric"]));
    absl::StatusOr<SlaMetric> parsed_metric = ParseSlaMetric(metric);
    if (!parsed_metric.ok()) return path.Key("metric").Wrap(parsed_metric.status());
    trigger.metric = *parsed_metric;
  }
  if (value.contains("fraction")) {
    OMNIROUTE_ASSIGN_OR_RETURN(trigger.fraction, path.Key("fraction").Number(value["fraction"]));
  }
  if (value.contains("duration")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        trigger.duration, DurationAt(value["duration"], path.Key("duration"), BusinessCalendar()));
  }
  if (value.contains("count")) {
    OMNIROUTE_ASSIGN_OR_RETURN(trigger.count, IntegerAt(value["count"], path.Key("count")));
  }
  if (value.contains("value")) {
    OMNIROUTE_ASSIGN_OR_RETURN(trigger.value, path.Key("value").String(value["value"]));
  }
  return trigger;
}

}  // namespace

absl::StatusOr<EscalationPolicy> ParseEscalationPolicyJson(std::string_view json_text,
                                                           const CalendarMap& calendars,
                                                           EscalationNames names) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  const JsonPath root;
  OMNIROUTE_RETURN_IF_ERROR(root.CheckObject(value, {"name", "levels", "rules"}));
  EscalationPolicySpec spec;
  if (value.contains("name")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.name, root.Key("name").String(value["name"]));
  }
  const JsonPath levels_path = root.Key("levels");
  if (value.contains("levels")) {
    if (!value["levels"].is_array()) return levels_path.Error("expected a list of levels");
    for (size_t l = 0; l < value["levels"].size(); ++l) {
      const nlohmann::json& level_value = value["levels"][l];
      const JsonPath path = levels_path.Index(l);
      OMNIROUTE_RETURN_IF_ERROR(
          path.CheckObject(level_value, {"name", "time_limit", "calendar", "actions"}));
      EscalationLevel level;
      if (level_value.contains("name")) {
        OMNIROUTE_ASSIGN_OR_RETURN(level.name, path.Key("name").String(level_value["name"]));
      }
      BusinessCalendar calendar;
      if (level_value.contains("calendar")) {
        OMNIROUTE_ASSIGN_OR_RETURN(level.calendar,
                                   path.Key("calendar").String(level_value["calendar"]));
        absl::StatusOr<BusinessCalendar> found = FindCalendar(calendars, level.calendar);
        if (!found.ok()) return path.Key("calendar").Wrap(found.status());
        calendar = *found;
      }
      if (level_value.contains("time_limit")) {
        OMNIROUTE_ASSIGN_OR_RETURN(level.time_limit, DurationAt(level_value["time_limit"],
                                                                path.Key("time_limit"), calendar));
      }
      if (level_value.contains("actions")) {
        const JsonPath actions_path = path.Key("actions");
        if (!level_value["actions"].is_array()) {
          return actions_path.Error("expected a list of actions");
        }
        for (size_t a = 0; a < level_value["actions"].size(); ++a) {
          OMNIROUTE_ASSIGN_OR_RETURN(EscalationAction action,
                                     ParseAction(level_value["actions"][a], actions_path.Index(a)));
          level.actions.push_back(std::move(action));
        }
      }
      spec.levels.push_back(std::move(level));
    }
  }
  const JsonPath rules_path = root.Key("rules");
  if (value.contains("rules")) {
    if (!value["rules"].is_array()) return rules_path.Error("expected a list of rules");
    for (size_t r = 0; r < value["rules"].size(); ++r) {
      const nlohmann::json& rule_value = value["rules"][r];
      const JsonPath path = rules_path.Index(r);
      OMNIROUTE_RETURN_IF_ERROR(
          path.CheckObject(rule_value, {"trigger", "from_level", "to_level", "deescalate"}));
      if (!rule_value.contains("trigger")) return path.Error("a rule needs a \"trigger\"");
      EscalationRule rule;
      OMNIROUTE_ASSIGN_OR_RETURN(rule.trigger,
                                 ParseTrigger(rule_value["trigger"], path.Key("trigger")));
      if (rule_value.contains("from_level")) {
        OMNIROUTE_ASSIGN_OR_RETURN(rule.from_level, LevelAt(rule_value["from_level"],
                                                            path.Key("from_level"), spec.levels));
      }
      if (rule_value.contains("to_level")) {
        OMNIROUTE_ASSIGN_OR_RETURN(
            rule.to_level, LevelAt(rule_value["to_level"], path.Key("to_level"), spec.levels));
      }
      if (rule_value.contains("deescalate")) {
        if (!rule_value["deescalate"].is_boolean()) {
          return path.Key("deescalate").Error("expected true or false");
        }
        rule.deescalate = rule_value["deescalate"].get<bool>();
      }
      spec.rules.push_back(std::move(rule));
    }
  }
  if (!names.calendar_exists) {
    names.calendar_exists = [&calendars](std::string_view name) {
      return FindCalendar(calendars, name).ok();
    };
  }
  return EscalationPolicy::Create(std::move(spec), names);
}

}  // namespace omniroute
