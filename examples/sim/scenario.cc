#include "scenario.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"
#include "omniroute/config_json.h"

namespace omniroute::sim {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDefaultStart = "2026-03-02T00:00:00Z";  // a Monday
constexpr std::array<std::string_view, 7> kWeekdays = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

std::string TypeName(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "an object";
}

// Where a value sits in the scenario, for error messages: "arrivals[0].handle_time.dist".
class Path {
 public:
  Path() = default;

  Path Key(std::string_view key) const {
    return Path(path_.empty() ? std::string(key) : absl::StrCat(path_, ".", std::string(key)));
  }
  Path Index(size_t index) const { return Path(absl::StrCat(path_, "[", index, "]")); }

  absl::Status Error(std::string_view message) const {
    return absl::InvalidArgumentError(path_.empty() ? std::string(message)
                                                    : fmt::format("{}: {}", path_, message));
  }
  // `status` with the path in front of its message, same code.
  absl::Status Wrap(const absl::Status& status) const {
    return absl::Status(status.code(), absl::StrCat(path_, ": ", std::string(status.message())));
  }

  absl::Status CheckObject(const Json& value,
                           std::initializer_list<std::string_view> allowed) const {
    if (!value.is_object()) return Error(absl::StrCat("expected an object, got ", TypeName(value)));
    for (const auto& [key, unused] : value.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return Error(absl::StrCat("unknown key \"", key, "\" (expected one of: ",
                                  fmt::format("{}", fmt::join(allowed, ", ")), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const Json& value) const {
    if (!value.is_string()) return Error(absl::StrCat("expected a string, got ", TypeName(value)));
    return value.get<std::string>();
  }

  absl::StatusOr<double> Number(const Json& value) const {
    if (!value.is_number()) return Error(absl::StrCat("expected a number, got ", TypeName(value)));
    const double number = value.get<double>();
    if (!std::isfinite(number)) return Error("expected a finite number");
    return number;
  }

  // A number in [min, max]; `what` describes the range in the error.
  absl::StatusOr<double> NumberIn(const Json& value, double min, double max,
                                  std::string_view what) const {
    OMNIROUTE_ASSIGN_OR_RETURN(const double number, Number(value));
    if (number < min || number > max) {
      return Error(fmt::format("expected {}, got {}", what, number));
    }
    return number;
  }

  absl::StatusOr<double> Positive(const Json& value) const {
    OMNIROUTE_ASSIGN_OR_RETURN(const double number, Number(value));
    if (number <= 0) return Error(fmt::format("expected a positive number, got {}", number));
    return number;
  }

  absl::StatusOr<double> NonNegative(const Json& value) const {
    return NumberIn(value, 0, std::numeric_limits<double>::max(), "a number >= 0");
  }

  absl::StatusOr<int> Integer(const Json& value, int min, int max) const {
    if (!value.is_number_integer()) {
      return Error(absl::StrCat("expected an integer, got ", TypeName(value)));
    }
    const int64_t number = value.get<int64_t>();
    if (number < min || number > max) {
      return Error(fmt::format("expected an integer in [{}, {}], got {}", min, max, number));
    }
    return static_cast<int>(number);
  }

  const std::string& str() const { return path_; }

 private:
  explicit Path(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

absl::StatusOr<Json> ParseJson(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) return value;
  try {
    const Json ignored = Json::parse(text);
  } catch (const Json::parse_error& error) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", error.what()));
  }
  return absl::InvalidArgumentError("malformed JSON");
}

// "HH:MM" or "HH:MM:SS" as seconds of the day; "24:00" only when `end`.
absl::StatusOr<int> TimeOfDayAt(const Json& value, const Path& path, bool end) {
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string text, path.String(value));
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
  char tail = 0;
  const int fields = std::sscanf(text.c_str(), "%2d:%2d:%2d%c", &hours, &minutes, &seconds, &tail);
  const bool shape_ok = (fields == 2 && text.size() == 5) || (fields == 3 && text.size() == 8);
  const int total = hours * 3600 + minutes * 60 + seconds;
  if (!shape_ok || minutes > 59 || seconds > 59 || hours < 0 || minutes < 0 || seconds < 0 ||
      total > 86400 || (total == 86400 && !end)) {
    return path.Error(absl::StrCat("malformed time \"", text, "\" (expected HH:MM or HH:MM:SS",
                                   end ? ", up to 24:00)" : ")"));
  }
  return total;
}

absl::StatusOr<Distribution> ParseDistribution(const Json& value, const Path& path) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"dist", "mean_seconds", "sd_seconds", "values_seconds", "weights"}));
  if (!value.contains("dist")) return path.Error("a distribution needs \"dist\"");
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string name, path.Key("dist").String(value["dist"]));
  Distribution d;
  absl::StatusOr<DistributionKind> kind = ParseDistributionKind(name);
  if (!kind.ok()) return path.Key("dist").Wrap(kind.status());
  d.kind = *kind;
  const bool empirical = d.kind == DistributionKind::kEmpirical;
  for (const char* key : {"values_seconds", "weights"}) {
    if (!empirical && value.contains(key)) {
      return path.Key(key).Error("applies to the empirical distribution only");
    }
  }
  if (d.kind != DistributionKind::kLogNormal && value.contains("sd_seconds")) {
    return path.Key("sd_seconds").Error("applies to the lognormal distribution only");
  }
  if (empirical) {
    if (value.contains("mean_seconds")) {
      return path.Key("mean_seconds").Error("the empirical distribution takes \"values_seconds\"");
    }
    const Path values_path = path.Key("values_seconds");
    if (!value.contains("values_seconds")) return path.Error("empirical needs \"values_seconds\"");
    const Json& values = value["values_seconds"];
    if (!values.is_array() || values.empty()) return values_path.Error("expected a non-empty list");
    for (size_t i = 0; i < values.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(const double v, values_path.Index(i).NonNegative(values[i]));
      d.values.push_back(v);
    }
    double running = 0;
    if (value.contains("weights")) {
      const Path weights_path = path.Key("weights");
      const Json& weights = value["weights"];
      if (!weights.is_array() || weights.size() != values.size()) {
        return weights_path.Error(
            absl::StrCat("expected a list of ", values.size(), " weights, one per value"));
      }
      for (size_t i = 0; i < weights.size(); ++i) {
        OMNIROUTE_ASSIGN_OR_RETURN(const double w, weights_path.Index(i).NonNegative(weights[i]));
        running += w;
        d.cumulative.push_back(running);
      }
      if (running <= 0) return weights_path.Error("the weights add up to zero");
    } else {
      for (size_t i = 0; i < d.values.size(); ++i) d.cumulative.push_back(++running);
    }
    return d;
  }
  if (!value.contains("mean_seconds")) {
    return path.Error(absl::StrCat("the ", name, " distribution needs \"mean_seconds\""));
  }
  const Path mean_path = path.Key("mean_seconds");
  if (d.kind == DistributionKind::kFixed) {
    OMNIROUTE_ASSIGN_OR_RETURN(d.mean, mean_path.NonNegative(value["mean_seconds"]));
  } else {
    OMNIROUTE_ASSIGN_OR_RETURN(d.mean, mean_path.Positive(value["mean_seconds"]));
  }
  if (d.kind == DistributionKind::kLogNormal) {
    if (!value.contains("sd_seconds")) return path.Error("lognormal needs \"sd_seconds\"");
    OMNIROUTE_ASSIGN_OR_RETURN(d.sd, path.Key("sd_seconds").NonNegative(value["sd_seconds"]));
  }
  return d;
}

