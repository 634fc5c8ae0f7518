// Strict reading of JSON request bodies and the host's time and id formats.
//
// Every reader takes the JSON path of the value it reads ("queues[0].delay_seconds") and fails
// with InvalidArgument "path: what is wrong", the path also attached as the status payload
// `kFieldPayload`, so that the API can name the field in its error body:
//
//   OMNIROUTE_RETURN_IF_ERROR(AllowOnlyFields(body, "", {"id", "queue"}));   // unknown field "x"
//   OMNIROUTE_ASSIGN_OR_RETURN(std::string queue, ReadString(body["queue"], "queue"));
//
// Instants are written as UTC ISO 8601 with milliseconds (`2026-11-23T10:05:00.250Z`) and read
// as RFC 3339 with any precision and offset.
//
// Thread safety: pure functions.
#ifndef OMNIROUTE_EXAMPLES_CRM_HOST_FIELDS_H_
#define OMNIROUTE_EXAMPLES_CRM_HOST_FIELDS_H_

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace omniroute::crm {

using Json = nlohmann::json;

// The status payload that names the field at fault.
inline constexpr char kFieldPayload[] = "omniroute.crm/field";

// Ids of items and agents: 1 to this many bytes of UTF-8 without control characters.
inline constexpr size_t kMaxIdBytes = 200;

// InvalidArgument "path: message" (or just the message for an empty path) naming `path`.
absl::Status FieldError(std::string_view path, std::string_view message);
// The field a status names, if any.
std::optional<std::string> FieldOf(const absl::Status& status);

// "parent.key", or "key" at the top.
std::string JoinPath(std::string_view parent, std::string_view key);
// "parent[index]".
std::string IndexPath(std::string_view parent, size_t index);

absl::Status RequireObject(const Json& value, std::string_view path);
// An object whose keys are all in `fields`; the first other key is `unknown field "key"`.
absl::Status AllowOnlyFields(const Json& object, std::string_view path,
                             std::initializer_list<std::string_view> fields);
// The member `key` of `object`, or an error `"path.key" is required`.
absl::StatusOr<const Json*> RequiredMember(const Json& object, std::string_view path,
                                           std::string_view key);
// The member `key` of `object`, or nullptr when it is absent.
const Json* OptionalMember(const Json& object, std::string_view key);

absl::StatusOr<std::string> ReadString(const Json& value, std::string_view path);
// A string that is a valid id (see kMaxIdBytes).
absl::StatusOr<std::string> ReadId(const Json& value, std::string_view path);
// A whole number in int's range.
absl::StatusOr<int> ReadInt(const Json& value, std::string_view path);
// A finite number.
absl::StatusOr<double> ReadNumber(const Json& value, std::string_view path);
absl::StatusOr<std::vector<std::string>> ReadStringList(const Json& value, std::string_view path);
absl::StatusOr<std::map<std::string, int>> ReadIntMap(const Json& value, std::string_view path);
absl::StatusOr<std::map<std::string, double>> ReadNumberMap(const Json& value,
                                                            std::string_view path);
// An RFC 3339 instant.
absl::StatusOr<absl::Time> ReadInstant(const Json& value, std::string_view path);
// A finite, non-negative number of seconds.
absl::StatusOr<absl::Duration> ReadSeconds(const Json& value, std::string_view path);

// InvalidArgument naming `what` unless `id` is a valid id.
absl::Status ValidateId(std::string_view id, std::string_view what);
bool IsValidUtf8(std::string_view text);

// Text helpers over std::string_view (this Abseil's take only its own string_view).
std::string_view StripWhitespace(std::string_view text);
// The pieces of `text` between any of `separators`; empty pieces are left out when `skip_empty`.
std::vector<std::string_view> SplitAny(std::string_view text, std::string_view separators,
                                       bool skip_empty);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// UTC, milliseconds: 2026-11-23T10:05:00.250Z.
std::string FormatInstant(absl::Time t);
// FormatInstant, or null for an infinite instant ("no deadline").
Json InstantOrNull(absl::Time t);
// Seconds as a number, or null for an infinite duration.
Json SecondsOrNull(absl::Duration d);

}  // namespace omniroute::crm

#endif  // OMNIROUTE_EXAMPLES_CRM_HOST_FIELDS_H_
