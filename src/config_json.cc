#include "omniroute/config_json.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "internal/json_reader.h"
#include "internal/status_macros.h"
#include "nlohmann/json.hpp"

namespace omniroute {
namespace {

using internal::JsonPath;

absl::StatusOr<DailyInterval> ParseInterval(const nlohmann::json& value, const JsonPath& path) {
  std::string open, close;
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    const size_t dash = text.find('-');
    if (dash == std::string::npos) {
      return path.Error(fmt::format("expected \"HH:MM-HH:MM\", got \"{}\"", text));
    }
    open = text.substr(0, dash);
    close = text.substr(dash + 1);
  } else if (value.is_array() && value.size() == 2 && value[0].is_string() &&
             value[1].is_string()) {
    open = value[0].get<std::string>();
    close = value[1].get<std::string>();
  } else {
    return path.Error("expected an interval [\"HH:MM\", \"HH:MM\"] or \"HH:MM-HH:MM\"");
  }
  absl::StatusOr<DailyInterval> interval = DailyInterval::Parse(open, close);
  if (!interval.ok()) return path.Wrap(interval.status());
  return interval;
}

absl::StatusOr<std::vector<DailyInterval>> ParseIntervals(const nlohmann::json& value,
                                                          const JsonPath& path) {
  if (!value.is_array()) return path.Error("expected a list of intervals");
  std::vector<DailyInterval> intervals;
  for (size_t i = 0; i < value.size(); ++i) {
    OMNIROUTE_ASSIGN_OR_RETURN(DailyInterval interval, ParseInterval(value[i], path.Index(i)));
    intervals.push_back(interval);
  }
  return intervals;
}

absl::StatusOr<absl::CivilDay> ParseDate(const std::string& text, const JsonPath& path) {
  absl::StatusOr<absl::CivilDay> day = ParseCivilDate(text);
  if (!day.ok()) return path.Wrap(day.status());
  return day;
}

nlohmann::json IntervalsToJson(const std::vector<DailyInterval>& intervals) {
  nlohmann::json list = nlohmann::json::array();
  for (const DailyInterval& interval : intervals) {
    list.push_back({interval.open.ToString(), interval.close.ToString()});
  }
  return list;
}

}  // namespace

namespace internal {

absl::StatusOr<CalendarSpec> ParseCalendarSpec(const nlohmann::json& value, const JsonPath& path) {
  OMNIROUTE_RETURN_IF_ERROR(path.CheckObject(value, {"tz", "week", "holidays", "special_days"}));
  CalendarSpec spec;
  if (value.contains("tz")) {
    OMNIROUTE_ASSIGN_OR_RETURN(spec.time_zone, path.Key("tz").String(value["tz"]));
  }
  if (value.contains("week")) {
    const JsonPath week_path = path.Key("week");
    const nlohmann::json& week = value["week"];
    if (!week.is_object()) return week_path.Error("expected an object with keys mon ... sun");
    for (const auto& [key, intervals] : week.items()) {
      absl::StatusOr<int> day = ParseWeekdayKey(key);
      if (!day.ok()) return week_path.Wrap(day.status());
      OMNIROUTE_ASSIGN_OR_RETURN(spec.week[*day], ParseIntervals(intervals, week_path.Key(key)));
    }
  }
  if (value.contains("holidays")) {
    const JsonPath holidays_path = path.Key("holidays");
    const nlohmann::json& holidays = value["holidays"];
    if (!holidays.is_array()) return holidays_path.Error("expected a list of dates");
    for (size_t i = 0; i < holidays.size(); ++i) {
      OMNIROUTE_ASSIGN_OR_RETURN(std::string text, holidays_path.Index(i).String(holidays[i]));
      OMNIROUTE_ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(text, holidays_path.Index(i)));
      spec.holidays.push_back(day);
    }
  }
  if (value.contains("special_days")) {
    const JsonPath special_path = path.Key("special_days");
    const nlohmann::json& special = value["special_days"];
    if (!special.is_object()) return special_path.Error("expected an object keyed by date");
    for (const auto& [key, intervals] : special.items()) {
      OMNIROUTE_ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(key, special_path));
      OMNIROUTE_ASSIGN_OR_RETURN(spec.special_days[day],
                                 ParseIntervals(intervals, special_path.Key(key)));
    }
  }
  return spec;
}

}  // namespace internal

absl::StatusOr<CalendarSpec> ParseCalendarSpecJson(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json_text));
  return internal::ParseCalendarSpec(value, JsonPath());
}

absl::StatusOr<BusinessCalendar> ParseCalendarJson(std::string_view json_text) {
  OMNIROUTE_ASSIGN_OR_RETURN(CalendarSpec spec, ParseCalendarSpecJson(json_text));
  return BusinessCalendar::Create(std::move(spec));
}

std::string CalendarSpecToJson(const CalendarSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  out["tz"] = spec.time_zone;
  nlohmann::json week = nlohmann::json::object();
  for (int day = 0; day < 7; ++day) {
    if (!spec.week[day].empty())
      week[std::string(WeekdayKey(day))] = IntervalsToJson(spec.week[day]);
  }
  out["week"] = std::move(week);
  nlohmann::json holidays = nlohmann::json::array();
  for (absl::CivilDay day : spec.holidays) holidays.push_back(FormatCivilDate(day));
  out["holidays"] = std::move(holidays);
  nlohmann::json special = nlohmann::json::object();
  for (const auto& [day, intervals] : spec.special_days) {
    special[FormatCivilDate(day)] = IntervalsToJson(intervals);
  }
  out["special_days"] = std::move(special);
  return out.dump();
}

}  // namespace omniroute