// What the engine configuration offers the rest of the scenario.
struct EngineFacts {
  std::map<std::string, ChannelSpec, std::less<>> channels;
  std::set<std::string, std::less<>> queues;
  // Empty: the catalog is open.
  std::set<std::string, std::less<>> skills;
  std::vector<std::string> priorities;
  std::set<std::string, std::less<>> calendars;
};

EngineFacts FactsOf(const EngineConfig& config) {
  EngineFacts facts;
  if (config.channels.empty()) {
    for (const char* name : {"voice", "chat", "email"}) facts.channels[name] = {.name = name};
  } else {
    for (const ChannelSpec& c : config.channels) facts.channels[c.name] = c;
  }
  for (const EngineQueueSpec& q : config.queues) facts.queues.insert(q.name);
  facts.skills.insert(config.skills.begin(), config.skills.end());
  facts.priorities = config.priorities;
  facts.calendars.insert("24x7");
  for (const auto& [name, unused] : config.calendars) facts.calendars.insert(name);
  return facts;
}

absl::Status CheckSkill(const EngineFacts& facts, std::string_view skill, const Path& path) {
  if (!facts.skills.empty() && !facts.skills.contains(skill)) {
    return absl::NotFoundError(absl::StrCat(path.str(), ": unknown skill \"", std::string(skill),
                                            "\" (not in engine.skills)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int>> ParseSkillLevels(const Json& value, const Path& path,
                                                            const EngineFacts& facts) {
  if (!value.is_object()) return path.Error("expected an object of skill levels");
  std::map<std::string, int> levels;
  for (const auto& [name, level] : value.items()) {
    OMNIROUTE_RETURN_IF_ERROR(CheckSkill(facts, name, path.Key(name)));
    OMNIROUTE_ASSIGN_OR_RETURN(levels[name],
                               path.Key(name).Integer(level, kMinSkillLevel, kMaxSkillLevel));
  }
  return levels;
}

absl::StatusOr<ShiftSpec> ParseShift(const Json& value, const Path& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"start", "end", "count", "days"}));
  for (const char* key : {"start", "end", "count"}) {
    if (!value.contains(key)) return path.Error(absl::StrCat("a shift needs \"", key, "\""));
  }
  ShiftSpec shift;
  OMNIROUTE_ASSIGN_OR_RETURN(shift.start_seconds,
                             TimeOfDayAt(value["start"], path.Key("start"), false));
  OMNIROUTE_ASSIGN_OR_RETURN(shift.end_seconds, TimeOfDayAt(value["end"], path.Key("end"), true));
  OMNIROUTE_ASSIGN_OR_RETURN(shift.count, path.Key("count").Integer(value["count"], 0, 1000000));
  if (value.contains("days")) {
    const Path at = path.Key("days");
    const Json& days = value["days"];
    if (!days.is_array()) return at.Error("expected a list of weekdays (mon ... sun)");
    shift.days = 0;
    for (size_t i = 0; i < days.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(const std::string day, at.Index(i).String(days[i]));
      const auto found = std::find(kWeekdays.begin(), kWeekdays.end(), day);
      if (found == kWeekdays.end()) {
        return at.Index(i).Error(
            absl::StrCat("unknown weekday \"", day, "\" (expected mon ... sun)"));
      }
      shift.days |= static_cast<uint8_t>(1u << (found - kWeekdays.begin()));
    }
  }
  return shift;
}

