// Reading JSON with errors that name the path of the offending value ("week.mon[1][0]: ...").
// Private to the library: nlohmann-json never appears in a public header.
#ifndef OMNIROUTE_SRC_INTERNAL_JSON_READER_H_
#define OMNIROUTE_SRC_INTERNAL_JSON_READER_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "omniroute/calendar.h"
#include "omniroute/config_json.h"
#include "omniroute/sla.h"

namespace omniroute::internal {

// Where a value sits in a JSON document, for error messages.
class JsonPath {
 public:
  JsonPath() = default;
  explicit JsonPath(std::string path) : path_(std::move(path)) {}

  JsonPath Key(std::string_view key) const;
  JsonPath Index(size_t index) const;
  const std::string& str() const { return path_; }

  // InvalidArgument "<path>: <message>".
  absl::Status Error(std::string_view message) const;
  // `status` with "<path>: " in front of its message, same code.
  absl::Status Wrap(const absl::Status& status) const;

  // OK when `value` is an object whose keys are all in `allowed`.
  absl::Status CheckObject(const nlohmann::json& value,
                           std::initializer_list<std::string_view> allowed) const;
  absl::StatusOr<std::string> String(const nlohmann::json& value) const;
  // A finite number.
  absl::StatusOr<double> Number(const nlohmann::json& value) const;
  // A list of strings.
  absl::StatusOr<std::vector<std::string>> StringList(const nlohmann::json& value) const;
  // A duration: seconds (a non-negative number) or a string `ParseSlaDuration` reads on
  // `calendar` ("90s", "5m", "1.5d", "2wd"). `what` names the value in errors ("target").
  absl::StatusOr<absl::Duration> Duration(const nlohmann::json& value,
                                          const BusinessCalendar& calendar,
                                          std::string_view what) const;

 private:
  std::string path_;
};

// Parses JSON text; InvalidArgument with the parser's position on malformed input.
absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text);

// A calendar object (see config_json.h) at `path`.
absl::StatusOr<CalendarSpec> ParseCalendarSpec(const nlohmann::json& value, const JsonPath& path);

// An SLA policy object (see config_json.h) at `path`, validated.
absl::StatusOr<SlaPolicy> ParseSlaPolicy(const nlohmann::json& value, const JsonPath& path,
                                         const CalendarMap& calendars);

// One SLA selection rule at `path`.
absl::StatusOr<SlaRule> ParseSlaRule(const nlohmann::json& value, const JsonPath& path);
// An SLA selector object at `path`.
absl::StatusOr<SlaSelector> ParseSlaSelector(const nlohmann::json& value, const JsonPath& path);
// An escalation policy object at `path`, validated; errors start with the path.
absl::StatusOr<EscalationPolicy> ParseEscalationPolicy(const nlohmann::json& value,
                                                       const JsonPath& path,
                                                       const CalendarMap& calendars,
                                                       EscalationNames names);

}  // namespace omniroute::internal

#endif  // OMNIROUTE_SRC_INTERNAL_JSON_READER_H_
