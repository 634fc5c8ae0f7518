#include "internal/json_reader.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace omniroute::internal {
namespace {

std::string_view TypeName(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "an object";
}

}  // namespace

JsonPath JsonPath::Key(std::string_view key) const {
  return JsonPath(path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key));
}

JsonPath JsonPath::Index(size_t index) const {
  return JsonPath(fmt::format("{}[{}]", path_, index));
}

absl::Status JsonPath::Error(std::string_view message) const {
  return absl::InvalidArgumentError(path_.empty() ? std::string(message)
                                                  : fmt::format("{}: {}", path_, message));
}

absl::Status JsonPath::Wrap(const absl::Status& status) const {
  if (path_.empty()) return status;
  return absl::Status(status.code(), fmt::format("{}: {}", path_,
                                                 std::string_view(status.message().data(),
                                                                  status.message().size())));
}

absl::Status JsonPath::CheckObject(const nlohmann::json& value,
                                   std::initializer_list<std::string_view> allowed) const {
  if (!value.is_object()) {
    return Error(fmt::format("expected an object, got {}", TypeName(value)));
  }
  for (const auto& [key, unused] : value.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(
          fmt::format("unknown key \"{}\" (expected one of: {})", key, fmt::join(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> JsonPath::String(const nlohmann::json& value) const {
  if (!value.is_string()) return Error(fmt::format("expected a string, got {}", TypeName(value)));
  return value.get<std::string>();
}

absl::StatusOr<double> JsonPath::Number(const nlohmann::json& value) const {
  if (!value.is_number()) return Error(fmt::format("expected a number, got {}", TypeName(value)));
  const double number = value.get<double>();
  if (!std::isfinite(number)) return Error("expected a finite number");
  return number;
}

absl::StatusOr<absl::Duration> JsonPath::Duration(const nlohmann::json& value,
                                                  const BusinessCalendar& calendar,
                                                  std::string_view what) const {
  absl::StatusOr<absl::Duration> duration;
  if (value.is_number()) {
    absl::StatusOr<double> seconds = Number(value);
    if (!seconds.ok()) return seconds.status();
    if (*seconds < 0) return Error(fmt::format("negative {} {}", what, *seconds));
    duration = absl::Seconds(*seconds);
  } else if (value.is_string()) {
    duration = ParseSlaDuration(value.get_ref<const std::string&>(), calendar);
  } else {
    return Error(
        fmt::format("expected a {}: seconds or a duration such as \"5m\" or \"2wd\"", what));
  }
  if (!duration.ok()) return Wrap(duration.status());
  return duration;
}

absl::StatusOr<std::vector<std::string>> JsonPath::StringList(const nlohmann::json& value) const {
  if (!value.is_array()) {
    return Error(fmt::format("expected a list of strings, got {}", TypeName(value)));
  }
  std::vector<std::string> strings;
  for (size_t i = 0; i < value.size(); ++i) {
    absl::StatusOr<std::string> text = Index(i).String(value[i]);
    if (!text.ok()) return text.status();
    strings.push_back(*std::move(text));
  }
  return strings;
}

absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Parse again with exceptions only to recover the parser's description of the error: a
    // syntax error (parse_error) or a number too large for a double (out_of_range).
    try {
      nlohmann::json ignored = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
      return absl::InvalidArgumentError(fmt::format("malformed JSON: {}", error.what()));
    }
    return absl::InvalidArgumentError("malformed JSON");
  }
  return value;
}

}  // namespace omniroute::internal