absl::StatusOr<AgentGroupSpec> ParseAgentGroup(const Json& value, const Path& path,
                                               const EngineFacts& facts) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(
      value, {"name", "count", "skills", "capacity", "budget", "queues", "calendar", "shifts"}));
  AgentGroupSpec group;
  if (!value.contains("name")) return path.Error("an agent group needs a \"name\"");
  OMNIROUTE_ASSIGN_OR_RETURN(group.name, path.Key("name").String(value["name"]));
  if (group.name.empty()) return path.Key("name").Error("must not be empty");
  if (value.contains("count") && value.contains("shifts")) {
    return path.Error("\"count\" and \"shifts\" exclude each other (shifts carry their counts)");
  }
  if (value.contains("count")) {
    OMNIROUTE_ASSIGN_OR_RETURN(group.count, path.Key("count").Integer(value["count"], 0, 1000000));
  }
  if (value.contains("skills")) {
    OMNIROUTE_ASSIGN_OR_RETURN(group.skills,
                               ParseSkillLevels(value["skills"], path.Key("skills"), facts));
  }
  if (!value.contains("capacity")) return path.Error("an agent group needs a \"capacity\"");
  {
    const Path at = path.Key("capacity");
    const Json& capacity = value["capacity"];
    if (!capacity.is_object() || capacity.empty()) {
      return at.Error("expected an object of channel limits, e.g. {\"voice\": 1, \"chat\": 3}");
    }
    for (const auto& [channel, limit] : capacity.items()) {
      if (!facts.channels.contains(channel)) {
        return absl::NotFoundError(
            absl::StrCat(at.Key(channel).str(), ": unknown channel \"", channel, "\""));
      }
      OMNIROUTE_ASSIGN_OR_RETURN(group.capacity[channel], at.Key(channel).Integer(limit, 0, 1000));
    }
  }
  if (value.contains("budget")) {
    OMNIROUTE_ASSIGN_OR_RETURN(group.budget,
                               path.Key("budget").Integer(value["budget"], 1, 1000000));
  }
  if (!value.contains("queues")) return path.Error("an agent group needs \"queues\"");
  {
    const Path at = path.Key("queues");
    const Json& queues = value["queues"];
    if (!queues.is_array() || queues.empty())
      return at.Error("expected a non-empty list of queues");
    for (size_t i = 0; i < queues.size(); ++i) {
      const Path q = at.Index(i);
      QueueRefSpec ref;
      if (queues[i].is_string()) {
        ref.queue = queues[i].get<std::string>();
      } else {
        OMNIROUTE_RETURN_IF_ERROR(q.CheckObject(queues[i], {"queue", "priority", "delay_seconds"}));
        if (!queues[i].contains("queue")) return q.Error("needs \"queue\"");
        OMNIROUTE_ASSIGN_OR_RETURN(ref.queue, q.Key("queue").String(queues[i]["queue"]));
        if (queues[i].contains("priority")) {
          OMNIROUTE_ASSIGN_OR_RETURN(ref.priority,
                                     q.Key("priority").Integer(queues[i]["priority"], 0, 1000));
        }
        if (queues[i].contains("delay_seconds")) {
          OMNIROUTE_ASSIGN_OR_RETURN(
              ref.delay_seconds, q.Key("delay_seconds").NonNegative(queues[i]["delay_seconds"]));
        }
      }
      if (!facts.queues.contains(ref.queue)) {
        return absl::NotFoundError(absl::StrCat(q.str(), ": unknown queue \"", ref.queue, "\""));
      }
      group.queues.push_back(std::move(ref));
    }
  }
  if (value.contains("calendar")) {
    OMNIROUTE_ASSIGN_OR_RETURN(group.calendar, path.Key("calendar").String(value["calendar"]));
    if (!facts.calendars.contains(group.calendar)) {
      return absl::NotFoundError(absl::StrCat(path.Key("calendar").str(), ": unknown calendar \"",
                                              group.calendar, "\" (not in engine.calendars)"));
    }
  }
  if (value.contains("shifts")) {
    const Path at = path.Key("shifts");
    const Json& shifts = value["shifts"];
    if (!shifts.is_array() || shifts.empty())
      return at.Error("expected a non-empty list of shifts");
    for (size_t i = 0; i < shifts.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(ShiftSpec shift, ParseShift(shifts[i], at.Index(i)));
      group.shifts.push_back(shift);
    }
  }
  return group;
}

