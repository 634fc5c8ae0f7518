// Shared fixtures of the SLA tests: New York local time and the office calendar they run on.
#ifndef OMNIROUTE_TESTS_SLA_TEST_SUPPORT_H_
#define OMNIROUTE_TESTS_SLA_TEST_SUPPORT_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"

namespace omniroute::sla_test {

inline absl::TimeZone NewYork() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
  return zone;
}

// Local time in New York.
inline absl::Time Ny(int y, int m, int d, int hh, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), NewYork());
}

inline BusinessCalendar MustCalendar(std::string_view json) {
  absl::StatusOr<BusinessCalendar> calendar = ParseCalendarJson(json);
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return calendar.ok() ? *calendar : BusinessCalendar();
}

// Mon-Fri 09:00-12:00 and 13:00-17:00 in New York (7 h a day), Christmas closed.
inline const BusinessCalendar& Office() {
  static const BusinessCalendar* const calendar = new BusinessCalendar(MustCalendar(R"({
    "tz": "America/New_York",
    "week": {"mon": ["09:00-12:00", "13:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"],
             "wed": ["09:00-12:00", "13:00-17:00"], "thu": ["09:00-12:00", "13:00-17:00"],
             "fri": ["09:00-12:00", "13:00-17:00"]},
    "holidays": ["2026-12-25"]})"));
  return *calendar;
}

}  // namespace omniroute::sla_test

#endif  // OMNIROUTE_TESTS_SLA_TEST_SUPPORT_H_
