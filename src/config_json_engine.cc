// Engine configuration from JSON (see config_json.h for the shape).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "internal/json_reader.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"
#include "omniroute/config_json.h"
#include "omniroute/engine.h"

namespace omniroute {
namespace {

using internal::JsonPath;

absl::StatusOr<bool> BoolAt(const nlohmann::json& value, const JsonPath& path) {
  if (!value.is_boolean()) return path.Error("expected true or false");
  return value.get<bool>();
}

absl::StatusOr<int> IntAt(const nlohmann::json& value, const JsonPath& path) {
  if (!value.is_number_integer()) return path.Error("expected an integer");
  return value.get<int>();
}

// A wall-clock duration; "never" or null for InfiniteDuration when `infinite_ok`.
absl::StatusOr<absl::Duration> DurationAt(const nlohmann::json& value, const JsonPath& path,
                                          bool infinite_ok = false) {
  if (infinite_ok && (value.is_null() || (value.is_string() && value == "never"))) {
    return absl::InfiniteDuration();
  }
  return path.Duration(value, BusinessCalendar(), "duration");
}

template <typename Parse>
auto ParseEnumAt(const nlohmann::json& value, const JsonPath& path, Parse parse)
    -> decltype(parse(std::string_view())) {
  OMNIROUTE_ASSIGN_OR_RETURN(std::string text, path.String(value));
  auto parsed = parse(text);
  if (!parsed.ok()) return path.Wrap(parsed.status());
  return parsed;
}

absl::StatusOr<ChannelSpec> ParseChannel(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"name", "cost", "blocks", "wrap_up"}));
  ChannelSpec channel;
  if (!value.contains("name")) return path.Error("a channel needs a \"name\"");
  OMNIROUTE_ASSIGN_OR_RETURN(channel.name, path.Key("name").String(value["name"]));
  if (value.contains("cost")) {
    OMNIROUTE_ASSIGN_OR_RETURN(channel.cost, IntAt(value["cost"], path.Key("cost")));
  }
  if (value.contains("blocks")) {
    OMNIROUTE_ASSIGN_OR_RETURN(channel.blocks, path.Key("blocks").StringList(value["blocks"]));
  }
  if (value.contains("wrap_up")) {
    OMNIROUTE_ASSIGN_OR_RETURN(channel.wrap_up, DurationAt(value["wrap_up"], path.Key("wrap_up")));
  }
  return channel;
}