absl::StatusOr<NamedRelaxationStep> ParseRelaxStep(const Json& value, const Path& path,
                                                   const EngineFacts& facts) {
  OMNIROUTE_RETURN_IF_ERROR(
      path.CheckObject(value, {"after_seconds", "kind", "skill", "alternative", "level"}));
  for (const char* key : {"after_seconds", "kind", "skill"}) {
    if (!value.contains(key))
      return path.Error(absl::StrCat("a relaxation step needs \"", key, "\""));
  }
  NamedRelaxationStep step;
  OMNIROUTE_ASSIGN_OR_RETURN(const double after,
                             path.Key("after_seconds").NonNegative(value["after_seconds"]));
  step.after = absl::Seconds(after);
  OMNIROUTE_ASSIGN_OR_RETURN(const std::string kind, path.Key("kind").String(value["kind"]));
  absl::StatusOr<RelaxationKind> parsed = ParseRelaxationKind(kind);
  if (!parsed.ok()) return path.Key("kind").Wrap(parsed.status());
  step.kind = *parsed;
  OMNIROUTE_ASSIGN_OR_RETURN(step.skill, path.Key("skill").String(value["skill"]));
  OMNIROUTE_RETURN_IF_ERROR(CheckSkill(facts, step.skill, path.Key("skill")));
  if (value.contains("alternative")) {
    OMNIROUTE_ASSIGN_OR_RETURN(step.alternative,
                               path.Key("alternative").String(value["alternative"]));
    OMNIROUTE_RETURN_IF_ERROR(CheckSkill(facts, step.alternative, path.Key("alternative")));
  }
  if (value.contains("level")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        step.level, path.Key("level").Integer(value["level"], kMinSkillLevel, kMaxSkillLevel));
  }
  return step;
}

absl::Status ParseRequirement(const Json& value, const Path& path, const EngineFacts& facts,
                              ArrivalSpec& arrival) {
  NamedRequirement& r = arrival.requirement;
  if (value.contains("requires")) {
    OMNIROUTE_ASSIGN_OR_RETURN(r.must,
                               ParseSkillLevels(value["requires"], path.Key("requires"), facts));
  }
  if (value.contains("prefers")) {
    const Path at = path.Key("prefers");
    if (!value["prefers"].is_object()) return at.Error("expected an object of skill weights");
    for (const auto& [name, weight] : value["prefers"].items()) {
      OMNIROUTE_RETURN_IF_ERROR(CheckSkill(facts, name, at.Key(name)));
      OMNIROUTE_ASSIGN_OR_RETURN(r.preferred[name], at.Key(name).NonNegative(weight));
    }
  }
  if (value.contains("excludes")) {
    const Path at = path.Key("excludes");
    const Json& list = value["excludes"];
    if (!list.is_array()) return at.Error("expected a list of skills");
    for (size_t i = 0; i < list.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(std::string name, at.Index(i).String(list[i]));
      OMNIROUTE_RETURN_IF_ERROR(CheckSkill(facts, name, at.Index(i)));
      r.excluded.push_back(std::move(name));
    }
  }
  if (value.contains("relax")) {
    const Path at = path.Key("relax");
    const Json& steps = value["relax"];
    if (!steps.is_array()) return at.Error("expected a list of relaxation steps");
    for (size_t i = 0; i < steps.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(NamedRelaxationStep step,
                                 ParseRelaxStep(steps[i], at.Index(i), facts));
      r.steps.push_back(std::move(step));
    }
  }
  // The requirement as a whole (levels, steps that refer to its skills) as the engine checks it.
  SkillCatalog catalog;
  auto intern = [&catalog](std::string_view name) { (void)catalog.Add(name); };
  for (const auto& [name, unused] : r.must) intern(name);
  for (const auto& [name, unused] : r.preferred) intern(name);
  for (const std::string& name : r.excluded) intern(name);
  for (const NamedRelaxationStep& step : r.steps) {
    intern(step.skill);
    if (!step.alternative.empty()) intern(step.alternative);
  }
  absl::StatusOr<RequirementSpec> spec = RequirementSpecFromNames(catalog, r);
  if (!spec.ok()) return path.Wrap(spec.status());
  absl::StatusOr<RequirementPlan> plan = RequirementPlan::Create(*spec, catalog);
  if (!plan.ok()) return path.Wrap(plan.status());
  return absl::OkStatus();
}

