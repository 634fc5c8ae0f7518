// JSON at the edge: text in, typed, validated configuration out.
//
// The core never sees JSON; these loaders turn JSON text into the typed structs of the modules
// below and report every error with the JSON path of the offending value, e.g.
// `week.mon[1][0]: malformed time "9:00" (expected HH:MM or HH:MM:SS)`.
//
// Calendar objects have this shape (every key optional; unknown keys are errors):
//
//   {"tz": "America/New_York",                              // IANA zone, default "UTC"
//    "week": {"mon": [["09:00", "17:00"]],                  // mon ... sun: lists of intervals,
//             "tue": ["09:00-12:00", ["13:00", "17:00"]],   //   each ["HH:MM", "HH:MM"] or
//             "HH:MM-HH:MM" "sat": [["22:00", "06:00"]]},                 // end before start: a
//             night shift
//    "holidays": ["2026-12-25"],                            // closed local dates
//    "special_days": {"2026-12-24": [["09:00", "12:00"]]}}  // a date's own hours ([] = closed)
//
// Thread safety: the functions are pure and thread-safe.
#ifndef OMNIROUTE_CONFIG_JSON_H_
#define OMNIROUTE_CONFIG_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "omniroute/calendar.h"

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

}  // namespace omniroute

#endif  // OMNIROUTE_CONFIG_JSON_H_
