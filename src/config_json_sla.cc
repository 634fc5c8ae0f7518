// SLA policies and selectors from JSON (see config_json.h for the shapes).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "internal/json_reader.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"
#include "omniroute/config_json.h"

namespace omniroute {
namespace {

using internal::JsonPath;

absl::StatusOr<double> ParseCount(std::string_view text, std::string_view whole) {
  double count = 0;
  if (!absl::SimpleAtod(absl::string_view(text.data(), text.size()), &count) ||
      !std::isfinite(count)) {
    return absl::InvalidArgumentError(fmt::format(
        "malformed duration \"{}\" (expected seconds, \"90s\", \"5m\", \"1h30m\", \"1.5d\" or "
        "\"2wd\")",
        whole));
  }
  return count;
}

absl::StatusOr<SlaTargets> ParseTargets(const nlohmann::json& value, const JsonPath& path,
                                        const SlaPolicy& policy) {
  if (!value.is_object()) return path.Error("expected an object keyed by metric");
  SlaTargets targets;
  for (const auto& [key, target] : value.items()) {
    absl::StatusOr<SlaMetric> metric = ParseSlaMetric(key);
    if (!metric.ok()) return path.Wrap(metric.status());
    OMNIROUTE_ASSIGN_OR_RETURN(
        targets[*metric],
        path.Key(key).Duration(target, policy.settings(*metric).calendar, "target"));
  }
  return targets;
}

absl::StatusOr<std::map<std::string, SlaTargets>> ParseTargetsByPriority(
    const nlohmann::json& value, const JsonPath& path, const SlaPolicy& policy) {
  if (!value.is_object()) return path.Error("expected an object keyed by priority");
  std::map<std::string, SlaTargets> by_priority;
  for (const auto& [priority, targets] : value.items()) {
    OMNIROUTE_ASSIGN_OR_RETURN(by_priority[priority],
                               ParseTargets(targets, path.Key(priority), policy));
  }
  return by_priority;
}

absl::StatusOr<BusinessCalendar> CalendarAt(const nlohmann::json& value, const JsonPath& path,
                                            const CalendarMap& calendars) {
  OMNIROUTE_ASSIGN_OR_RETURN(std::string name, path.String(value));
  absl::StatusOr<BusinessCalendar> calendar = FindCalendar(calendars, name);
  if (!calendar.ok()) return path.Wrap(calendar.status());
  return calendar;
}

absl::Status ParseMetricSettings(const nlohmann::json& value, const JsonPath& path,
                                 const CalendarMap& calendars, SlaPolicy& policy) {
  if (!value.is_object()) return path.Error("expected an object keyed by metric");
  for (const auto& [key, settings] : value.items()) {
    const JsonPath metric_path = path.Key(key);
    absl::StatusOr<SlaMetric> metric = ParseSlaMetric(key);
    if (!metric.ok()) return path.Wrap(metric.status());
    OMNIROUTE_RETURN_IF_ERROR(metric_path.CheckObject(settings, {"calendar", "paused_by"}));
    if (settings.contains("calendar")) {
      OMNIROUTE_ASSIGN_OR_RETURN(
          policy.settings(*metric).calendar,
          CalendarAt(settings["calendar"], metric_path.Key("calendar"), calendars));
    }
    if (settings.contains("paused_by")) {
      OMNIROUTE_ASSIGN_OR_RETURN(policy.settings(*metric).paused_by,
                                 metric_path.Key("paused_by").StringList(settings["paused_by"]));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BusinessCalendar> FindCalendar(const CalendarMap& calendars, std::string_view name) {
  if (auto it = calendars.find(name); it != calendars.end()) return it->second;
  if (name == "24x7") return BusinessCalendar::AlwaysOpen();
  return absl::NotFoundError(fmt::format("unknown calendar \"{}\"", name));
}

absl::StatusOr<absl::Duration> ParseSlaDuration(std::string_view text,
                                                const BusinessCalendar& calendar) {
  absl::Duration duration;
  double seconds = 0;
  if (text.ends_with("wd")) {
    OMNIROUTE_ASSIGN_OR_RETURN(double days, ParseCount(text.substr(0, text.size() - 2), text));
    if (WorkingDay(calendar) == absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          fmt::format("\"{}\": working days on a calendar without weekly hours", text));
    }
    duration = WorkingDay(calendar) * days;
  } else if (text.ends_with('d')) {
    OMNIROUTE_ASSIGN_OR_RETURN(double days, ParseCount(text.substr(0, text.size() - 1), text));
    duration = absl::Hours(24) * days;
  } else if (absl::SimpleAtod(absl::string_view(text.data(), text.size()), &seconds)) {
    OMNIROUTE_ASSIGN_OR_RETURN(seconds, ParseCount(text, text));
    duration = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(absl::string_view(text.data(), text.size()), &duration)) {
    return ParseCount(text, text).status();
  }
  if (duration == absl::InfiniteDuration() || duration == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(fmt::format("duration \"{}\" is not finite", text));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(fmt::format("negative target \"{}\"", text));
  }
  return duration;
}

namespace internal {

absl::StatusOr<SlaPolicy> ParseSlaPolicy(const nlohmann::json& value, const JsonPath& path,
                                         const CalendarMap& calendars) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(
      value, {"name", "calendar", "warn_at", "targets", "tiers", "tier_targets", "metrics"}));
  if (!value.contains("name")) return path.Error("an SLA policy needs a \"name\"");
  SlaPolicy policy;
  OMNIROUTE_ASSIGN_OR_RETURN(policy.name, path.Key("name").String(value["name"]));
  if (value.contains("calendar")) {
    OMNIROUTE_ASSIGN_OR_RETURN(BusinessCalendar calendar,
                               CalendarAt(value["calendar"], path.Key("calendar"), calendars));
    for (SlaMetricSettings& settings : policy.metrics) settings.calendar = calendar;
  }
  if (value.contains("metrics")) {
    OMNIROUTE_RETURN_IF_ERROR(
        ParseMetricSettings(value["metrics"], path.Key("metrics"), calendars, policy));
  }
  if (value.contains("warn_at")) {
    const JsonPath warn_path = path.Key("warn_at");
    const nlohmann::json& warn_at = value["warn_at"];
    if (!warn_at.is_array()) return warn_path.Error("expected a list of fractions");
    for (size_t i = 0; i < warn_at.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(double fraction, warn_path.Index(i).Number(warn_at[i]));
      policy.warn_at.push_back(fraction);
    }
  }
  if (value.contains("targets")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        policy.targets, ParseTargetsByPriority(value["targets"], path.Key("targets"), policy));
  }
  if (value.contains("tiers")) {
    const JsonPath tiers_path = path.Key("tiers");
    const nlohmann::json& tiers = value["tiers"];
    if (!tiers.is_object()) return tiers_path.Error("expected an object of tier factors");
    for (const auto& [tier, factor] : tiers.items()) {
      OMNIROUTE_ASSIGN_OR_RETURN(policy.tier_factors[tier], tiers_path.Key(tier).Number(factor));
    }
  }
  if (value.contains("tier_targets")) {
    const JsonPath tier_path = path.Key("tier_targets");
    const nlohmann::json& tier_targets = value["tier_targets"];
    if (!tier_targets.is_object()) return tier_path.Error("expected an object keyed by tier");
    for (const auto& [tier, targets] : tier_targets.items()) {
      OMNIROUTE_ASSIGN_OR_RETURN(policy.tier_targets[tier],
                                 ParseTargetsByPriority(targets, tier_path.Key(tier), policy));
    }
  }
  if (absl::Status valid = policy.Validate(); !valid.ok()) return path.Wrap(valid);
  return policy;
}

absl::StatusOr<SlaRule> ParseSlaRule(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(
      value, {"channels", "queues", "priorities", "tiers", "tags_any", "tags_all", "policy"}));
  if (!value.contains("policy")) return path.Error("a rule needs a \"policy\"");
  SlaRule rule;
  OMNIROUTE_ASSIGN_OR_RETURN(rule.policy, path.Key("policy").String(value["policy"]));
  const std::pair<const char*, std::vector<std::string>*> lists[] = {
      {"channels", &rule.channels}, {"queues", &rule.queues},     {"priorities", &rule.priorities},
      {"tiers", &rule.tiers},       {"tags_any", &rule.tags_any}, {"tags_all", &rule.tags_all}};
  for (const auto& [key, list] : lists) {
    if (value.contains(key)) {
      OMNIROUTE_ASSIGN_OR_RETURN(*list, path.Key(key).StringList(value[key]));
    }
  }
  return rule;
}

absl::StatusOr<SlaSelector> ParseSlaSelector(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"rules", "default"}));
  std::vector<SlaRule> rules;
  if (value.contains("rules")) {
    const JsonPath rules_path = path.Key("rules");
    if (!value["rules"].is_array()) return rules_path.Error("expected a list of rules");
    for (size_t i = 0; i < value["rules"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(SlaRule rule,
                                 ParseSlaRule(value["rules"][i], rules_path.Index(i)));
      rules.push_back(std::move(rule));
    }
  }
  std::string default_policy;
  if (value.contains("default")) {
    OMNIROUTE_ASSIGN_OR_RETURN(default_policy, path.Key("default").String(value["default"]));
  }
  return SlaSelector(std::move(rules), std::move(default_policy));
}

}  // namespace internal

absl::StatusOr<SlaPolicy> ParseSlaPolicyJson(std::string_view json_text,
                                             const CalendarMap& calendars) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  return internal::ParseSlaPolicy(value, JsonPath(), calendars);
}

absl::StatusOr<SlaSelector> ParseSlaSelectorJson(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  return internal::ParseSlaSelector(value, JsonPath());
}

}  // namespace omniroute