absl::StatusOr<EngineQueueSpec> ParseQueue(const nlohmann::json& value, const JsonPath& path,
                                           const std::vector<std::string>& priorities) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(
      value, {"name", "strategy", "order", "aging_weight", "max_wait", "max_wait_by_priority",
              "auto_accept", "offer_timeout", "preferred_agent_window", "sla_policy",
              "escalation_policy", "service_level", "service_level_seconds", "follow_up"}));
  EngineQueueSpec q;
  if (!value.contains("name")) return path.Error("a queue needs a \"name\"");
  OMNIROUTE_ASSIGN_OR_RETURN(q.name, path.Key("name").String(value["name"]));
  if (value.contains("strategy")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.strategy,
                               ParseEnumAt(value["strategy"], path.Key("strategy"), ParseStrategy));
  }
  if (value.contains("order")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.order.order,
                               ParseEnumAt(value["order"], path.Key("order"), ParseQueueOrder));
  }
  if (value.contains("aging_weight")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.order.aging_weight,
                               DurationAt(value["aging_weight"], path.Key("aging_weight")));
  }
  if (value.contains("max_wait")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.order.max_wait,
                               DurationAt(value["max_wait"], path.Key("max_wait"), true));
  }
  if (value.contains("max_wait_by_priority")) {
    const JsonPath at = path.Key("max_wait_by_priority");
    const nlohmann::json& by = value["max_wait_by_priority"];
    if (!by.is_object()) return at.Error("expected an object of priority labels");
    q.order.max_wait_by_priority.assign(priorities.size(), absl::InfiniteDuration());
    for (const auto& [label, wait] : by.items()) {
      const auto found = std::find(priorities.begin(), priorities.end(), label);
      if (found == priorities.end()) {
        return at.Key(label).Error(fmt::format("unknown priority \"{}\"", label));
      }
      OMNIROUTE_ASSIGN_OR_RETURN(q.order.max_wait_by_priority[found - priorities.begin()],
                                 DurationAt(wait, at.Key(label), true));
    }
  }
  if (value.contains("auto_accept")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.auto_accept,
                               BoolAt(value["auto_accept"], path.Key("auto_accept")));
  }
  if (value.contains("offer_timeout")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.offer_timeout,
                               DurationAt(value["offer_timeout"], path.Key("offer_timeout"), true));
  }
  if (value.contains("preferred_agent_window")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        q.preferred_agent_window,
        DurationAt(value["preferred_agent_window"], path.Key("preferred_agent_window")));
  }
  if (value.contains("sla_policy")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.sla_policy, path.Key("sla_policy").String(value["sla_policy"]));
  }
  if (value.contains("escalation_policy")) {
    OMNIROUTE_ASSIGN_OR_RETURN(q.escalation_policy,
                               path.Key("escalation_policy").String(value["escalation_policy"]));
  }
  for (const char* key : {"service_level", "service_level_seconds"}) {
    if (value.contains(key)) {
      OMNIROUTE_ASSIGN_OR_RETURN(q.service_level_threshold, DurationAt(value[key], path.Key(key)));
    }
  }
  if (value.contains("follow_up")) {
    const JsonPath at = path.Key("follow_up");
    const nlohmann::json& f = value["follow_up"];
    OMNIROUTE_RETURN_IF_ERROR(at.CheckObject(f, {"after", "queue", "channel"}));
    FollowUpSpec follow_up;
    if (f.contains("after")) {
      OMNIROUTE_ASSIGN_OR_RETURN(follow_up.after, DurationAt(f["after"], at.Key("after")));
    }
    if (!f.contains("queue")) return at.Error("a follow-up needs a \"queue\"");
    OMNIROUTE_ASSIGN_OR_RETURN(follow_up.queue, at.Key("queue").String(f["queue"]));
    if (f.contains("channel")) {
      OMNIROUTE_ASSIGN_OR_RETURN(follow_up.channel, at.Key("channel").String(f["channel"]));
    }
    q.follow_up = std::move(follow_up);
  }
  return q;
}

absl::Status ParseAgentOptions(const nlohmann::json& value, const JsonPath& path,
                               EngineConfig& config) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"reject_cooldown", "missed_cooldown", "auto_away_after_misses",
                               "away_on_missed_offer", "seed"}));
  if (value.contains("reject_cooldown")) {
    OMNIROUTE_ASSIGN_OR_RETURN(config.agent_options.reject_cooldown,
                               DurationAt(value["reject_cooldown"], path.Key("reject_cooldown")));
  }
  if (value.contains("missed_cooldown")) {
    OMNIROUTE_ASSIGN_OR_RETURN(config.agent_options.missed_cooldown,
                               DurationAt(value["missed_cooldown"], path.Key("missed_cooldown")));
  }
  if (value.contains("auto_away_after_misses")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        config.agent_options.auto_away_after_misses,
        IntAt(value["auto_away_after_misses"], path.Key("auto_away_after_misses")));
  }
  if (value.contains("away_on_missed_offer")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        config.away_on_missed_offer,
        BoolAt(value["away_on_missed_offer"], path.Key("away_on_missed_offer")));
  }
  if (value.contains("seed")) {
    if (!value["seed"].is_number_unsigned()) {
      return path.Key("seed").Error("expected a non-negative integer");
    }
    config.agent_options.seed = value["seed"].get<uint64_t>();
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> InstantAt(const nlohmann::json& value, const JsonPath& path) {
  if (value.is_number()) {
    // Epoch seconds, to the nanosecond; only those 64-bit nanoseconds hold (years 1678-2262).
    const double nanos = value.get<double>() * 1e9;
    if (!(nanos >= -9.2e18 && nanos <= 9.2e18)) {
      return path.Error("instant out of range (epoch seconds within years 1678-2262)");
    }
    return absl::FromUnixNanos(static_cast<int64_t>(nanos));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(std::string text, path.String(value));
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return path.Error(fmt::format("malformed instant \"{}\" (expected RFC 3339)", text));
  }
  return t;
}

}  // namespace

