// Two business hours after Friday 16:00 in New York is Monday 10:00.
#include <cstdio>

#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/version.h"

int main() {
  absl::StatusOr<omniroute::BusinessCalendar> calendar = omniroute::ParseCalendarJson(
      R"({"tz": "America/New_York", "week": {"mon": ["09:00-17:00"], "fri": ["09:00-17:00"]}})");
  if (!calendar.ok()) return 1;
  const absl::TimeZone& zone = calendar->time_zone();
  const absl::Time friday = absl::FromCivil(absl::CivilSecond(2026, 11, 20, 16, 0, 0), zone);
  absl::StatusOr<absl::Time> due = calendar->AddBusinessTime(friday, absl::Hours(2));
  if (!due.ok() || *due != absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), zone)) {
    return 1;
  }
  std::printf("omniroute %s: due %s\n", omniroute::kVersionString,
              absl::FormatTime(*due, zone).c_str());
  return 0;
}
