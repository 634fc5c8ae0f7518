// JSON at the edge: text in, typed, validated configuration out.
//
// The core never sees JSON; these loaders turn JSON text into the typed structs of the modules
// below and report every error with the JSON path of the offending value, e.g.
// `week.mon[1][0]: malformed time "9:00" (expected HH:MM or HH:MM:SS)`.
//
// Calendar objects have this shape (every key optional; unknown keys are errors):
//
//   {"tz": "America/New_York",
//    "week": {"mon": [["09:00", "17:00"]],
//             "tue": ["09:00-12:00", ["13:00", "17:00"]],
//             "sat": [["22:00", "06:00"]]},
//    "holidays": ["2026-12-25"],
//    "special_days": {"2026-12-24": [["09:00", "12:00"]]}}
//
// `tz` is an IANA zone (default "UTC"); `week` maps mon ... sun to lists of intervals, each
// ["HH:MM", "HH:MM"] or "HH:MM-HH:MM" (an end before the start is a night shift); `holidays` are
// closed local dates; `special_days` give a date its own hours ([] closes it).
//
// SLA policy objects (see sla.h; only "name" is required):
//
//   {"name": "tiered",
//    "calendar": "office",
//    "warn_at": [0.5, 0.75, 0.9],
//    "targets": {"A": {"first_response": "5m", "resolution": "30m"},
//                "B": {"first_response": 1800, "resolution": "2h"},
//                "L2": {"resolution": "2wd"}},
//    "tiers": {"vip": 0.5},
//    "tier_targets": {"vip": {"C": {"resolution": "8h"}}},
//    "metrics": {"resolution": {"calendar": "24x7", "paused_by": ["customer", "third_party"]}}}
//
// `calendar` names the calendar of every metric (default "24x7", the always-open one); `metrics`
// overrides the calendar and the pause reasons per metric (first_response, next_response,
// periodic_update, resolution). A target is seconds (a number) or a string: an absl duration
// ("90s", "5m", "1h30m"), days of 24 h ("1.5d"), or working days of the metric's calendar
// ("2wd", see WorkingDay in sla.h). `tiers` are factors on the targets; `tier_targets` replace
// them for a tier and priority.
//
// SLA selectors: {"rules": [{"queues": ["billing"], "priorities": ["A"], "channels": ["chat"],
// "tiers": ["vip"], "tags_any": ["angry"], "tags_all": [], "policy": "tiered"}], "default":
// "basic"}.
//
// Escalation policy objects mirror `EscalationPolicySpec` (see escalation.h), so that validation
// errors name JSON paths:
//
//   {"name": "support",
//    "levels": [{"name": "L1", "time_limit": "4h", "calendar": "office"},
//               {"name": "L2", "time_limit": "2wd", "calendar": "office",
//                "actions": [{"kind": "raise_priority_by", "amount": 1},
//                            {"kind": "require_skill", "target": "senior", "amount": 1}]},
//               {"name": "L3", "actions": [{"kind": "notify", "target": "emergency_group"}]}],
//    "rules": [{"trigger": {"kind": "level_time_limit"}},
//              {"trigger": {"kind": "sla_breached", "metric": "resolution"}, "to_level": "L3"},
//              {"trigger": {"kind": "tag", "value": "upset"}, "from_level": "L1",
//               "to_level": "L2"}]}
//
// Levels in rules are names or indexes; durations are seconds or strings as for SLA targets, a
// level's time limit on the level's calendar ("2wd" is two working days of it).
//
// Thread safety: the functions are pure and thread-safe.
#ifndef OMNIROUTE_CONFIG_JSON_H_
#define OMNIROUTE_CONFIG_JSON_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "omniroute/calendar.h"
#include "omniroute/engine.h"
#include "omniroute/escalation.h"
#include "omniroute/sla.h"

namespace omniroute {

// Parses a calendar object (shape above) into a spec. InvalidArgument with the JSON path for
// malformed JSON, wrong types, unknown keys, malformed times or dates. The spec is not yet
// validated as a whole: `BusinessCalendar::Create` does that (zone, overlaps).
absl::StatusOr<CalendarSpec> ParseCalendarSpecJson(std::string_view json_text);

// Parses and builds in one step; errors from `BusinessCalendar::Create` are returned as they are.
absl::StatusOr<BusinessCalendar> ParseCalendarJson(std::string_view json_text);

// The JSON object for `spec` (intervals as ["HH:MM", "HH:MM"] pairs, dates as "YYYY-MM-DD"), such
// that `ParseCalendarSpecJson(CalendarSpecToJson(s)) == s`.
std::string CalendarSpecToJson(const CalendarSpec& spec);

// Calendars that configuration refers to by name. "24x7" is the always-open calendar unless the
// map has an entry of that name.
using CalendarMap = std::map<std::string, BusinessCalendar, std::less<>>;

// The calendar `name` in `calendars`, or the always-open one for "24x7". NotFound otherwise.
absl::StatusOr<BusinessCalendar> FindCalendar(const CalendarMap& calendars, std::string_view name);

// Parses an SLA target (see the file comment) on `calendar`, which working days refer to.
// InvalidArgument for malformed, negative or infinite durations.
absl::StatusOr<absl::Duration> ParseSlaDuration(std::string_view text,
                                                const BusinessCalendar& calendar);

// Parses an SLA policy object (shape above) and validates it (`SlaPolicy::Validate`).
// InvalidArgument with the JSON path; NotFound for a calendar name not in `calendars`.
absl::StatusOr<SlaPolicy> ParseSlaPolicyJson(std::string_view json_text,
                                             const CalendarMap& calendars);

// Parses an SLA selector object (shape above). InvalidArgument with the JSON path.
absl::StatusOr<SlaSelector> ParseSlaSelectorJson(std::string_view json_text);

// Parses an escalation policy object (shape above) and validates it (`EscalationPolicy::Create`);
// calendars must be in `calendars` (or "24x7") unless `names.calendar_exists` says otherwise.
// InvalidArgument with the JSON path (e.g. `levels[1].time_limit`, `rules[0].to_level`); NotFound
// for a calendar name not in `calendars`.
absl::StatusOr<EscalationPolicy> ParseEscalationPolicyJson(std::string_view json_text,
                                                           const CalendarMap& calendars,
                                                           EscalationNames names = {});

// Parses an engine configuration (see "Engine configuration" in the README for the whole shape):
// priorities, calendars, skills, channels, sla_policies, sla_selector, escalation (the default
// policy) and escalation_policies, queues, agents (pool options), lifecycle, service_level_splits,
// expected_wait_window, escalation_check_interval, origin. InvalidArgument / NotFound with the
// JSON path, e.g. `queues[1].strategy: unknown strategy "fastest"` or
// `escalation.levels[1].time_limit: ...`. The text is kept in `EngineConfig::source`.
absl::StatusOr<EngineConfig> ParseEngineConfigJson(std::string_view json_text);

// Parses and creates an engine (`Engine::Create` validates the references between the parts).
absl::StatusOr<std::unique_ptr<Engine>> EngineFromJson(std::string_view json_text);

// Parses a new configuration and applies it (`Engine::Reconfigure`).
absl::Status ReconfigureFromJson(Engine& engine, std::string_view json_text, absl::Time at);

// `Engine::Restore` with this parser as the configuration loader.
absl::StatusOr<std::unique_ptr<Engine>> RestoreEngine(std::string_view snapshot);

}  // namespace omniroute

#endif  // OMNIROUTE_CONFIG_JSON_H_