absl::StatusOr<ArrivalSpec> ParseArrival(const Json& value, const Path& path,
                                         const EngineFacts& facts) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(
      value, {"name", "queue", "channel", "rate_per_hour", "rates_per_hour", "interval_minutes",
              "day_factors", "requires", "prefers", "excludes", "relax", "handle_time", "patience",
              "priority", "priorities", "vip_share", "tags", "bot", "first_response"}));
  ArrivalSpec arrival;
  for (const char* key : {"queue", "channel", "handle_time"}) {
    if (!value.contains(key))
      return path.Error(absl::StrCat("an arrival stream needs \"", key, "\""));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(arrival.queue, path.Key("queue").String(value["queue"]));
  if (!facts.queues.contains(arrival.queue)) {
    return absl::NotFoundError(
        absl::StrCat(path.Key("queue").str(), ": unknown queue \"", arrival.queue, "\""));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(arrival.channel, path.Key("channel").String(value["channel"]));
  if (!facts.channels.contains(arrival.channel)) {
    return absl::NotFoundError(
        absl::StrCat(path.Key("channel").str(), ": unknown channel \"", arrival.channel, "\""));
  }
  arrival.name = absl::StrCat(arrival.queue, "/", arrival.channel);
  if (value.contains("name")) {
    OMNIROUTE_ASSIGN_OR_RETURN(arrival.name, path.Key("name").String(value["name"]));
  }
  if (value.contains("rate_per_hour") == value.contains("rates_per_hour")) {
    return path.Error("give exactly one of \"rate_per_hour\" and \"rates_per_hour\"");
  }
  if (value.contains("rate_per_hour")) {
    OMNIROUTE_ASSIGN_OR_RETURN(const double rate,
                               path.Key("rate_per_hour").NonNegative(value["rate_per_hour"]));
    arrival.rates_per_hour = {rate};
  } else {
    const Path at = path.Key("rates_per_hour");
    const Json& rates = value["rates_per_hour"];
    if (!rates.is_array() || rates.empty()) return at.Error("expected a non-empty list of rates");
    for (size_t i = 0; i < rates.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(const double rate, at.Index(i).NonNegative(rates[i]));
      arrival.rates_per_hour.push_back(rate);
    }
  }
  if (value.contains("interval_minutes")) {
    OMNIROUTE_ASSIGN_OR_RETURN(arrival.interval_minutes,
                               path.Key("interval_minutes").Positive(value["interval_minutes"]));
  }
  if (value.contains("day_factors")) {
    const Path at = path.Key("day_factors");
    if (!value["day_factors"].is_object()) return at.Error("expected an object of weekdays");
    for (const auto& [day, factor] : value["day_factors"].items()) {
      const auto found = std::find(kWeekdays.begin(), kWeekdays.end(), day);
      if (found == kWeekdays.end()) {
        return at.Key(day).Error(
            absl::StrCat("unknown weekday \"", day, "\" (expected mon ... sun)"));
      }
      OMNIROUTE_ASSIGN_OR_RETURN(arrival.day_factors[found - kWeekdays.begin()],
                                 at.Key(day).NonNegative(factor));
    }
  }
  OMNIROUTE_RETURN_IF_ERROR(ParseRequirement(value, path, facts, arrival));
  OMNIROUTE_ASSIGN_OR_RETURN(arrival.handle_time,
                             ParseDistribution(value["handle_time"], path.Key("handle_time")));
  if (value.contains("patience") && !value["patience"].is_null()) {
    OMNIROUTE_ASSIGN_OR_RETURN(arrival.patience,
                               ParseDistribution(value["patience"], path.Key("patience")));
  }
  auto check_priority = [&facts](const std::string& label, const Path& at) -> absl::Status {
    if (std::find(facts.priorities.begin(), facts.priorities.end(), label) ==
        facts.priorities.end()) {
      return absl::NotFoundError(
          absl::StrCat(at.str(), ": unknown priority \"", label,
                       "\" (expected one of: ", absl::StrJoin(facts.priorities, ", "), ")"));
    }
    return absl::OkStatus();
  };
  if (value.contains("priority") && value.contains("priorities")) {
    return path.Error("give at most one of \"priority\" and \"priorities\"");
  }
  if (value.contains("priority")) {
    OMNIROUTE_ASSIGN_OR_RETURN(std::string label, path.Key("priority").String(value["priority"]));
    OMNIROUTE_RETURN_IF_ERROR(check_priority(label, path.Key("priority")));
    arrival.priorities = {std::move(label)};
    arrival.priority_cumulative = {1.0};
  }
  if (value.contains("priorities")) {
    const Path at = path.Key("priorities");
    if (!value["priorities"].is_object() || value["priorities"].empty()) {
      return at.Error("expected an object of priority labels and weights, e.g. {\"A\": 0.1}");
    }
    double running = 0;
    // In the engine's order, most urgent first, whatever the order of the JSON keys.
    for (const std::string& label : facts.priorities) {
      if (!value["priorities"].contains(label)) continue;
      OMNIROUTE_ASSIGN_OR_RETURN(const double weight,
                                 at.Key(label).NonNegative(value["priorities"][label]));
      running += weight;
      arrival.priorities.push_back(label);
      arrival.priority_cumulative.push_back(running);
    }
    for (const auto& [label, unused] : value["priorities"].items()) {
      OMNIROUTE_RETURN_IF_ERROR(check_priority(label, at.Key(label)));
    }
    if (running <= 0) return at.Error("the weights add up to zero");
  }
  if (value.contains("vip_share")) {
    OMNIROUTE_ASSIGN_OR_RETURN(
        arrival.vip_share,
        path.Key("vip_share").NumberIn(value["vip_share"], 0, 1, "a share in [0, 1]"));
  }
  if (value.contains("tags")) {
    const Path at = path.Key("tags");
    if (!value["tags"].is_object()) {
      return at.Error("expected an object of tags and probabilities, e.g. {\"upset\": 0.05}");
    }
    if (value["tags"].size() > kMaxTagsPerStream) {
      return at.Error(absl::StrCat("at most ", kMaxTagsPerStream, " tags per arrival stream"));
    }
    for (const auto& [tag, share] : value["tags"].items()) {
      OMNIROUTE_ASSIGN_OR_RETURN(const double p,
                                 at.Key(tag).NumberIn(share, 0, 1, "a probability in [0, 1]"));
      arrival.tags.emplace_back(tag, p);
    }
  }
  if (value.contains("bot")) {
    const Path at = path.Key("bot");
    const Json& bot_json = value["bot"];
    OMNIROUTE_RETURN_IF_ERROR(at.CheckObject(bot_json, {"handover_share", "time", "tag"}));
    BotSpec bot;
    if (!bot_json.contains("handover_share") || !bot_json.contains("time")) {
      return at.Error("a bot needs \"handover_share\" and \"time\"");
    }
    OMNIROUTE_ASSIGN_OR_RETURN(
        bot.handover_share,
        at.Key("handover_share").NumberIn(bot_json["handover_share"], 0, 1, "a share in [0, 1]"));
    OMNIROUTE_ASSIGN_OR_RETURN(bot.time, ParseDistribution(bot_json["time"], at.Key("time")));
    if (bot_json.contains("tag")) {
      OMNIROUTE_ASSIGN_OR_RETURN(bot.tag, at.Key("tag").String(bot_json["tag"]));
    }
    arrival.bot = std::move(bot);
  }
  if (value.contains("first_response")) {
    OMNIROUTE_ASSIGN_OR_RETURN(const std::string mode,
                               path.Key("first_response").String(value["first_response"]));
    if (mode != "on_answer" && mode != "on_resolve") {
      return path.Key("first_response")
          .Error(absl::StrCat("unknown mode \"", mode, "\" (expected on_answer or on_resolve)"));
    }
    arrival.respond_on_answer = mode == "on_answer";
  }
  return arrival;
}

// The engine's configuration text: the scenario's "engine" object plus its queues (answered by
// the simulated agents at once unless they say otherwise) and its start.
absl::StatusOr<std::string> EngineJson(const Json& root, absl::Time start) {
  Json engine = Json::object();
  if (root.contains("engine")) {
    engine = root["engine"];
    const Path at = Path().Key("engine");
    if (!engine.is_object())
      return at.Error(absl::StrCat("expected an object, got ", TypeName(engine)));
    if (engine.contains("queues")) {
      return at.Key("queues").Error("the engine's queues are the scenario's top-level \"queues\"");
    }
    if (engine.contains("origin")) {
      return at.Key("origin").Error("the engine starts at the scenario's \"start\"");
    }
  }
  Json queues = Json::array();
  const Path at = Path().Key("queues");
  if (!root.contains("queues")) return Path().Error("a scenario needs \"queues\"");
  if (!root["queues"].is_array() || root["queues"].empty()) {
    return at.Error("expected a non-empty list of queues");
  }
  for (size_t i = 0; i < root["queues"].size(); ++i) {
    Json queue = root["queues"][i];
    if (!queue.is_object()) {
      return at.Index(i).Error(absl::StrCat("expected an object, got ", TypeName(queue)));
    }
    if (queue.contains("follow_up")) {
      return at.Index(i).Key("follow_up").Error("follow-up items are not simulated");
    }
    if (!queue.contains("auto_accept")) queue["auto_accept"] = true;
    queues.push_back(std::move(queue));
  }
  engine["queues"] = std::move(queues);
  // Simulated customers do not confirm: resolved items close (and leave the engine's tables) at
  // once unless the scenario gives the engine a quiet period of its own.
  if (!engine.contains("lifecycle")) engine["lifecycle"] = {{"auto_close_after", "1ns"}};
  engine["origin"] = absl::FormatTime(absl::RFC3339_full, start, absl::UTCTimeZone());
  return engine.dump();
}

// The engine loader's error with the scenario's path: "queues[i]..." is already one; the rest
// sits under "engine".
absl::Status EngineError(const absl::Status& status) {
  const std::string message(status.message());
  if (message.starts_with("queues[")) return status;
  static constexpr std::string_view kKeys[] = {"priorities",
                                               "calendars",
                                               "skills",
                                               "channels",
                                               "sla_policies",
                                               "sla_selector",
                                               "escalation_policies",
                                               "escalation",
                                               "agents",
                                               "lifecycle",
                                               "service_level_splits",
                                               "expected_wait_window",
                                               "escalation_check_interval"};
  for (std::string_view key : kKeys) {
    if (message.starts_with(key) && message.size() > key.size() &&
        (message[key.size()] == '.' || message[key.size()] == '[' || message[key.size()] == ':')) {
      return absl::Status(status.code(), absl::StrCat("engine.", message));
    }
  }
  return absl::Status(status.code(), absl::StrCat("engine: ", message));
}

// Tries every agent group and every kind of contact on a scratch engine, so that what the engine
// would refuse during the run is reported now, with the scenario's path.
absl::Status DryRun(const Scenario& scenario) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(scenario.engine);
  if (!engine.ok()) return EngineError(engine.status());
  const absl::Time at = scenario.engine.origin;
  for (size_t g = 0; g < scenario.agent_groups.size(); ++g) {
    const AgentGroupSpec& group = scenario.agent_groups[g];
    EngineAgentSpec agent{.id = absl::StrCat("probe-", g),
                          .skills = group.skills,
                          .capacity = group.capacity,
                          .budget = group.budget};
    for (const QueueRefSpec& q : group.queues) {
      agent.queues.push_back(
          {.queue = q.queue, .priority = q.priority, .delay = absl::Seconds(q.delay_seconds)});
    }
    if (absl::Status s = (*engine)->AddAgent(agent, at); !s.ok()) {
      return Path().Key("agent_groups").Index(g).Wrap(s);
    }
  }
  int probe = 0;
  for (size_t i = 0; i < scenario.arrivals.size(); ++i) {
    const ArrivalSpec& arrival = scenario.arrivals[i];
    std::vector<std::string> priorities = arrival.priorities;
    if (priorities.empty()) priorities.push_back("");
    std::vector<std::string> tiers = {""};
    if (arrival.vip_share > 0) tiers.push_back("vip");
    EngineItemSpec item{
        .queue = arrival.queue, .channel = arrival.channel, .requirement = arrival.requirement};
    for (const auto& [tag, unused] : arrival.tags) item.tags.push_back(tag);
    if (arrival.bot) item.tags.push_back(arrival.bot->tag);
    for (const std::string& priority : priorities) {
      for (const std::string& tier : tiers) {
        item.id = absl::StrCat("probe-", probe++);
        item.priority = priority;
        item.tier = tier;
        absl::Status s = (*engine)->Submit(item, at);
        if (s.ok()) s = (*engine)->Cancel(item.id, at);
        if (!s.ok()) return Path().Key("arrivals").Index(i).Wrap(s);
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Scenario> FromJson(const Json& root) {
  const Path top;
  OMNIROUTE_RETURN_IF_ERROR(top.CheckObject(
      root, {"duration_hours", "warmup_hours", "seed", "start", "time_zone", "timeline_minutes",
             "tick_seconds", "drain_hours", "engine", "agent_groups", "queues", "arrivals"}));
  Scenario s;
  if (!root.contains("duration_hours")) return top.Error("a scenario needs \"duration_hours\"");
  OMNIROUTE_ASSIGN_OR_RETURN(s.duration_hours,
                             top.Key("duration_hours").Positive(root["duration_hours"]));
  if (root.contains("warmup_hours")) {
    OMNIROUTE_ASSIGN_OR_RETURN(s.warmup_hours,
                               top.Key("warmup_hours").NonNegative(root["warmup_hours"]));
    if (s.warmup_hours >= s.duration_hours) {
      return top.Key("warmup_hours").Error("must be shorter than duration_hours");
    }
  }
  if (root.contains("seed")) {
    if (!root["seed"].is_number_unsigned()) {
      return top.Key("seed").Error("expected a non-negative integer");
    }
    s.seed = root["seed"].get<uint64_t>();
  }
  std::string start_text(kDefaultStart);
  if (root.contains("start")) {
    OMNIROUTE_ASSIGN_OR_RETURN(start_text, top.Key("start").String(root["start"]));
  }
  std::string parse_error;
  if (!absl::ParseTime(absl::RFC3339_full, start_text, &s.start, &parse_error)) {
    return top.Key("start").Error(
        absl::StrCat("malformed instant \"", start_text, "\" (expected RFC 3339)"));
  }
  if (root.contains("time_zone")) {
    OMNIROUTE_ASSIGN_OR_RETURN(s.time_zone, top.Key("time_zone").String(root["time_zone"]));
  }
  if (!absl::LoadTimeZone(s.time_zone, &s.zone)) {
    return top.Key("time_zone").Error(absl::StrCat("unknown time zone \"", s.time_zone, "\""));
  }
  if (root.contains("timeline_minutes")) {
    OMNIROUTE_ASSIGN_OR_RETURN(s.timeline_minutes,
                               top.Key("timeline_minutes").Positive(root["timeline_minutes"]));
  }
  if (root.contains("drain_hours")) {
    OMNIROUTE_ASSIGN_OR_RETURN(s.drain_hours,
                               top.Key("drain_hours").NonNegative(root["drain_hours"]));
  }
  OMNIROUTE_ASSIGN_OR_RETURN(s.engine_json, EngineJson(root, s.start));
  absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(s.engine_json);
  if (!config.ok()) return EngineError(config.status());
  s.engine = *std::move(config);
  // Follow-ups would create work no arrival stream describes.
  const std::vector<EscalationPolicySpec>& policies = s.engine.escalation_policies;
  for (size_t p = 0; p < policies.size(); ++p) {
    const bool is_default = !s.engine.default_escalation_policy.empty() && p + 1 == policies.size();
    const Path at = is_default ? top.Key("engine").Key("escalation")
                               : top.Key("engine").Key("escalation_policies").Index(p);
    for (size_t l = 0; l < policies[p].levels.size(); ++l) {
      const std::vector<EscalationAction>& actions = policies[p].levels[l].actions;
      for (size_t a = 0; a < actions.size(); ++a) {
        if (actions[a].kind == EscalationActionKind::kScheduleFollowUp) {
          return at.Key("levels").Index(l).Key("actions").Index(a).Key("kind").Error(
              "schedule_follow_up is not simulated (follow-up work has no arrival stream)");
        }
      }
    }
  }
  if (root.contains("tick_seconds")) {
    OMNIROUTE_ASSIGN_OR_RETURN(s.tick_seconds,
                               top.Key("tick_seconds").NonNegative(root["tick_seconds"]));
  } else {
    // Of the engine's own timers, only escalations that move work to another queue or agent
    // can assign it between the simulator's events.
    for (const EscalationPolicySpec& policy : policies) {
      for (const EscalationLevel& level : policy.levels) {
        for (const EscalationAction& action : level.actions) {
          if (action.kind == EscalationActionKind::kMoveToQueue ||
              action.kind == EscalationActionKind::kSetPreferredAgent) {
            s.tick_seconds = 1;
          }
        }
      }
    }
  }
  const EngineFacts facts = FactsOf(s.engine);
  for (const EngineQueueSpec& q : s.engine.queues) {
    s.queues.push_back({.name = q.name,
                        .service_level_seconds = absl::ToDoubleSeconds(q.service_level_threshold)});
  }
  if (!root.contains("agent_groups")) return top.Error("a scenario needs \"agent_groups\"");
  {
    const Path at = top.Key("agent_groups");
    const Json& groups = root["agent_groups"];
    if (!groups.is_array() || groups.empty()) {
      return at.Error("expected a non-empty list of agent groups");
    }
    std::set<std::string, std::less<>> names;
    for (size_t i = 0; i < groups.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(AgentGroupSpec group,
                                 ParseAgentGroup(groups[i], at.Index(i), facts));
      if (!names.insert(group.name).second) {
        return at.Index(i).Key("name").Error(
            absl::StrCat("duplicate agent group \"", group.name, "\""));
      }
      s.agent_groups.push_back(std::move(group));
    }
  }
  if (!root.contains("arrivals")) return top.Error("a scenario needs \"arrivals\"");
  {
    const Path at = top.Key("arrivals");
    const Json& arrivals = root["arrivals"];
    if (!arrivals.is_array() || arrivals.empty()) {
      return at.Error("expected a non-empty list of arrival streams");
    }
    double most_arrivals = 0;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(ArrivalSpec arrival,
                                 ParseArrival(arrivals[i], at.Index(i), facts));
      most_arrivals +=
          *std::max_element(arrival.rates_per_hour.begin(), arrival.rates_per_hour.end()) *
          *std::max_element(arrival.day_factors.begin(), arrival.day_factors.end()) *
          s.duration_hours;
      s.arrivals.push_back(std::move(arrival));
    }
    // Rates beyond any contact centre would run for hours without a word.
    if (most_arrivals > kMaxArrivals) {
      return at.Error(absl::StrCat("the rates allow up to ", absl::SixDigits(most_arrivals),
                                   " arrivals in duration_hours; a run draws at most ",
                                   static_cast<int64_t>(kMaxArrivals)));
    }
  }
  OMNIROUTE_RETURN_IF_ERROR(DryRun(s));
  return s;
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(const Json root, ParseJson(json_text));
  return FromJson(root);
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read scenario file \"", path, "\""));
  std::stringstream text;
  text << file.rdbuf();
  return ParseScenario(text.str());
}

absl::StatusOr<Scenario> WithStrategy(const Scenario& scenario, std::string_view strategy) {
  absl::StatusOr<Strategy> parsed = ParseStrategy(strategy);
  if (!parsed.ok()) return parsed.status();
  OMNIROUTE_ASSIGN_OR_RETURN(Json engine, ParseJson(scenario.engine_json));
  for (Json& queue : engine["queues"]) queue["strategy"] = std::string(strategy);
  Scenario varied = scenario;
  varied.engine_json = engine.dump();
  absl::StatusOr<EngineConfig> config = ParseEngineConfigJson(varied.engine_json);
  if (!config.ok()) return EngineError(config.status());
  varied.engine = *std::move(config);
  return varied;
}

absl::StatusOr<Scenario> WithStaffing(const Scenario& scenario, double factor) {
  if (!(factor > 0) || !std::isfinite(factor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a staffing factor must be a positive number, got ", factor));
  }
  Scenario varied = scenario;
  for (AgentGroupSpec& group : varied.agent_groups) {
    group.count = static_cast<int>(std::lround(group.count * factor));
    for (ShiftSpec& shift : group.shifts) {
      shift.count = static_cast<int>(std::lround(shift.count * factor));
    }
  }
  return varied;
}

}  // namespace omniroute::sim
