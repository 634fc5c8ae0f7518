// Escalation policies from JSON (see config_json.h for the shape).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "internal/json_reader.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"
#include "omniroute/config_json.h"
#include "omniroute/escalation.h"

namespace omniroute {
namespace {

using internal::JsonPath;

// The "kind" member of an action or trigger object, parsed by `parse`.
template <typename Parse>
auto KindAt(const nlohmann::json& value, const JsonPath& path, std::string_view what, Parse parse)
    -> decltype(parse(std::string_view())) {
  if (!value.contains("kind")) return path.Error(fmt::format("{} needs a \"kind\"", what));
  OMNIROUTE_ASSIGN_OR_RETURN(std::string kind, path.Key("kind").String(value["kind"]));
  auto parsed = parse(kind);
  if (!parsed.ok()) return path.Key("kind").Wrap(parsed.status());
  return parsed;
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
  OMNIROUTE_ASSIGN_OR_RETURN(EscalationActionKind kind,
                             KindAt(value, path, "an action", ParseEscalationActionKind));
  EscalationAction action{.kind = kind};
  if (value.contains("amount")) {
    OMNIROUTE_ASSIGN_OR_RETURN(action.amount, IntegerAt(value["amount"], path.Key("amount")));
  }
  if (value.contains("target")) {
    OMNIROUTE_ASSIGN_OR_RETURN(action.target, path.Key("target").String(value["target"]));
  }
  if (value.contains("after")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        action.after, path.Key("after").Duration(value["after"], BusinessCalendar(), "duration"));
  }
  return action;
}

absl::StatusOr<EscalationTrigger> ParseTrigger(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"kind", "metric", "fraction", "duration", "count", "value"}));
  OMNIROUTE_ASSIGN_OR_RETURN(EscalationTriggerKind kind,
                             KindAt(value, path, "a trigger", ParseEscalationTriggerKind));
  EscalationTrigger trigger{.kind = kind};
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
        trigger.duration,
        path.Key("duration").Duration(value["duration"], BusinessCalendar(), "duration"));
  }
  if (value.contains("count")) {
    OMNIROUTE_ASSIGN_OR_RETURN(trigger.count, IntegerAt(value["count"], path.Key("count")));
  }
  if (value.contains("value")) {
    OMNIROUTE_ASSIGN_OR_RETURN(trigger.value, path.Key("value").String(value["value"]));
  }
  return trigger;
}

// The list at `object[key]` (empty when absent), each element parsed by
// `parse(element, path)`.
template <typename Parse>
auto ListAt(const nlohmann::json& object, std::string_view key, const JsonPath& path,
            std::string_view what, Parse parse)
    -> absl::StatusOr<std::vector<typename decltype(parse(object, path))::value_type>> {
  std::vector<typename decltype(parse(object, path))::value_type> parsed;
  const std::string name(key);
  if (!object.contains(name)) return parsed;
  const JsonPath list_path = path.Key(key);
  if (!object[name].is_array()) return list_path.Error(fmt::format("expected a list of {}", what));
  for (size_t i = 0; i < object[name].size(); ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(auto element, parse(object[name][i], list_path.Index(i)));
    parsed.push_back(std::move(element));
  }
  return parsed;
}

absl::StatusOr<EscalationLevel> ParseLevel(const nlohmann::json& value, const JsonPath& path,
                                           const CalendarMap& calendars) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"name", "time_limit", "calendar", "actions"}));
  EscalationLevel level;
  if (value.contains("name")) {
    OMNIROUTE_ASSIGN_OR_RETURN(level.name, path.Key("name").String(value["name"]));
  }
  BusinessCalendar calendar;
  if (value.contains("calendar")) {
    OMNIROUTE_ASSIGN_OR_RETURN(level.calendar, path.Key("calendar").String(value["calendar"]));
    absl::StatusOr<BusinessCalendar> found = FindCalendar(calendars, level.calendar);
    if (!found.ok()) return path.Key("calendar").Wrap(found.status());
    calendar = *found;
  }
  if (value.contains("time_limit")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        level.time_limit,
        path.Key("time_limit").Duration(value["time_limit"], calendar, "duration"));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(level.actions, ListAt(value, "actions", path, "actions", ParseAction));
  return level;
}

absl::StatusOr<EscalationRule> ParseRule(const nlohmann::json& value, const JsonPath& path,
                                         const std::vector<EscalationLevel>& levels) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"trigger", "from_level", "to_level", "deescalate"}));
  if (!value.contains("trigger")) return path.Error("a rule needs a \"trigger\"");
  EscalationRule rule;
  OMNIROUTE_ASSIGN_OR_RETURN(rule.trigger, ParseTrigger(value["trigger"], path.Key("trigger")));
  if (value.contains("from_level")) {
    OMNIROUTE_ASSIGN_OR_RETURN(rule.from_level,
                               LevelAt(value["from_level"], path.Key("from_level"), levels));
  }
  if (value.contains("to_level")) {
    OMNIROUTE_ASSIGN_OR_RETURN(rule.to_level,
                               LevelAt(value["to_level"], path.Key("to_level"), levels));
  }
  if (value.contains("deescalate")) {
    if (!value["deescalate"].is_boolean()) {
      return path.Key("deescalate").Error("expected true or false");
    }
    rule.deescalate = value["deescalate"].get<bool>();
  }
  return rule;
}

}  // namespace

namespace internal {

absl::StatusOr<EscalationPolicy> ParseEscalationPolicy(const nlohmann::json& value,
                                                       const JsonPath& path,
                                                       const CalendarMap& calendars,
                                                       EscalationNames names) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"name", "levels", "rules"}));
  EscalationPolicySpec spec;
  if (value.contains("name")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.name, path.Key("name").String(value["name"]));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(spec.levels,
                             ListAt(value, "levels", path, "levels",
                                    [&calendars](const nlohmann::json& level, const JsonPath& at) {
                                      return ParseLevel(level, at, calendars);
                                    }));
  OMNIROUTE_ASSIGN_OR_RETURN(spec.rules,
                             ListAt(value, "rules", path, "rules",
                                    [&spec](const nlohmann::json& rule, const JsonPath& at) {
                                      return ParseRule(rule, at, spec.levels);
                                    }));
  if (!names.calendar_exists) {
    names.calendar_exists = [&calendars](std::string_view name) {
      return FindCalendar(calendars, name).ok();
    };
  }
  absl::StatusOr<EscalationPolicy> policy = EscalationPolicy::Create(std::move(spec), names);
  if (!policy.ok() && !path.str().empty()) {
    return absl::Status(policy.status().code(),
                        absl::StrCat(path.str(), ".", policy.status().message()));
  }
  return policy;
}

}  // namespace internal

absl::StatusOr<EscalationPolicy> ParseEscalationPolicyJson(std::string_view json_text,
                                                           const CalendarMap& calendars,
                                                           EscalationNames names) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  return internal::ParseEscalationPolicy(value, JsonPath(), calendars, std::move(names));
}

}  // namespace omniroute
