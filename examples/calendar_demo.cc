// omniroute-calendar-demo: a business-hours calendar at work.
//
//   omniroute-calendar-demo [CALENDAR.json] [--from YYYY-MM-DDTHH:MM]
//
// Prints the calendar's open stretches for the two weeks after the start, then the SLA due times
// of the domain's response tiers (A: 5 min / 30 min, B: 30 min / 2 h, C: 4 h / 24 h of business
// time, and "level 2 solved within 2 working days") for a few start instants, across lunch
// breaks, nights, weekends, holidays and a daylight-saving change.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"

namespace {

constexpr const char* kDefaultCalendar = OMNIROUTE_DEMO_DATA_DIR "/office_calendar.json";

struct Target {
  const char* name;
  absl::Duration business_time;
};

std::string Local(absl::Time t, const absl::TimeZone& zone) {
  if (t == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%a %Y-%m-%d %H:%M %Z", t, zone);
}

std::string Wall(absl::Duration d) {
  const int64_t minutes = absl::ToInt64Minutes(d);
  return fmt::format("{}d {:02}h{:02}m", minutes / 1440, minutes / 60 % 24, minutes % 60);
}

int Usage(const char* message) {
  std::fprintf(stderr,
               "%s\nusage: omniroute-calendar-demo [CALENDAR.json] [--from YYYY-MM-DDTHH:MM]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = kDefaultCalendar;
  std::string from = "2026-11-25T16:30";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--from" && i + 1 < argc) {
      from = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      return Usage("shows a business-hours calendar at work");
    } else if (!arg.empty() && arg[0] != '-') {
      path = arg;
    } else {
      return Usage(("unknown argument " + arg).c_str());
    }
  }
  std::ifstream file(path);
  if (!file) return Usage(("cannot read " + path).c_str());
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<omniroute::BusinessCalendar> calendar = omniroute::ParseCalendarJson(text.str());
  if (!calendar.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(),
                 std::string(calendar.status().message()).c_str());
    return 2;
  }
  const absl::TimeZone& zone = calendar->time_zone();
  absl::CivilMinute start_minute;
  if (!absl::ParseCivilTime(from, &start_minute)) return Usage("--from wants YYYY-MM-DDTHH:MM");
  const absl::Time start = absl::FromCivil(start_minute, zone);

  fmt::print("{}\n\nOpen stretches in the two weeks from {}:\n", calendar->ToString(),
             Local(start, zone));
  for (absl::Time t = calendar->NextOpen(start); t < start + absl::Hours(24 * 14);) {
    const absl::Time close = calendar->NextClose(t);
    fmt::print("  {}  ->  {}   ({})\n", Local(t, zone), Local(close, zone),
               absl::FormatDuration(close - t));
    if (close == absl::InfiniteFuture()) break;
    t = calendar->NextOpen(close);
  }

  const std::vector<Target> targets = {
      {"A first response  5 min", absl::Minutes(5)},
      {"A resolution     30 min", absl::Minutes(30)},
      {"B first response 30 min", absl::Minutes(30)},
      {"B resolution      2 h", absl::Hours(2)},
      {"C first response  4 h", absl::Hours(4)},
      {"C resolution     24 h", absl::Hours(24)},
      {"L2 solved in 2 working days", absl::Hours(16)},
  };
  const std::vector<absl::Time> starts = {
      start,
      absl::FromCivil(absl::CivilSecond(2026, 12, 23, 17, 45, 0), zone),
      absl::FromCivil(absl::CivilSecond(2027, 3, 12, 17, 0, 0), zone),
  };
  for (absl::Time created : starts) {
    fmt::print("\nSLA due times for work created {}:\n", Local(created, zone));
    for (const Target& target : targets) {
      absl::StatusOr<absl::Time> due = calendar->AddBusinessTime(created, target.business_time);
      if (!due.ok()) {
        fmt::print("  {:<30} {}\n", target.name, std::string(due.status().message()));
        continue;
      }
      fmt::print("  {:<30} due {}   (wall clock {})\n", target.name, Local(*due, zone),
                 Wall(*due - created));
    }
  }
  return 0;
}