absl::StatusOr<EngineConfig> ParseEngineConfigJson(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  const JsonPath root;
  OMNIROUTE_RETURN_IF_ERROR(root.CheckObject(
      value,
      {"priorities", "calendars", "skills", "channels", "sla_policies", "sla_selector",
       "escalation", "escalation_policies", "queues", "agents", "lifecycle", "service_level_splits",
       "expected_wait_window", "escalation_check_interval", "origin"}));
  EngineConfig config;
  config.source = std::string(json_text);
  if (value.contains("priorities")) {
    OMNIROUTE_ASSIGN_OR_RETURN(config.priorities,
                               root.Key("priorities").StringList(value["priorities"]));
  }
  if (value.contains("calendars")) {
    const JsonPath at = root.Key("calendars");
    if (!value["calendars"].is_object()) return at.Error("expected an object of calendars");
    for (const auto& [name, spec_json] : value["calendars"].items()) {
      OMNIROUTE_ASSIGN_OR_RETURN(CalendarSpec spec,
                                 internal::ParseCalendarSpec(spec_json, at.Key(name)));
      absl::StatusOr<BusinessCalendar> calendar = BusinessCalendar::Create(spec);
      if (!calendar.ok()) return at.Key(name).Wrap(calendar.status());
      config.calendars.emplace(name, *std::move(calendar));
    }
  }
  const CalendarMap& calendars = config.calendars;
  if (value.contains("skills")) {
    OMNIROUTE_ASSIGN_OR_RETURN(config.skills, root.Key("skills").StringList(value["skills"]));
  }
  if (value.contains("channels")) {
    const JsonPath at = root.Key("channels");
    if (!value["channels"].is_array()) return at.Error("expected a list of channels");
    for (size_t i = 0; i < value["channels"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(ChannelSpec channel,
                                 ParseChannel(value["channels"][i], at.Index(i)));
      config.channels.push_back(std::move(channel));
    }
  }
  if (value.contains("sla_policies")) {
    const JsonPath at = root.Key("sla_policies");
    if (!value["sla_policies"].is_array()) return at.Error("expected a list of SLA policies");
    for (size_t i = 0; i < value["sla_policies"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(
          SlaPolicy policy,
          internal::ParseSlaPolicy(value["sla_policies"][i], at.Index(i), calendars));
      config.sla_policies.push_back(std::move(policy));
    }
  }
  if (value.contains("sla_selector")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        config.sla_selector,
        internal::ParseSlaSelector(value["sla_selector"], root.Key("sla_selector")));
  }
  const std::vector<std::string>& priorities = config.priorities;
  if (value.contains("queues")) {
    const JsonPath at = root.Key("queues");
    if (!value["queues"].is_array()) return at.Error("expected a list of queues");
    for (size_t i = 0; i < value["queues"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(EngineQueueSpec queue,
                                 ParseQueue(value["queues"][i], at.Index(i), priorities));
      config.queues.push_back(std::move(queue));
    }
  }
  std::set<std::string, std::less<>> queue_names;
  for (const EngineQueueSpec& q : config.queues) queue_names.insert(q.name);
  std::set<std::string, std::less<>> skill_names(config.skills.begin(), config.skills.end());
  EscalationNames names;
  names.queue_exists = [&queue_names](std::string_view n) { return queue_names.contains(n); };
  if (!skill_names.empty()) {
    names.skill_exists = [&skill_names](std::string_view n) { return skill_names.contains(n); };
  }
  std::set<std::string, std::less<>> policy_names;
  if (value.contains("escalation_policies")) {
    const JsonPath at = root.Key("escalation_policies");
    if (!value["escalation_policies"].is_array()) {
      return at.Error("expected a list of escalation policies");
    }
    for (size_t i = 0; i < value["escalation_policies"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(EscalationPolicy policy,
                                 internal::ParseEscalationPolicy(value["escalation_policies"][i],
                                                                 at.Index(i), calendars, names));
      if (!policy_names.insert(policy.name()).second) {
        return at.Index(i).Key("name").Error(
            absl::StrCat("duplicate escalation policy \"", policy.name(), "\""));
      }
      config.escalation_policies.push_back(policy.spec());
    }
  }
  if (value.contains("escalation")) {
    // The default policy's name may be left out.
    nlohmann::json policy_json = value["escalation"];
    if (policy_json.is_object() && !policy_json.contains("name")) policy_json["name"] = "default";
    OMNIROUTE_ASSIGN_OR_RETURN(
        EscalationPolicy policy,
        internal::ParseEscalationPolicy(policy_json, root.Key("escalation"), calendars, names));
    if (policy_names.contains(policy.name())) {
      const JsonPath at = root.Key("escalation");
      return (value["escalation"].contains("name") ? at.Key("name") : at)
          .Error(absl::StrCat("duplicate escalation policy \"", policy.name(),
                              "\" (also in escalation_policies)"));
    }
    config.default_escalation_policy = policy.name();
    config.escalation_policies.push_back(policy.spec());
  }
  if (value.contains("agents")) {
    OMNIROUTE_RETURN_IF_ERROR(ParseAgentOptions(value["agents"], root.Key("agents"), config));
  }
  if (value.contains("lifecycle")) {
    const JsonPath at = root.Key("lifecycle");
    OMNIROUTE_RETURN_IF_ERROR(at.CheckObject(value["lifecycle"], {"auto_close_after"}));
    if (value["lifecycle"].contains("auto_close_after")) {
      OMNIROUTE_ASSIGN_OR_RETURN(
          config.auto_close_after,
          DurationAt(value["lifecycle"]["auto_close_after"], at.Key("auto_close_after"), true));
    }
  }
  if (value.contains("service_level_splits")) {
    const JsonPath at = root.Key("service_level_splits");
    if (!value["service_level_splits"].is_array()) return at.Error("expected a list of durations");
    config.service_level_splits.clear();
    for (size_t i = 0; i < value["service_level_splits"].size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(absl::Duration d,
                                 DurationAt(value["service_level_splits"][i], at.Index(i)));
      config.service_level_splits.push_back(d);
    }
  }
  if (value.contains("expected_wait_window")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        config.expected_wait_window,
        DurationAt(value["expected_wait_window"], root.Key("expected_wait_window")));
  }
  if (value.contains("escalation_check_interval")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        config.escalation_check_interval,
        DurationAt(value["escalation_check_interval"], root.Key("escalation_check_interval")));
  }
  if (value.contains("origin")) {
    OMNIROUTE_ASSIGN_OR_RETURN(config.origin, InstantAt(value["origin"], root.Key("origin")));
  }
  return config;
}

absl::StatusOr<std::unique_ptr<Engine>> EngineFromJson(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(EngineConfig config, ParseEngineConfigJson(json_text));
  return Engine::Create(std::move(config));
}

absl::Status ReconfigureFromJson(Engine& engine, std::string_view json_text, absl::Time at) {
  OMNIROUTE_ASSIGN_OR_RETURN(EngineConfig config, ParseEngineConfigJson(json_text));
  return engine.Reconfigure(std::move(config), at);
}

absl::StatusOr<std::unique_ptr<Engine>> RestoreEngine(std::string_view snapshot) {
  return Engine::Restore(snapshot, ParseEngineConfigJson);
}

}  // namespace omniroute
