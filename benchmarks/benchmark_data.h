// What the benchmarks share: the bundled office calendar (examples/data/office_calendar.json),
// the domain's tiered SLA policy on it, and the checks that stop a benchmark whose setup went
// wrong.
#ifndef OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_
#define OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/sla.h"

namespace omniroute::benchmark_data {

// Prints "<what>: <message>" and aborts: a benchmark must not time a broken setup.
[[noreturn]] inline void Die(std::string_view what, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(message.size()), message.data());
  std::abort();
}

inline void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) Die(what, status.ToString());
}

template <typename T>
T Check(absl::StatusOr<T> value, std::string_view what) {
  Check(value.status(), what);
  return *std::move(value);
}

// Uniform in [lo, hi].
inline int Uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// America/New_York, split weekdays, a Saturday half day, a Sunday night shift, holidays and
// special days. Aborts with the message when the file cannot be loaded.
inline const BusinessCalendar& OfficeCalendar() {
  static const BusinessCalendar* const calendar = [] {
    std::ifstream in(OMNIROUTE_BENCHMARK_DATA_DIR "/office_calendar.json");
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<BusinessCalendar> parsed = ParseCalendarJson(text.str());
    return new BusinessCalendar(Check(std::move(parsed), "office calendar"));
  }();
  return *calendar;
}

inline constexpr std::string_view kTieredPolicy = "tiered";

// The domain's tiers (A 5 min / 30 min, B 30 min / 2 h, C 4 h / 24 h to first response and
// resolution), warnings at 50, 75 and 90 %, both clocks on the office calendar.
inline SlaPolicy TieredPolicy() {
  SlaPolicy policy;
  policy.name = std::string(kTieredPolicy);
  policy.warn_at = {0.5, 0.75, 0.9};
  policy.targets["A"][SlaMetric::kFirstResponse] = absl::Minutes(5);
  policy.targets["A"][SlaMetric::kResolution] = absl::Minutes(30);
  policy.targets["B"][SlaMetric::kFirstResponse] = absl::Minutes(30);
  policy.targets["B"][SlaMetric::kResolution] = absl::Hours(2);
  policy.targets["C"][SlaMetric::kFirstResponse] = absl::Hours(4);
  policy.targets["C"][SlaMetric::kResolution] = absl::Hours(24);
  policy.settings(SlaMetric::kFirstResponse).calendar = OfficeCalendar();
  policy.settings(SlaMetric::kResolution).calendar = OfficeCalendar();
  return policy;
}

}  // namespace omniroute::benchmark_data

#endif  // OMNIROUTE_BENCHMARKS_BENCHMARK_DATA_H_
