// Data the benchmarks share: the bundled office calendar (examples/data/office_calendar.json).
#ifndef OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_
#define OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"

namespace omniroute::benchmark_data {

// America/New_York, split weekdays, a Saturday half day, a Sunday night shift, holidays and
// special days. Aborts with the message when the file cannot be loaded.
inline const BusinessCalendar& OfficeCalendar() {
  static const BusinessCalendar* const calendar = [] {
    std::ifstream in(OMNIROUTE_BENCHMARK_DATA_DIR "/office_calendar.json");
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<BusinessCalendar> parsed = ParseCalendarJson(text.str());
    if (!parsed.ok()) {
      std::fprintf(stderr, "office calendar: %s\n", std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return new BusinessCalendar(*std::move(parsed));
  }();
  return *calendar;
}

}  // namespace omniroute::benchmark_data

#endif  // OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_
